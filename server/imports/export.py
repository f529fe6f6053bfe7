"""Import-shaped CSV downloads: exports that re-import, and blank templates for imports."""

from flask import Response

from ..csvio import download
from ..db import rows
from .engine import Spec


def csv_response(spec: Spec, records, filename: str) -> Response:
    """A CSV download of records in the spec's import columns."""
    return download(spec.columns, records, filename)


def export(db, spec: Spec, query: tuple[str, list], order_by: str, filename: str) -> Response:
    """Export the rows of a (scoped) list query, ordered, as a re-importable CSV."""
    sql, params = query
    return csv_response(spec, rows(db, f"{sql} ORDER BY {order_by}", params), filename)

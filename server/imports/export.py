"""CSV downloads: exports of what the caller may see, and blank templates for imports."""

from flask import Response

from ..db import rows
from . import csvfile
from .engine import Spec


def download(columns, records, filename: str) -> Response:
    """Every CSV download: UTF-8 with BOM (for Excel), formula-safe cells (csvfile.write),
    an attachment, never cached."""
    response = Response(csvfile.write(columns, records), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_response(spec: Spec, records, filename: str) -> Response:
    """A CSV download of records in the spec's import columns."""
    return download(spec.columns, records, filename)


def export(db, spec: Spec, query: tuple[str, list], order_by: str, filename: str) -> Response:
    """Export the rows of a (scoped) list query, ordered, as a re-importable CSV."""
    sql, params = query
    return csv_response(spec, rows(db, f"{sql} ORDER BY {order_by}", params), filename)

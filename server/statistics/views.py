"""Statistics page and its CSV exports (one CSV per chart, the rows its table shows)."""

from datetime import UTC, datetime

from flask import Blueprint, abort, request

from .. import scope
from ..csvio import download as csv_download
from ..db import get_db
from ..i18n import select_timezone
from ..times import to_stored
from ..web import caller, render, roles_required
from . import filters, queries, report

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


def _filters():
    now = datetime.now(UTC)
    clean, errors = filters.validate(
        get_db(), request.args, scope.orgs(caller()), select_timezone(), now
    )
    return clean, errors, to_stored(now)


@bp.get("/")
@roles_required("supervisor", "admin")
def index():
    clean, errors, now = _filters()
    return render(
        "statistics/index.html",
        "statistics/_charts.html",
        charts=report.build(get_db(), caller(), clean, now),
        filters=clean,
        link_args=filters.query_args(clean),
        errors=errors,
        orgs=queries.org_choices(get_db(), caller()),
    )


@bp.get("/<chart>.csv")
@roles_required("supervisor", "admin")
def export_csv(chart: str):
    if chart not in report.CHARTS:
        abort(404)
    clean, _errors, now = _filters()
    found = report.data(get_db(), caller(), clean, chart, now)
    return csv_download(report.COLUMNS[chart], found, f"statistics-{chart}.csv")

"""PDF downloads, each scoped exactly like the page it sits on: another scope's id is a 404.

Visits: the visit page's readers (supervisors, admins, the account manager of the
customer). Work orders: supervisors and admins, a repair report or, for an inspection, an
inspection report. Scorecards: supervisors and admins, a person, a team or a contractor.
"""

from flask import Blueprint, Response, abort, current_app, request

from ..db import get_db
from ..ids import now_utc
from ..scope import work_orders as work_order_scope
from ..scores import cards, months
from ..visits import listing
from ..web import caller, roles_required, scoped_one_or_404
from ..work_orders import detail
from . import filters, pdf, records, scorecards

bp = Blueprint("reports", __name__, url_prefix="/reports")
VISIT_READERS = ("supervisor", "admin", "account_manager")
MANAGERS = ("supervisor", "admin")


for _name, _filter in filters.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.errorhandler(pdf.ReportError)
def no_font(exc: pdf.ReportError):
    """A machine without the CJK font says so rather than print boxes."""
    current_app.logger.error("report refused: %s", exc)
    return Response(f"reports unavailable: {exc}", status=503, mimetype="text/plain")


def _pdf(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/visits/<visit_id>.pdf")
@roles_required(*VISIT_READERS)
def visit(visit_id):
    found = scoped_one_or_404(*listing.detail_query(caller(), visit_id))
    context, blobs = records.visit_report(get_db(), found)
    return _pdf(pdf.render_pdf("reports/visit.html", blobs, **context), f"visit-{visit_id}")


@bp.get("/work-orders/<order_id>.pdf")
@roles_required(*MANAGERS)
def work_order(order_id):
    clause = work_order_scope(caller(), "work_order")
    found = scoped_one_or_404(detail.DETAIL_SQL, [order_id], clause)
    template, context, blobs = records.work_order_report(get_db(), found)
    return _pdf(pdf.render_pdf(template, blobs, **context), f"work-order-{found['code']}")


def _month() -> str:
    """?month=YYYY-MM, else last month; a month that is not one is a 400, never another
    month's card printed under the name the reader asked for."""
    wanted = request.args.get("month", "")
    if not wanted:
        return months.previous(months.current(now_utc()))
    if months.parse(wanted) is None:
        abort(
            Response(
                "month: expected YYYY-MM, a real month such as 2026-10", 400, mimetype="text/plain"
            )
        )
    return wanted


@bp.get("/scores/people/<user_id>.pdf")
@roles_required(*MANAGERS)
def person_scorecard(user_id):
    return _scorecard(user_id, cards.person, scorecards.person_report)


@bp.get("/scores/orgs/<org_id>.pdf")
@roles_required(*MANAGERS)
def org_scorecard(org_id):
    return _scorecard(org_id, cards.organisation, scorecards.org_report)


def _scorecard(card_id: str, find, report):
    """The month's scorecard PDF of a person or an organisation in the caller's scope (`find`
    gives None otherwise: a 404), laid out by `report`."""
    db, month = get_db(), _month()
    found = find(db, caller(), card_id)
    if found is None:
        abort(404)
    body = pdf.render_pdf("reports/scorecard.html", **report(db, caller(), found, month))
    return _pdf(body, f"scorecard-{month}-{card_id}")

"""Supervisor pages for work orders: dispatch board, dispatch form, detail with review
actions, and the SLA policy. Supervisors and admins only; technicians work on the device."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _

from .. import policy_views, scope
from ..blob_files import send_attached
from ..csvio import download as csv_download
from ..db import get_db
from ..held import held_edits
from ..i18n import select_timezone
from ..ids import now_utc
from ..labels import label
from ..reviews.panel import record_panel
from ..web import caller, finish, form_status, page_number, render, roles_required
from ..web import scoped_one_or_404 as _scoped
from . import board, detail, dispatch, export, links, model, rules, sla
from .dispatch import DISPATCHABLE

bp = Blueprint("work_orders", __name__, url_prefix="/work-orders")
MANAGERS = ("supervisor", "admin")


def _filters():
    """Clean filters, errors, and the named team/contractor and technician ({id: row})."""
    args = request.args
    org, tech = board.filter_choices(
        get_db(), caller(), args.get("assigned_org", ""), args.get("assignee", "")
    )
    clean, errors = board.validate_filters(args, set(org), set(tech))
    return clean, errors, org, tech


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    filters, errors, _org, tech = _filters()
    # The team list is short; technicians (thousands for an admin) load when the select is
    # first used (technician_options); the chosen one is there from the start.
    orgs = board.assignable_orgs(get_db(), caller())
    now = now_utc()
    query = board.query(get_db(), caller(), filters, now, select_timezone())
    listing = board.page(get_db(), query, page_number(), current_app.config["PAGE_SIZE"], now)
    return render(
        "work_orders/board.html",
        "work_orders/_board.html",
        listing=listing,
        filters=filters,
        export_args={k: v for k, v in filters.items() if v},
        errors=errors,
        orgs=orgs,
        chosen_tech=tech.get(filters["assignee"]),
    )


@bp.get("/technicians")
@roles_required(*MANAGERS)
def technician_options():
    """Options of the board's technician filter (htmx, when the select is first used)."""
    techs = board.technicians(get_db(), caller())
    return render(
        "work_orders/_technician_options.html",
        techs=techs,
        selected=request.args.get("assignee", ""),
    )


@bp.get("/export.csv")
@roles_required(*MANAGERS)
def export_csv():
    filters, _errors, _orgs, _techs = _filters()
    now, tz = now_utc(), select_timezone()
    found = board.all_rows(get_db(), board.query(get_db(), caller(), filters, now, tz), now)
    return csv_download(export.CSV_COLUMNS, export.csv_records(found, tz), "work-orders.csv")


def _form_page(form: dict, errors: dict, status: int = 200):
    db = get_db()
    return render(
        "work_orders/dispatch.html",
        status=status,
        form=form,
        errors=errors,
        types=DISPATCHABLE,
        orgs=board.assignable_orgs(db, caller()),
        techs=board.technicians(db, caller()),
        sites=dispatch.sites_matching(db, caller(), form.get("site_q", "")),
    )


@bp.get("/new")
@roles_required(*MANAGERS)
def new():
    return _form_page({"wo_type": "fault_repair"}, {})


@bp.get("/sites")
@roles_required(*MANAGERS)
def site_options():
    """Options of the site select for a search term (htmx, as the supervisor types)."""
    found = dispatch.sites_matching(get_db(), caller(), request.args.get("site_q", "").strip())
    return render("work_orders/_site_options.html", sites=found, selected="")


@bp.post("/new")
@roles_required(*MANAGERS)
def create():
    clean, errors = dispatch.validate_dispatch(get_db(), caller(), request.form)
    if errors:
        return _form_page(request.form.to_dict(), errors, form_status(errors))
    order = dispatch.dispatch(get_db(), caller().id, clean)
    flash(_("Work order %(code)s dispatched.", code=order["code"]))
    return finish(url_for("work_orders.detail_page", order_id=order["id"]))


def _order_or_404(order_id: str) -> dict:
    return _scoped(detail.DETAIL_SQL, [order_id], scope.work_orders(caller(), "work_order"))


def _decides(order: dict) -> bool:
    """两不三可: approve, return, close and convert are the operator's supervisors' over
    the site (scope.work_order_decisions); a contractor's supervisor dispatches and
    pre-checks."""
    where, params = scope.work_order_decisions(caller(), "w")
    sql = f"SELECT 1 FROM work_order w WHERE w.id = ? AND {where}"
    return get_db().execute(sql, [order["id"], *params]).fetchone() is not None


NOT_YOURS = "approving, returning and closing belong to the operator's supervisors over the site"


def _detail(order: dict, status: int = 200, refusal: str | None = None, errors=None, form=None):
    db = get_db()
    decides = _decides(order)
    convertible = (
        order["wo_type"] == "exception_report"
        and order["status"] in links.CONVERTIBLE
        and decides
        and not order.get("converted_to_id")
    )
    return render(
        "work_orders/detail.html",
        status=status,
        order=order,
        clocks=sla.state(order, now_utc()),
        timeline=detail.timeline(db, order["id"]),
        photos=detail.photos(db, order["id"]),
        answers=detail.answers(db, order),
        parts=detail.parts(order),
        held=held_edits(db, "work_order", order["id"]),
        **record_panel(db, "work_order", order["id"]),
        orgs=board.assignable_orgs(db, caller()),
        techs=board.technicians(db, caller()),
        actions=[
            a
            for a, t in rules.REVIEW_STEPS.items()
            if _allowed(order, t) and (decides or a not in scope.DECISIONS)
        ],
        convertible=convertible,
        convert_types=links.CONVERT_TO,
        linked=detail.linked(db, order),
        convert_sites=dispatch.sites_matching(db, caller(), "") if convertible else [],
        may_reassign=order["status"] not in (*rules.FROZEN, "submitted", "resolved"),
        refusal=refusal,
        errors=errors or {},
        form=form or ({"assignee_id": order["reported_by"]} if convertible else {}),
    )


def _allowed(order: dict, target: str) -> bool:
    return rules.can(order["wo_type"], order["status"], target)


@bp.get("/<order_id>")
@roles_required(*MANAGERS)
def detail_page(order_id):
    return _detail(_order_or_404(order_id))


@bp.get("/<order_id>/photos/<sha>")
@roles_required(*MANAGERS)
def photo(order_id, sha):
    """A photo of this order (or of its checklist answers) once its blob is complete."""
    order = _order_or_404(order_id)
    return send_attached(sha, lambda sha: detail.attached(get_db(), order["id"], sha))


@bp.post("/<order_id>/assign")
@roles_required(*MANAGERS)
def reassign(order_id):
    order, errors = _order_or_404(order_id), {}
    clean = dispatch.validate_assignment(get_db(), caller(), request.form, errors)
    if errors:
        return _detail(order, form_status(errors), errors=errors, form=request.form.to_dict())
    try:
        model.assign(get_db(), caller().id, order_id, **clean)
    except rules.IllegalTransition as exc:
        return _detail(order, 409, _("Refused: %(reason)s", reason=str(exc)))
    flash(_("Work order reassigned."))
    return finish(url_for("work_orders.detail_page", order_id=order_id))


@bp.post("/<order_id>/review/<action>")
@roles_required(*MANAGERS)
def review(order_id, action):
    order = _order_or_404(order_id)
    if action not in rules.REVIEW_STEPS:
        abort(404)
    if action in scope.DECISIONS and not _decides(order):
        return _detail(order, 403, _("Refused: %(reason)s", reason=_(NOT_YOURS)))
    reason = request.form.get("reason", "").strip()
    if action in ("return", "cancel") and not reason:
        errors = {f"{action}_reason": "required"}
        return _detail(order, form_status(errors), errors=errors)
    try:
        model.review(get_db(), caller().id, order_id, action, reason)
    except rules.IllegalTransition as exc:
        return _detail(order, 409, _("Refused: %(reason)s", reason=str(exc)))
    flash(
        _("Work order updated: %(status)s.", status=label(rules.REVIEW_STEPS[action], "wo_status"))
    )
    return finish(url_for("work_orders.detail_page", order_id=order_id))


@bp.post("/<order_id>/convert")
@roles_required(*MANAGERS)
def convert(order_id):
    """Convert an exception report into a fault repair, rectification or on-demand order
    (links.convert_report); converting again opens the order made the first time."""
    order = _order_or_404(order_id)
    if order["wo_type"] != "exception_report":
        abort(404)
    if not _decides(order):
        return _detail(order, 403, _("Refused: %(reason)s", reason=_(NOT_YOURS)))
    if order.get("converted_to_id"):
        return finish(url_for("work_orders.detail_page", order_id=order["converted_to_id"]))
    clean, errors = dispatch.validate_conversion(get_db(), caller(), order, request.form)
    if errors:
        return _detail(order, form_status(errors), errors=errors, form=request.form.to_dict())
    try:
        made, _created = links.convert_report(get_db(), caller().id, order_id, **clean)
    except rules.IllegalTransition as exc:
        return _detail(order, 409, _("Refused: %(reason)s", reason=str(exc)))
    flash(_("Report converted into work order %(code)s.", code=made["code"]))
    return finish(url_for("work_orders.detail_page", order_id=made["id"]))


def _policy_page(form=None, errors=None, status: int = 200):
    current = sla.current_policy(get_db())
    if form is None:
        form = {f"{r['sla_grade']}.{c}": r[c] for r in current for _k, c in sla.DEADLINES}
    return policy_views.page(
        "work_orders/policy.html",
        form,
        errors,
        status,
        current=current,
        due=sla.current_due(get_db()),
        history=dispatch.policy_history(get_db()),
    )


def _store_policy(clean: dict, _now: str) -> str:
    version = sla.new_version(get_db(), caller().id, **clean)
    return _("SLA policy version %(version)s saved.", version=version)


policy_views.add_routes(
    bp,
    "/sla-policy",
    readers=MANAGERS,
    page=_policy_page,
    validate=lambda form, _now: dispatch.validate_policy(form, select_timezone()),
    store=_store_policy,
    endpoints=("policy", "policy_save"),
)

"""Review desk pages: the queue (approve, return with a reason, one row at a time by htmx),
a record's review page with its history and spot checks. Supervisors and admins only; every
record is looked up through the caller's scope (another subtree's id is a 404)."""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..extensions import htmx
from ..i18n import select_timezone
from ..web import caller, finish, paginate, render, roles_required
from ..work_orders.detail import report_section
from . import model, queue, spot_checks
from .conflict_views import bp as conflicts_bp
from .panel import record_panel

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
bp.register_blueprint(conflicts_bp)
MANAGERS = ("supervisor", "admin")


@bp.app_context_processor
def _record_panel_helpers():
    """Review templates offer a pre-check where the caller makes them (no query)."""
    return {
        # 两不三可: a contractor's supervisor pre-checks; the operator's approve and return.
        "review_prechecks": lambda: (
            caller().role == "supervisor" and caller().org_kind == "contractor"
        ),
    }


def _filters():
    db, who = get_db(), caller()
    orgs, authors = queue.orgs(db, who), queue.authors(db, who)
    ids = ({o["id"] for o in orgs}, {a["id"] for a in authors})
    clean, errors = queue.validate_filters(request.args, *ids)
    return clean, errors, orgs, authors


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    filters, errors, orgs, authors = _filters()
    sql, params = queue.query(get_db(), caller(), filters, select_timezone())
    return render(
        "reviews/queue.html",
        "reviews/_queue.html",
        listing=paginate(sql, params, queue.ORDER_BY),
        filters=filters,
        errors=errors,
        orgs=orgs,
        authors=authors,
        kinds=queue.KINDS,
    )


def _item_or_404(entity: str, entity_id: str) -> dict:
    item = queue.find(get_db(), caller(), entity, entity_id)
    if item is None:
        abort(404)
    return item


def _detail(item: dict, status=200, refusal=None, errors=None, spot_errors=None, form=None):
    """The record's review page; a work order's shows the technician's report and photos."""
    report = report_section(get_db(), item["id"]) if item["entity"] == "work_order" else {}
    return render(
        "reviews/detail.html",
        status=status,
        item=item,
        report=report,
        refusal=refusal,
        **record_panel(get_db(), item["entity"], item["id"]),
        errors=errors or {},
        spot_errors=spot_errors or {},
        spot_form=form or {},
    )


@bp.get("/<entity>/<entity_id>")
@roles_required(*MANAGERS)
def detail(entity, entity_id):
    return _detail(_item_or_404(entity, entity_id))


def _answer(item: dict, refusal=None, errors=None, status=200):
    """After an action: the queue row for htmx (errors shown in it), else the page."""
    fresh = queue.find(get_db(), caller(), item["entity"], item["id"])
    if htmx:
        return render("reviews/_row.html", item=fresh, refusal=refusal, errors=errors or {})
    if refusal or errors:
        return _detail(fresh, status, refusal, errors)
    flash(_("Review saved."))
    return finish(url_for("reviews.detail", entity=item["entity"], entity_id=item["id"]))


def _refused(item: dict, exc: Exception):
    """A refusal with its reason: 403 when the step is not the caller's, 409 when the
    record's state does not allow it now. Nothing was changed either way."""
    status = 403 if isinstance(exc, model.Forbidden) else 409
    return _answer(item, refusal=_("Refused: %(reason)s", reason=_(str(exc))), status=status)


def _step(entity: str, entity_id: str, read, take):
    """One review step on an item in scope: `read()` gives (clean, errors) of its form (422
    with the errors), `take(item, clean)` takes the step (a refusal is 403/409, nothing
    changed); then the item's answer (_answer)."""
    item = _item_or_404(entity, entity_id)
    clean, errors = read()
    if errors:
        return _answer(item, errors=errors, status=422)
    try:
        take(item, clean)
    except model.Refused as exc:
        return _refused(item, exc)
    return _answer(item)


def _note() -> tuple[dict, dict]:
    note = (request.form.get("note") or "").strip()
    return {"note": note}, ({"note": "out_of_range"} if len(note) > 500 else {})


@bp.post("/<entity>/<entity_id>/precheck")
@roles_required(*MANAGERS)
def precheck(entity, entity_id):
    def take(item, clean):
        model.precheck(get_db(), caller(), entity, item["id"], clean["note"])

    return _step(entity, entity_id, _note, take)


@bp.post("/<entity>/<entity_id>/approve")
@roles_required(*MANAGERS)
def approve(entity, entity_id):
    def take(item, clean):
        model.check_decides(get_db(), caller(), entity, item["id"])
        model.approve(get_db(), caller().id, entity, item["id"])

    return _step(entity, entity_id, lambda: ({}, {}), take)


@bp.post("/<entity>/<entity_id>/return")
@roles_required(*MANAGERS)
def return_for_rework(entity, entity_id):
    def take(item, clean):
        model.check_decides(get_db(), caller(), entity, item["id"])
        model.return_for_rework(get_db(), caller().id, entity, item["id"], clean["reason"])

    return _step(entity, entity_id, lambda: model.validate_return(request.form), take)


@bp.post("/<entity>/<entity_id>/spot-checks")
@roles_required(*MANAGERS)
def spot_check(entity, entity_id):
    item = _item_or_404(entity, entity_id)
    clean, errors = spot_checks.validate(request.form)
    if not errors:
        spot_checks.add(get_db(), caller().id, entity, item, clean)
    if htmx:
        form = request.form.to_dict() if errors else {}
        return render(
            "reviews/_spot_checks.html",
            entity=entity,
            record_id=item["id"],
            spot_checks=spot_checks.for_record(get_db(), entity, item["id"]),
            spot_errors=errors,
            spot_form=form,
        )
    if errors:
        return _detail(item, 422, spot_errors=errors, form=request.form.to_dict())
    flash(_("Spot check recorded."))
    return finish(url_for("reviews.detail", entity=entity, entity_id=item["id"]))

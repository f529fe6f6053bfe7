"""Complaint pages for supervisors: the queue (most severe and oldest first, with filters),
a new complaint, and a complaint's page with its clocks, history, state buttons,
reassignment and severity. Another scope's complaint is 404 on every page."""

from datetime import UTC, datetime

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _

from ..appointments.views import customers_matching
from ..auth.model import people
from ..db import get_db
from ..fields import check_filters, left_out
from ..held import held_edits
from ..web import caller, finish, form_status, list_filters, list_page, render, roles_required
from . import forms, model, states, timing
from .policy import SEVERITIES

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
MANAGERS = ("supervisor", "admin")
OWNER_ROLES = ("account_manager", "supervisor")


def _owners() -> list[dict]:
    return people(get_db(), caller(), OWNER_ROLES, active=True)


def _with_clocks(listing) -> dict:
    now, db = datetime.now(UTC), get_db()
    for k in listing.items:
        k["clocks"] = timing.clocks(db, k, model.history(db, k["id"]), now)
    return {}


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    filters, errors = list_filters("status", "severity", "owner_id"), {}
    owners = _owners()
    allowed = {"status": states.STATUSES, "severity": SEVERITIES}
    allowed["owner_id"] = [o["id"] for o in owners]
    check_filters(filters, errors, allowed)
    query = model.list_query(caller(), **left_out(filters, errors))
    page = ("complaints/list.html", "complaints/_table.html")
    return list_page(page, query, model.ORDER_BY, filters, _with_clocks, owners=owners)


def _form(form: dict, errors: dict, status: int = 200):
    found = customers_matching(form.get("customer_q", ""), form.get("customer_id", ""))
    return render(
        "complaints/form.html",
        status=status,
        form=form,
        errors=errors,
        customers=found,
        owners=_owners(),
        channels=model.CHANNELS,
        categories=forms.categories_now(get_db()),
        severities=SEVERITIES,
    )


@bp.get("/new")
@roles_required(*MANAGERS)
def new():
    form = {"customer_id": request.args.get("customer_id", ""), "severity": "medium"}
    return _form(form, {})


@bp.post("/new")
@roles_required(*MANAGERS)
def create():
    db = get_db()
    customer, clean, errors = forms.validate_new(db, caller(), request.form, _owners())
    if errors:
        return _form(request.form.to_dict(), errors, form_status(errors))
    row = model.record(db, caller().id, customer, clean)
    return _done(row["id"], _("Complaint recorded."))


def _complaint_or_404(complaint_id: str) -> dict:
    found = model.get_scoped(get_db(), caller(), complaint_id)
    if found is None:
        abort(404)
    return found


def _detail(complaint: dict, status: int = 200, errors=None, form=None, error=None):
    db = get_db()
    steps = model.history(db, complaint["id"])
    return render(
        "complaints/detail.html",
        status=status,
        k=complaint,
        steps=steps,
        held=held_edits(db, "complaint", complaint["id"]),
        clocks=timing.clocks(db, complaint, steps, datetime.now(UTC)),
        actions=states.actions_from(complaint["status"]),
        owners=_owners(),
        severities=SEVERITIES,
        categories=forms.categories_now(db, complaint["category"]),
        feedback_how=model.FEEDBACK_HOW,
        reactions=model.REACTIONS,
        errors=errors or {},
        form=form or {},
        error=error,
    )


@bp.get("/<complaint_id>")
@roles_required(*MANAGERS)
def detail(complaint_id):
    return _detail(_complaint_or_404(complaint_id))


def _done(complaint_id: str, message: str):
    return finish(url_for("complaints.detail", complaint_id=complaint_id), message)


@bp.post("/<complaint_id>/step")
@roles_required(*MANAGERS)
def step(complaint_id):
    complaint = _complaint_or_404(complaint_id)
    action, extra, errors = forms.read_step(get_db(), request.form, complaint)
    if not errors:
        try:
            model.transition(get_db(), caller().id, complaint, action, **extra)
        except ValueError as exc:
            errors = forms.step_error(str(exc))
    if errors:
        code = 409 if "action" in errors else form_status(errors)
        message = _("This step is not possible now.") if "action" in errors else None
        return _detail(complaint, code, errors, request.form.to_dict(), message)
    return _done(complaint_id, _("Complaint updated."))


def _set(complaint_id: str, field: str, allowed, change, message: str):
    """A one-field form of the complaint page (owner, severity): the value must be one of
    `allowed`; `change(db, actor_id, complaint, value, reason)` takes the step."""
    complaint = _complaint_or_404(complaint_id)
    value = request.form.get(field, "")
    if value not in allowed:
        errors = {field: "invalid_choice"}
        return _detail(complaint, form_status(errors), errors, request.form.to_dict())
    reason = request.form.get("reason", "")[: model.MAX_REASON]
    change(get_db(), caller().id, complaint, value, reason)
    return _done(complaint_id, message)


@bp.post("/<complaint_id>/owner")
@roles_required(*MANAGERS)
def owner(complaint_id):
    owners = {o["id"] for o in _owners()}
    return _set(complaint_id, "owner_id", owners, model.reassign, _("Complaint reassigned."))


@bp.post("/<complaint_id>/severity")
@roles_required(*MANAGERS)
def severity(complaint_id):
    message = _("Severity changed.")
    return _set(complaint_id, "severity", SEVERITIES, model.change_severity, message)

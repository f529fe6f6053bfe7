"""Appointment pages: staff record a customer's request, convert it into a planned visit
(anyone who may see the customer) or a work order (supervisors), and close it with an
outcome. The status shown is the effective one (model docstring)."""

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from .. import scope
from ..db import get_db, like, rows
from ..i18n import select_timezone
from ..privacy.pages import reveal_answer
from ..visits.rules import PURPOSES
from ..web import (
    caller,
    finish,
    form_status,
    paginate,
    render,
    roles_required,
    scoped_one_or_404,
)
from ..work_orders import board
from . import model

bp = Blueprint("appointments", __name__, url_prefix="/appointments")
STAFF = ("account_manager", "supervisor", "admin")
MANAGERS = ("supervisor", "admin")


@bp.get("/")
@roles_required(*STAFF)
def index():
    wanted = request.args.get("status", "")
    wanted = wanted if wanted in ("open", "planned", "done", "cancelled") else ""
    listing = paginate(*model.list_query(caller(), wanted), model.ORDER_BY)
    return render(
        "appointments/list.html", "appointments/_table.html", listing=listing, wanted=wanted
    )


def customers_matching(q: str, selected: str = "") -> list[dict]:
    """Customers in scope by code or name (the form's search-as-you-type select)."""
    where, params = scope.customers(caller())
    sql = "SELECT customer.id, customer.code, customer.name FROM customer"
    sql += f" WHERE customer.deleted_at IS NULL AND {where} AND (customer.id = ?"
    sql += " OR customer.code LIKE ? ESCAPE '\\' OR customer.name LIKE ? ESCAPE '\\')"
    return rows(get_db(), sql + " ORDER BY code LIMIT 20", [*params, selected, like(q), like(q)])


@bp.get("/customer-options")
@roles_required(*STAFF)
def customer_options():
    found = customers_matching(request.args.get("customer_q", "").strip())
    return render("appointments/_customer_options.html", customers=found, selected="")


def _form(form: dict, errors: dict, status: int = 200):
    found = customers_matching(form.get("customer_q", ""), form.get("customer_id", ""))
    return render(
        "appointments/form.html", status=status, form=form, errors=errors, customers=found
    )


@bp.get("/new")
@roles_required(*STAFF)
def new():
    form = {"customer_id": request.args.get("customer_id", ""), "wanted_at": model.later(1)}
    return _form(form, {})


@bp.post("/new")
@roles_required(*STAFF)
def create():
    clean, errors = model.validate_record(get_db(), caller(), request.form, select_timezone())
    if errors:
        return _form(request.form.to_dict(), errors, form_status(errors))
    row = model.record(get_db(), caller().id, clean)
    return _done(row["id"], _("Appointment recorded."))


def _appointment_or_404(appointment_id: str) -> dict:
    sql = f"{model.SELECT} WHERE a.id = ?"
    return scoped_one_or_404(sql, [appointment_id], model.visible(caller(), "a"))


def _detail(appointment: dict, status: int = 200, errors=None, form=None, error=None):
    db = get_db()
    managers = caller().role in MANAGERS
    return render(
        "appointments/detail.html",
        status=status,
        a=appointment,
        errors=errors or {},
        form=form or {"planned_date": model.wanted_day(appointment), "title": ""},
        error=error,
        convertible=model.convertible(appointment),
        purposes=PURPOSES,
        order_types=model.ORDER_TYPES,
        may_order=managers,
        techs=board.technicians(db, caller()) if managers else [],
        orgs=board.assignable_orgs(db, caller()) if managers else [],
        sites=model.customer_sites(db, caller(), appointment["customer_id"]),
    )


@bp.get("/<appointment_id>")
@roles_required(*STAFF)
def detail(appointment_id):
    return _detail(_appointment_or_404(appointment_id))


def _convert(appointment_id: str, validate, convert, message: str):
    """Convert an appointment with what the form says: 409 when it is converted already, the
    form again beside its errors, or `message` on its page."""
    appointment = _appointment_or_404(appointment_id)
    if not model.convertible(appointment):
        return _detail(appointment, 409, error=_("This appointment is already converted."))
    clean, errors = validate(appointment)
    if errors:
        return _detail(appointment, form_status(errors), errors, request.form.to_dict())
    try:
        convert(get_db(), caller().id, appointment, clean)
    except ValueError as exc:
        return _detail(appointment, 409, {"planned_date": str(exc)}, request.form.to_dict())
    return _done(appointment_id, message)


def _done(appointment_id: str, message: str):
    return finish(url_for("appointments.detail", appointment_id=appointment_id), message)


@bp.post("/<appointment_id>/visit")
@roles_required(*STAFF)
def to_visit(appointment_id):
    def validate(appointment):
        return model.validate_visit(request.form, appointment)

    message = _("A visit is planned for this appointment.")
    return _convert(appointment_id, validate, model.to_visit, message)


@bp.post("/<appointment_id>/work-order")
@roles_required(*MANAGERS)
def to_order(appointment_id):
    def validate(appointment):
        return model.validate_order(get_db(), caller(), request.form, appointment)

    message = _("A work order is dispatched for this appointment.")
    return _convert(appointment_id, validate, model.to_order, message)


@bp.post("/<appointment_id>/close")
@roles_required(*STAFF)
def close(appointment_id):
    appointment = _appointment_or_404(appointment_id)
    outcome = request.form.get("outcome", "")[:2000]
    try:
        model.close(get_db(), caller().id, appointment, request.form.get("status", ""), outcome)
    except ValueError as exc:
        errors = {"outcome": str(exc)} if str(exc) == "outcome_required" else {}
        message = None if errors else _("This appointment is already closed.")
        return _detail(appointment, 200 if errors else 409, errors, error=message)
    return _done(appointment_id, _("Appointment closed."))


@bp.post("/<appointment_id>/phone")
@roles_required(*STAFF)
def phone(appointment_id):
    """Show the appointment's whole contact phone to a reader who gives a reason (audited)."""
    appointment = _appointment_or_404(appointment_id)
    back = url_for("appointments.detail", appointment_id=appointment_id)
    return reveal_answer("appointment", appointment_id, appointment["contact_phone"], back)

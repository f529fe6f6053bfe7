"""Customer pages: list with search and filters, detail, create and edit, CSV export."""

import json

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..db import get_db
from ..imports.export import export as csv_export
from ..imports.specs import CUSTOMER
from ..orgs.model import tree
from ..points import ledger as points
from ..privacy.pages import reveal_answer
from ..retention import model as retention
from ..scope import may_manage, orgs
from ..visits import policy as visit_policy
from ..web import (
    caller,
    finish,
    form_status,
    list_filters,
    list_page,
    record_form,
    render,
    render_form,
    roles_required,
    scoped_one_or_404,
)
from . import contacts, history, model

bp = Blueprint("customers", __name__, url_prefix="/customers")
MANAGERS = ("supervisor", "admin")


def _filters() -> dict:
    return list_filters("q", "customer_class", "sla_grade", "tendency", "bundling")


@bp.get("/")
@login_required
def index():
    filters, page = _filters(), ("customers/list.html", "customers/_table.html")
    sql, params = model.query(caller(), **filters)
    overdue_only = request.args.get("overdue") == "1"
    if overdue_only:  # the supervisor's home links here: due for a visit or call today
        ids = visit_policy.overdue_in_scope(get_db(), caller())
        sql += " AND customer.id IN (SELECT value FROM json_each(?))"  # one parameter, any count
        params = [*params, json.dumps(ids)]

    def overdue(listing):
        return {"overdue": visit_policy.overdue_ids(get_db(), [c["id"] for c in listing.items])}

    context = {"overdue_only": overdue_only, "may_manage": may_manage(caller())}
    return list_page(
        page, (sql, params), "customer.name, customer.code", filters, overdue, **context
    )


@bp.get("/export.csv")
@login_required
def export():
    query = model.query(caller(), **_filters())
    return csv_export(get_db(), CUSTOMER, query, "customer.code", "customers.csv")


def _customer_or_404(customer_id: str) -> dict:
    return scoped_one_or_404(*model.detail_query(caller(), customer_id))


def _sections(customer_id: str) -> dict:
    """Other domains' sections of the customer page, fetched here rather than by the template:
    points for everyone, retention for all but technicians."""
    db, who = get_db(), caller()
    found = {"points": points.customer_section(db, who, customer_id), "retention": None}
    if who.role != "technician":
        found["retention"] = retention.customer_section(db, who, customer_id)
    return found


@bp.get("/<customer_id>")
@login_required
def detail(customer_id):
    customer = _customer_or_404(customer_id)
    return render(
        "customers/detail.html",
        customer=customer,
        contacts=contacts.for_customer(get_db(), customer_id),
        changes=history.changes(get_db(), customer_id),
        **_sections(customer_id),
        may_manage=may_manage(caller()),
        revealed={},
        form={},
        errors={},
    )


def _form_page(form: dict, errors: dict, customer=None):
    db, who = get_db(), caller()
    choices = dict(orgs=tree(db, *orgs(who)), account_managers=model.account_managers(db, who))
    page = ("customers/form.html", "customers/_form.html")
    return render_form(*page, form, errors, customer=customer, **choices)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    return _editor(None)


@bp.route("/<customer_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(customer_id):
    return _editor(_customer_or_404(customer_id))


def _editor(customer):
    defaults = {"sla_grade": "standard", "industry": "other", "handsets": 0}
    create, update = model.create_customer, model.update_customer
    return record_form(customer, defaults, model.validate, create, update, _form_page, _url)


def _url(customer: dict) -> str:
    return url_for("customers.detail", customer_id=customer["id"])


def _saved(customer: dict):
    return finish(_url(customer))


# Contacts: added, changed and removed on the customer's page (supervisors and admins).


def _key_dates() -> list[tuple[str, str]]:
    form = request.form
    return list(zip(form.getlist("key_date_label"), form.getlist("key_date"), strict=False))


def _entered() -> dict:
    """The contact form as typed, key dates included, to show again beside its errors."""
    dates = [{"label": label, "date": day} for label, day in _key_dates() if label or day]
    return {**request.form.to_dict(), "key_dates": dates}


def _contacts_part(customer: dict, form: dict, errors: dict, contact=None):
    return render(
        "customers/contact_form.html" if contact else "customers/detail.html",
        "customers/_contact_form.html" if contact else "customers/_contacts.html",
        status=form_status(errors),
        customer=customer,
        contacts=contacts.for_customer(get_db(), customer["id"]),
        **({} if contact else _sections(customer["id"])),
        contact=contact,
        may_manage=True,
        revealed={},
        form=form,
        errors=errors,
    )


@bp.post("/<customer_id>/contacts")
@roles_required(*MANAGERS)
def contact_add(customer_id):
    customer = _customer_or_404(customer_id)
    clean, errors = contacts.validate(request.form, _key_dates())
    if errors:
        return _contacts_part(customer, _entered(), errors)
    contacts.add(get_db(), caller().id, customer_id, clean)
    flash(_("Contact added."))
    return _saved(customer)


def _contact_or_404(customer_id: str, contact_id: str) -> tuple[dict, dict]:
    customer = _customer_or_404(customer_id)
    contact = contacts.get(get_db(), customer_id, contact_id)
    if contact is None:
        abort(404)
    return customer, contact


@bp.route("/<customer_id>/contacts/<contact_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def contact_edit(customer_id, contact_id):
    customer, contact = _contact_or_404(customer_id, contact_id)
    if request.method == "GET":
        return _contacts_part(customer, contact, {}, contact)
    clean, errors = contacts.validate(request.form, _key_dates())
    if errors:
        return _contacts_part(customer, _entered(), errors, contact)
    contacts.edit(get_db(), caller().id, contact_id, clean)
    flash(_("Contact saved."))
    return _saved(customer)


@bp.post("/<customer_id>/contacts/<contact_id>/delete")
@roles_required(*MANAGERS)
def contact_remove(customer_id, contact_id):
    customer, contact = _contact_or_404(customer_id, contact_id)
    contacts.remove(get_db(), caller().id, contact["id"])
    flash(_("Contact removed."))
    return _saved(customer)


@bp.post("/<customer_id>/contacts/<contact_id>/phone")
@login_required
def contact_phone(customer_id, contact_id):
    """Show a contact's whole phone number to a reader who gives a reason (audited)."""
    customer, contact = _contact_or_404(customer_id, contact_id)
    back = url_for("customers.detail", customer_id=customer["id"])
    return reveal_answer("contact", contact_id, contact["phone"], back)

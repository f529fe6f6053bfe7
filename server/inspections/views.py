"""Inspections page for supervisors and admins: checklist templates (admins edit them into
new versions), inspection plans, and running the plans now."""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from .. import scope
from ..db import get_db
from ..orgs.model import tree
from ..web import caller, finish, form_status, paginate, render, roles_required
from ..web import scoped_one_or_404 as _scoped
from . import checklists, plans
from .commands import local_today

bp = Blueprint("inspections", __name__, url_prefix="/inspections")
MANAGERS = ("supervisor", "admin")
BLANK_ROWS = 3
MAX_ROWS = 500  # ours: far above any checklist; a forged row_count cannot loop a worker


def _index(form=None, errors=None, run=None, partial=None):
    db, who = get_db(), caller()
    errors = errors or {}
    return render(
        "inspections/index.html",
        partial,
        status=form_status(errors),
        templates=checklists.templates(db),
        listing=paginate(*plans.query(who), "p.name, p.start_date"),
        form=form or {"start_date": local_today().isoformat()},
        errors=errors,
        orgs=tree(db, *scope.orgs(who)),
        run=run,
    )


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    return _index()


@bp.post("/plans")
@roles_required(*MANAGERS)
def plan_new():
    clean, errors = plans.validate_plan(get_db(), caller(), request.form)
    if errors:
        return _index(request.form, errors, partial="inspections/_plan_form.html")
    plans.create_plan(get_db(), caller().id, **clean)
    flash(_("Inspection plan created."))
    return finish(url_for("inspections.index"))


@bp.post("/plans/<plan_id>/active")
@roles_required(*MANAGERS)
def plan_active(plan_id):
    sql = "SELECT p.* FROM inspection_plan p JOIN org o ON o.id = p.org_id WHERE p.id = ?"
    plan = _scoped(sql, [plan_id], scope.orgs(caller(), "o"))
    plans.set_active(get_db(), caller().id, plan["id"], not plan["active"])
    return finish(url_for("inspections.index"))


@bp.post("/run")
@roles_required(*MANAGERS)
def run():
    counts = plans.run_plans(get_db(), caller().id, local_today(), caller=caller())
    return _index(run=counts, partial="inspections/_run.html")


def _template_page(template: dict, rows: list[dict], errors: dict, name: str):
    return render(
        "inspections/template.html",
        "inspections/_template_form.html",
        status=form_status(errors),
        template=template,
        items=checklists.items(get_db(), template["id"]),
        rows=rows + [{} for _ in range(BLANK_ROWS)],
        name=name,
        errors=errors,
        kinds=checklists.ITEM_KINDS,
    )


def _row_count(form) -> int:
    """The form's row count; garbage reads as 0, and no form has more than MAX_ROWS rows."""
    raw = str(form.get("row_count", "0")).strip()
    return min(int(raw), MAX_ROWS) if raw.isascii() and raw.isdigit() else 0


def _rows_from_form(form) -> list[dict]:
    """The item rows of the form in order; rows left blank are dropped (that removes them)."""
    found = []
    for n in range(_row_count(form)):
        row = {key: form.get(f"{n}.{key}", "") for key in checklists.ITEM_FIELDS}
        if any(str(row[key]).strip() for key in checklists.ITEM_FIELDS if key != "kind"):
            found.append(row)
    return found


@bp.get("/templates/<template_id>")
@roles_required(*MANAGERS)
def template(template_id):
    found = _get_template(template_id)
    rows = [checklists.editable(i) for i in checklists.items(get_db(), template_id)]
    return _template_page(found, rows, {}, found["name"])


@bp.post("/templates/<template_id>")
@roles_required("admin")
def template_new_version(template_id):
    found = _get_template(template_id)
    rows, name = _rows_from_form(request.form), request.form.get("name", "").strip()
    try:
        made = checklists.new_version(get_db(), caller().id, found["id"], rows, name)
    except checklists.ChecklistError as exc:
        return _template_page(found, rows, exc.errors, name)
    flash(_("Checklist saved as version %(n)s.", n=made["template_version"]))
    return finish(url_for("inspections.template", template_id=made["id"]))


def _get_template(template_id: str) -> dict:
    found = checklists.template(get_db(), template_id)
    if found is None:
        abort(404)
    return found

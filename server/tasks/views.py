"""Task pages: supervisors assign and follow; account managers read their own (and mark a
free-text task done). Progress is computed on every view from the visits (rules.py)."""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import scope
from ..db import get_db, rows
from ..scope import may_manage
from ..times import local_day
from ..visits.rules import PURPOSES
from ..web import caller, finish, form_status, paginate, render, roles_required, scoped_one_or_404
from . import model, rules

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
READERS = ("supervisor", "admin", "account_manager")
MANAGERS = ("supervisor", "admin")


@bp.get("/")
@roles_required(*READERS)
def index():
    filters = {key: request.args.get(key, "").strip() for key in ("assignee", "state")}
    listing = paginate(*model.list_query(caller(), filters), model.ORDER_BY)
    model.with_progress(get_db(), listing.items)
    managers = model.account_managers(get_db(), caller()) if may_manage(caller()) else []
    return render(
        "tasks/list.html", "tasks/_table.html", listing=listing, filters=filters, managers=managers
    )


def _form(form: dict, errors: dict, status: int = 200):
    db = get_db()
    return render(
        "tasks/form.html",
        status=status,
        form=form,
        errors=errors,
        kinds=rules.KINDS,
        purposes=PURPOSES,
        managers=model.account_managers(db, caller()),
        orgs=model.organisations(db, caller()),
    )


@bp.get("/new")
@roles_required(*MANAGERS)
def new():
    today = local_day()
    return _form({"kind": "class_coverage", "start_date": today, "purpose": ""}, {})


@bp.post("/new")
@roles_required(*MANAGERS)
def create():
    clean, errors = model.validate(get_db(), caller(), request.form)
    if errors:
        return _form(request.form.to_dict(), errors, form_status(errors))
    made = model.create(get_db(), caller().id, clean)
    flash(ngettext("Task assigned.", "Task assigned to %(num)s account managers.", len(made)))
    if len(made) == 1:
        return finish(url_for("tasks.detail", task_id=made[0]["id"]))
    return finish(url_for("tasks.index"))


def _task_or_404(task_id: str) -> dict:
    return scoped_one_or_404(
        f"{model.SELECT} WHERE task.id = ?", [task_id], model.visible(caller())
    )


@bp.get("/<task_id>")
@roles_required(*READERS)
def detail(task_id):
    task = _task_or_404(task_id)
    db = get_db()
    visits = model.candidate_visits(db, task)
    progress = rules.progress(task, visits)
    task["state"] = rules.state(task, progress, local_day())
    where, params = scope.customers(caller())
    marks = ",".join("?" * len(progress["missing"]))
    missing = rows(
        db,
        f"SELECT id, code, name FROM customer WHERE id IN ({marks}) AND {where} ORDER BY code",
        [*progress["missing"], *params],
    )
    return render(
        "tasks/detail.html",
        task=task,
        progress=progress,
        counted=[v for v in visits if v["id"] in set(progress["counted"])],
        missing=missing,
        hidden_missing=len(progress["missing"]) - len(missing),
        may_manage=may_manage(caller()),
    )


@bp.post("/<task_id>/cancel")
@roles_required(*MANAGERS)
def cancel(task_id):
    task = _task_or_404(task_id)
    if task["status"] == "cancelled":
        return _done(task_id)
    model.cancel(get_db(), caller().id, task_id)
    return _done(task_id, _("Task cancelled."))


@bp.post("/<task_id>/complete")
@roles_required(*READERS)
def complete(task_id):
    task = _task_or_404(task_id)
    try:
        model.complete(get_db(), caller().id, task_id, request.form.get("note", "").strip()[:2000])
    except ValueError:
        abort(409)
    return _done(task["id"], _("Task marked done."))


def _done(task_id: str, message: str | None = None):
    return finish(url_for("tasks.detail", task_id=task_id), message)

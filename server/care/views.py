"""Care calendar pages: an account manager's week ahead (mark an item done and how), a
supervisor's view of any account manager in scope with what was done, and the admins'
public-holiday table."""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from .. import scope
from ..db import get_db, one
from ..tasks.model import account_managers
from ..times import local_date
from ..web import caller, finish, form_status, render, roles_required, scoped_one_or_404
from . import calendar, model

bp = Blueprint("care", __name__, url_prefix="/care")
READERS = ("account_manager", "supervisor", "admin")


def _today() -> date:
    return local_date()


def _whose() -> tuple[dict | None, list[dict]]:
    """The account manager whose week is shown: the caller, or one picked in scope."""
    me = caller()
    if me.role == "account_manager":
        return one(get_db(), "SELECT * FROM app_user WHERE id = ?", [me.id]), []
    managers = account_managers(get_db(), me)
    picked = request.args.get("user", "").strip()
    if not picked:
        return None, managers
    return (
        scoped_one_or_404("SELECT * FROM app_user WHERE id = ?", [picked], scope.users(me)),
        managers,
    )


@bp.get("/")
@roles_required(*READERS)
def index():
    person, managers = _whose()
    today = _today()
    items = calendar.week_ahead(get_db(), person["id"], today) if person else []
    since = (today - timedelta(days=30)).isoformat()
    done = model.recent_done(get_db(), caller(), since, person["id"] if person else None)
    return render(
        "care/index.html",
        person=person,
        managers=managers,
        items=items,
        done=done,
        today=today,
        last=today + timedelta(days=calendar.DAYS - 1),
        hows=calendar.HOWS,
        own=person is not None and person["id"] == caller().id,
    )


@bp.post("/done")
@roles_required(*READERS)
def mark_done():
    try:
        _row, created = model.mark_done(
            get_db(),
            caller(),
            request.form.get("key", ""),
            request.form.get("how", ""),
            request.form.get("note", "")[:2000],
        )
    except model.CareError as error:
        if error.code == "not_found":
            abort(404)
        abort(400, description=str(error))
    if created:
        flash(_("Marked done."))
    return finish(url_for("care.index"))


# ---- public holidays (admins) ----


@bp.get("/holidays")
@roles_required("admin")
def holidays():
    return _holidays_page({}, {})


def _holidays_page(form: dict, errors: dict, status: int = 200):
    return render(
        "care/holidays.html",
        status=status,
        holidays=model.holidays(get_db()),
        form=form,
        errors=errors,
    )


@bp.post("/holidays")
@roles_required("admin")
def add_holiday():
    clean, errors = model.validate_holiday(request.form)
    if not errors and one(
        get_db(),
        "SELECT id FROM public_holiday WHERE name = ? AND starts_on = ? AND deleted_at IS NULL",
        [clean["name"], clean["starts_on"]],
    ):
        errors["name"] = "duplicate"  # a double click, or added already: one item, not two
    if errors:
        return _holidays_page(request.form.to_dict(), errors, form_status(errors))
    model.save_holiday(get_db(), caller().id, clean)
    flash(_("Holiday saved."))
    return finish(url_for("care.holidays"))


def _holiday_or_404(holiday_id: str) -> dict:
    return scoped_one_or_404(
        "SELECT * FROM public_holiday WHERE id = ?", [holiday_id], ("deleted_at IS NULL", [])
    )


@bp.post("/holidays/<holiday_id>")
@roles_required("admin")
def edit_holiday(holiday_id):
    _holiday_or_404(holiday_id)
    clean, errors = model.validate_holiday(request.form)
    if errors:
        return _holidays_page(
            {**request.form.to_dict(), "id": holiday_id}, errors, form_status(errors)
        )
    model.save_holiday(get_db(), caller().id, clean, holiday_id)
    flash(_("Holiday saved."))
    return finish(url_for("care.holidays"))


@bp.post("/holidays/<holiday_id>/delete")
@roles_required("admin")
def delete_holiday(holiday_id):
    _holiday_or_404(holiday_id)
    model.remove_holiday(get_db(), caller().id, holiday_id)
    flash(_("Holiday deleted."))
    return finish(url_for("care.holidays"))

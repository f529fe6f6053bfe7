"""The supervisors' follow-ups page: follow-ups of their subtree's visits, open ones first
(overdue first, then by due day), filtered by account manager; one follow-up's page with
its closes and reopenings, and the reopen form (a reason is required). Another scope's
follow-up is a 404."""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..times import local_day
from ..web import caller, finish, form_status, paginate, render, roles_required, scoped_one_or_404
from . import followups, listing

bp = Blueprint("follow_ups", __name__, url_prefix="/follow-ups")
MANAGERS = ("supervisor", "admin")


@bp.get("/")
@roles_required(*MANAGERS)
def index():
    managers = listing.account_managers(get_db(), caller())
    wanted = {
        "state": request.args.get("state"),
        "account_manager": request.args.get("account_manager"),
    }
    filters, errors = followups.validate_filters(wanted, {m["id"] for m in managers})
    query = followups.query(caller(), filters)
    return render(
        "visits/follow_ups.html",
        "visits/_follow_ups.html",
        listing=paginate(*query, followups.ORDER_BY),
        filters=filters,
        errors=errors,
        managers=managers,
        today=local_day(),
    )


def _follow_up_or_404(follow_up_id: str) -> dict:
    return scoped_one_or_404(*followups.detail_query(caller(), follow_up_id))


def _detail(follow_up: dict, status: int = 200, errors=None, form=None):
    return render(
        "visits/follow_up.html",
        status=status,
        f=follow_up,
        history=followups.history(get_db(), follow_up["id"]),
        errors=errors or {},
        form=form or {},
    )


@bp.get("/<follow_up_id>")
@roles_required(*MANAGERS)
def detail(follow_up_id):
    return _detail(_follow_up_or_404(follow_up_id))


@bp.post("/<follow_up_id>/reopen")
@roles_required(*MANAGERS)
def reopen(follow_up_id):
    follow_up = _follow_up_or_404(follow_up_id)
    clean, errors = followups.validate_reopen(request.form)
    if not errors and not follow_up["done_at"]:
        errors["reason"] = "not_closed"
    if errors:
        return _detail(follow_up, form_status(errors), errors, clean)
    try:
        followups.reopen(get_db(), caller().id, follow_up_id, clean["reason"])
    except ValueError:
        abort(409)
    flash(_("Follow-up reopened."))
    return finish(url_for("follow_ups.detail", follow_up_id=follow_up_id))

"""The visit policy page: the version in force, its history, and (admins) a new version.

Supervisors read it; only admins save (CSRF-protected form, audited). Routes of the visits
blueprint (views.bp)."""

from flask import flash, request, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..ids import now_utc
from ..scores import months
from ..web import caller, finish, form_status, render, roles_required
from . import policy
from .views import MANAGERS, bp


def _page(form=None, errors=None, status=200):
    db, month = get_db(), months.current(now_utc())
    return render(
        "visits/policy.html",
        status=status,
        current=policy.in_force(db, f"{month}-01"),
        history=policy.history(db),
        classes=policy.CLASSES,
        kinds=policy.KINDS,
        form=form or {"effective_month": month},
        errors=errors or {},
        may_edit=caller().role == "admin",
    )


@bp.get("/policy")
@roles_required(*MANAGERS)
def policy_page():
    return _page()


@bp.post("/policy")
@roles_required("admin")
def policy_save():
    clean, errors = policy.validate(request.form, now_utc())
    if errors:
        return _page(request.form.to_dict(), errors, form_status(errors))
    version = policy.save(
        get_db(), caller().id, clean["rules"], clean["effective_from"], clean["note"]
    )
    flash(_("Visit policy version %(version)s saved.", version=version))
    return finish(url_for("visits.policy_page"))

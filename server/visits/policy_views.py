"""The visit policy page: the version in force, its history, and (admins) a new version.

Supervisors read it; only admins save (CSRF-protected form, audited). Routes of the visits
blueprint (views.bp)."""

from flask_babel import gettext as _

from .. import policy_views
from ..db import get_db
from ..ids import now_utc
from ..scores import months
from ..web import caller
from . import policy
from .views import MANAGERS, bp


def _page(form=None, errors=None, status=200):
    db, month = get_db(), months.current(now_utc())
    return policy_views.page(
        "visits/policy.html",
        form or {"effective_month": month},
        errors,
        status,
        current=policy.in_force(db, f"{month}-01"),
        history=policy.history(db),
        classes=policy.CLASSES,
        kinds=policy.KINDS,
    )


def _store(clean: dict, _now: str) -> str:
    version = policy.save(get_db(), caller().id, **clean)
    return _("Visit policy version %(version)s saved.", version=version)


policy_views.add_routes(
    bp, "/policy", readers=MANAGERS, page=_page, validate=policy.validate, store=_store
)

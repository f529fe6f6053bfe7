"""Class pages: the class shares of the caller's customers against the documents' rule of
thumb, and the class policy (handset and spend thresholds, versioned; admins edit)."""

from flask import Blueprint
from flask_babel import gettext as _

from .. import policy_views, scope
from ..db import get_db, rows
from ..ids import now_utc
from ..web import caller, render, roles_required
from . import class_policy
from .model import COMPUTED_CLASSES, reclassify

bp = Blueprint("classes", __name__, url_prefix="/classes")
MANAGERS = ("supervisor", "admin")


def shares(db, who) -> dict:
    """Counts and shares (%) of the caller's customers per effective class; the shares of the
    key-account classes A/B/C are also given among those three alone (the rule of thumb's
    base: 5 / 25 / 70)."""
    where, params = scope.customers(who)
    found = rows(
        db,
        "SELECT customer.customer_class AS cls, count(*) AS n FROM customer"
        f" WHERE customer.deleted_at IS NULL AND {where} GROUP BY customer.customer_class",
        params,
    )
    counts = dict.fromkeys(COMPUTED_CLASSES, 0)
    counts.update({r["cls"]: r["n"] for r in found})
    total = sum(counts.values())
    keyed = sum(counts[c] for c in class_policy.RULE_OF_THUMB)
    out = []
    for cls in COMPUTED_CLASSES:
        thumb = class_policy.RULE_OF_THUMB.get(cls)
        share = round(100 * counts[cls] / total, 1) if total else None
        key_share = round(100 * counts[cls] / keyed, 1) if keyed and thumb is not None else None
        out.append(
            {
                "class": cls,
                "count": counts[cls],
                "share": share,
                "key_share": key_share,
                "thumb": thumb,
                "gap": None if key_share is None else round(key_share - thumb, 1),
            }
        )
    return {"rows": out, "total": total, "key_accounts": keyed}


@bp.get("/")
@roles_required(*MANAGERS)
def report():
    db = get_db()
    return render(
        "customers/classes.html",
        report=shares(db, caller()),
        policy=class_policy.in_force(db),
    )


def _policy_page(form=None, errors=None, status=200):
    db = get_db()
    current = class_policy.in_force(db)
    return policy_views.page(
        "customers/class_policy.html",
        form or {**current["rules"], "effective_from": now_utc()[:10]},
        errors,
        status,
        current=current,
        history=class_policy.history(db),
        keys=class_policy.KEYS,
    )


def _store(clean: dict, now: str) -> str:
    """Save the version; one in force today reclassifies every customer at once."""
    db, who = get_db(), caller()
    version = class_policy.save(db, who.id, **clean)
    if clean["effective_from"] <= now[:10]:
        changed = reclassify(db, who.id)
        return _(
            "Class policy version %(version)s saved: %(n)s customers changed class.",
            version=version,
            n=changed,
        )
    return _(
        "Class policy version %(version)s saved; it applies from %(day)s.",
        version=version,
        day=clean["effective_from"],
    )


policy_views.add_routes(
    bp,
    "/policy",
    readers=MANAGERS,
    page=_policy_page,
    validate=class_policy.validate,
    store=_store,
)

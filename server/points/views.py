"""Points pages: a customer's balance, level and ledger (scoped like the customer page),
redeem (account managers and supervisors) and adjust (supervisors and admins) with a reason,
and the admins' policy page (earn rate, levels) as new versions."""

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from sync.args import is_uuid

from .. import policy_views, scope
from ..db import get_db
from ..ids import now_utc, uuid7
from ..web import caller, finish, form_status, render, roles_required, scoped_one_or_404
from . import ledger, policy
from .ledger import ADJUSTERS, READERS

bp = Blueprint("points", __name__, url_prefix="/points")


@bp.app_template_global()
def points_entry_id() -> str:
    """A fresh id for a redeem / adjust form: submitting the same form twice appends once."""
    return uuid7()


def _customer_or_404(customer_id: str) -> dict:
    return scoped_one_or_404(
        "SELECT id, code, name FROM customer WHERE id = ? AND deleted_at IS NULL",
        [customer_id],
        scope.customers(caller()),
    )


def _page(customer: dict, errors: dict | None = None, form: dict | None = None, status=200):
    db = get_db()
    return render(
        "points/customer.html",
        status=status,
        customer=customer,
        points={
            **ledger.customer_section(db, caller(), customer["id"]),
            "history": ledger.history(db, customer["id"]),
        },
        errors=errors or {},
        form=form or {},
    )


@bp.get("/customers/<customer_id>")
@roles_required(*READERS)
def customer(customer_id):
    return _page(_customer_or_404(customer_id))


def _read(form) -> tuple[int | None, str, dict]:
    errors = {}
    raw = (form.get("points") or "").strip()
    try:
        points = int(raw)
    except ValueError:
        points = None
        errors["points"] = "required" if not raw else "invalid_integer"
    reason = (form.get("reason") or "").strip()[:500]
    if not reason:
        errors["reason"] = "required"
    return points, reason, errors


def _post(customer_id: str, kind: str):
    found = _customer_or_404(customer_id)
    points, reason, errors = _read(request.form)
    if points is not None and kind == "redeem" and points <= 0:
        errors["points"] = "out_of_range"
    if points is not None and kind == "adjust" and points == 0:
        errors["points"] = "not_zero"
    if points is not None and abs(points) > 10**9:
        errors["points"] = "out_of_range"
    entry_id = (request.form.get("entry_id") or "").strip().lower()
    entry_id = entry_id if is_uuid(entry_id) else None
    if not errors:
        try:
            row = ledger.add(get_db(), caller().id, customer_id, kind, points, reason, entry_id)
        except ledger.Overdraw:
            errors["points"] = "overdraw"
        except ledger.EntryTaken:
            abort(409, description="This form was submitted already with other figures.")
    if errors:
        form = {**request.form.to_dict(), "kind": kind}
        return _page(found, errors, form, status=form_status(errors))
    if row.get("already"):  # the same form again (a double click): nothing more to say
        return finish(url_for("customers.detail", customer_id=customer_id) + "#points")
    flash(_("Points redeemed.") if kind == "redeem" else _("Points adjusted."))
    return finish(url_for("customers.detail", customer_id=customer_id) + "#points")


@bp.post("/customers/<customer_id>/redeem")
@roles_required(*READERS)
def redeem(customer_id):
    return _post(customer_id, "redeem")


@bp.post("/customers/<customer_id>/adjust")
@roles_required(*ADJUSTERS)
def adjust(customer_id):
    return _post(customer_id, "adjust")


# ---- policy (admins) ----


def _policy_page(form=None, errors=None, status: int = 200):
    db = get_db()
    current = policy.in_force(db, now_utc()[:7])
    if form is None:
        form = {
            "points_per_yuan": current["rules"]["points_per_yuan"],
            "levels": "\n".join(
                f"{lv['name']}, {lv['min_points']}" for lv in current["rules"]["levels"]
            ),
            "effective_from": now_utc()[:7],
        }
    return policy_views.page(
        "points/policy.html", form, errors, status, current=current, versions=policy.history(db)
    )


def _store_policy(clean: dict, _now: str) -> str:
    version = policy.save(get_db(), caller().id, clean)
    return _("Points policy version %(version)s saved.", version=version)


policy_views.add_routes(
    bp,
    "/policy",
    readers=("admin",),
    page=_policy_page,
    validate=lambda form, now: policy.validate(form, now[:7]),
    store=_store_policy,
    endpoints=("policy_page", "save_policy"),
)

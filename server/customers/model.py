"""Customer model: the A/B/C class rule, create and update with audit."""

from datetime import date

from .. import fields, records, scope
from ..auth import model as users
from ..db import one, rows
from ..labels import LABELS
from ..scope import Caller

GRADES = ("diamond", "gold", "silver", "bronze", "standard")
CLASSES = ("A", "B", "C")

# Industries that make a customer class A whatever its size (DOMAIN.md: government, party,
# military, media and the key industries).
CLASS_A_INDUSTRIES = frozenset(
    {
        "government",
        "party",
        "military",
        "media",
        "telecom",
        "post",
        "bank",
        "power",
        "water",
        "gas",
        "highway",
        "airport",
        "railway",
    }
)
CLASS_B_INDUSTRIES = frozenset({"securities", "insurance"})
UNCLASSIFIED = "unclassified"  # 10 handsets or fewer and no other criterion: no key-account class
COMPUTED_CLASSES = (*CLASSES, UNCLASSIFIED)


def compute_class(
    handsets: int,
    industry: str,
    top500: bool = False,
    spend: float | None = None,
    rules: dict | None = None,
) -> str:
    """The customer class from handsets, spend (yuan a year) and industry, under `rules` (the
    class policy's thresholds, server/customers/class_policy.py; its defaults if None).

    A: a_handsets (500) or more, or spend ≥ a_spend, a top-500 tax payer, or a class-A
    industry. B: b_handsets (100)–499, or spend ≥ b_spend, or securities and insurance.
    C: c_handsets (11)–99, or spend ≥ c_spend. Otherwise "unclassified".
    """
    from .class_policy import DEFAULTS

    r = rules or DEFAULTS
    spend = spend or 0
    if (
        handsets >= r["a_handsets"]
        or spend >= r["a_spend"]
        or top500
        or industry in CLASS_A_INDUSTRIES
    ):
        return "A"
    if handsets >= r["b_handsets"] or spend >= r["b_spend"] or industry in CLASS_B_INDUSTRIES:
        return "B"
    if handsets >= r["c_handsets"] or spend >= r["c_spend"]:
        return "C"
    return UNCLASSIFIED


def effective_class(computed: str, override: str | None) -> str:
    """A manual override wins over the computed class."""
    return override or computed


def _classify(values: dict, rules: dict | None = None, spend: float | None = None) -> dict:
    computed = compute_class(
        int(values.get("handsets") or 0),
        values.get("industry") or "other",
        bool(values.get("top500")),
        spend,
        rules,
    )
    override = values.get("class_override") or None
    return {
        "computed_class": computed,
        "class_override": override,
        "class_override_reason": values.get("class_override_reason") if override else None,
        "customer_class": effective_class(computed, override),
    }


def _policy_and_spend(db, customer_id: str | None) -> tuple[dict, float | None]:
    from . import class_policy

    rules = class_policy.rules(db)
    if customer_id is None:
        return rules, None
    spend = class_policy.spends(db, [customer_id], rules["spend_months"])
    return rules, spend.get(customer_id)


def reclassify(db, actor_id, customer_ids=None, day: str | None = None) -> int:
    """Recompute the class of every customer (or of `customer_ids`) under the policy in force
    on `day` and their billing spend; store (synced, audited) only those whose class changed.
    Returns how many customers' effective class changed. Overrides still win."""
    from . import class_policy

    rules = class_policy.rules(db, day)
    wanted = None if customer_ids is None else set(customer_ids)
    spend = class_policy.spends(db, None, rules["spend_months"])
    found = rows(
        db,
        "SELECT id, handsets, industry, top500, computed_class, class_override,"
        " class_override_reason, customer_class FROM customer WHERE deleted_at IS NULL",
    )
    changed = 0
    with db.atomic():
        for row in found:
            if wanted is not None and row["id"] not in wanted:
                continue
            new = _classify(row, rules, spend.get(row["id"]))
            if (new["computed_class"], new["customer_class"]) == (
                row["computed_class"],
                row["customer_class"],
            ):
                continue
            records.update(
                db,
                "customer",
                row["id"],
                {"computed_class": new["computed_class"], "customer_class": new["customer_class"]},
                actor_id,
            )
            changed += new["customer_class"] != row["customer_class"]
    return changed


def create_customer(db, actor_id, **values) -> dict:
    """Create a customer; the class is computed (or overridden with a reason)."""
    values = dict(values)
    values.setdefault("industry", "other")
    values.setdefault("handsets", 0)
    values["top500"] = 1 if values.get("top500") else 0
    values.update(_classify(values, *_policy_and_spend(db, values.get("id"))))
    return records.insert(db, "customer", values, actor_id)


def update_customer(db, actor_id, customer_id: str, changes: dict) -> dict:
    """Update a customer; the class is recomputed from the merged values."""
    current = records.get(db, "customer", customer_id)
    merged = {**current, **changes}
    merged["top500"] = 1 if merged.get("top500") else 0
    policy_rules, spend = _policy_and_spend(db, customer_id)
    changes = {**changes, "top500": merged["top500"], **_classify(merged, policy_rules, spend)}
    from .contacts import server_clock

    with db.atomic():
        clock = server_clock(db, "customer", customer_id, changes)
        row = records.update(db, "customer", customer_id, changes, actor_id, clock=clock)
        if (row["account_manager_id"], row["org_id"]) != (
            current["account_manager_id"],
            current["org_id"],
        ):
            # Who may see the customer changed: its children must reach (or leave) devices.
            from ..sync_keys import row_keys
            from ..visits.model import touch_customer

            keys = row_keys(db, "customer", current) | row_keys(db, "customer", row)
            touch_customer(db, customer_id, row["updated_at"], keys)
    return row


_TEXT = ("code", "name", "industry", "sla_grade", "class_override", "class_override_reason")


def validate(db, caller: Caller, data: dict) -> tuple[dict, dict]:
    """Check a customer form or import row (data["id"] set when editing); return (clean, errors).

    An override of the class needs a reason; the account manager must be an account manager
    the caller may see, and the organisation one in the caller's scope.
    """
    errors: dict = {}
    clean = {key: fields.text(data, key) for key in _TEXT}
    clean["address"] = fields.text(data, "address")
    fields.required_unique(db, "customer", clean, errors, ("code", "name"), data.get("id"))
    fields.choice(clean, errors, "industry", LABELS["industry"], default="other")
    fields.choice(clean, errors, "sla_grade", GRADES, default="standard")
    clean["handsets"] = fields.integer(data, "handsets", errors, minimum=0, default=0)
    clean["top500"] = fields.flag(data, "top500", errors)
    clean["class_override"] = clean["class_override"].upper() or None
    if clean["class_override"] not in (None, *CLASSES):
        errors["class_override"] = "invalid_choice"
    elif clean["class_override"] and not clean["class_override_reason"]:
        errors["class_override_reason"] = "reason_required"
    if not clean["class_override"]:
        clean["class_override_reason"] = None
    before = fields.stored(db, "customer", data)
    clean["account_manager_id"] = _account_manager(db, caller, data, errors, before)
    clean["org_id"] = fields.org_in_scope(db, caller, data, errors, before.get("org_id"))
    fields.coordinates(data, clean, errors)
    if "founded_on" in data:  # the company anniversary (care calendar); imports may omit it
        clean["founded_on"] = _founded_on(data, errors)
    if "notes" in data:  # what field staff should know (the device edits it too)
        clean["notes"] = fields.text(data, "notes")
        if len(clean["notes"]) > 5000:
            errors["notes"] = "too_long"
    return clean, errors


def _founded_on(data: dict, errors: dict) -> str | None:
    raw = fields.text(data, "founded_on")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        errors["founded_on"] = "invalid_date"
        return raw


def _account_manager(db, caller: Caller, data: dict, errors: dict, before: dict) -> str | None:
    user_id = fields.reference(
        db,
        data,
        "account_manager_id",
        errors,
        exists="SELECT id FROM app_user WHERE app_user.id = ?",
        in_scope=scope.users(caller),
        unknown="unknown_user",
        current=before.get("account_manager_id"),
    )
    user = one(db, "SELECT role FROM app_user WHERE id = ?", [user_id]) if user_id else None
    if user and user["role"] != "account_manager":
        errors["account_manager_id"] = "not_account_manager"
    return user_id


LIST_SQL = """
    SELECT customer.*, am.username AS account_manager, am.display_name AS account_manager_name,
           org.code AS org, org.name AS org_name
    FROM customer
    LEFT JOIN app_user am ON am.id = customer.account_manager_id
    JOIN org ON org.id = customer.org_id
    WHERE customer.deleted_at IS NULL
"""


def query(
    caller: Caller,
    q: str = "",
    customer_class: str = "",
    sla_grade: str = "",
    tendency: str = "",
    bundling: str = "",
):
    """(sql, params) for the customers the caller may see, matching a search and filters.

    The search matches name, code and address; filters are exact. tendency and bundling
    select a retention segment (server/retention/segments.py).
    """
    from ..retention.segments import clause

    where, params = scope.customers(caller)
    extra, more = fields.matching(
        q,
        ("customer.name", "customer.code", "customer.address"),
        {"customer.customer_class": customer_class, "customer.sla_grade": sla_grade},
    )
    segment, segment_params = clause(tendency, bundling)
    return f"{LIST_SQL} AND {where}{extra}{segment}", [*params, *more, *segment_params]


def detail_query(caller: Caller, customer_id: str):
    """(sql, params, scope clause) for one customer, for scoped_one_or_404."""
    return f"{LIST_SQL} AND customer.id = ?", [customer_id], scope.customers(caller)


def account_managers(db, caller: Caller) -> list[dict]:
    """Account managers the caller may assign, by name."""
    return users.people(db, caller, ["account_manager"], active=True)


def options(db, caller: Caller) -> list[dict]:
    """Customers the caller may pick in a form (id, code, name), by name."""
    where, params = scope.customers(caller)
    sql = f"SELECT id, code, name FROM customer WHERE deleted_at IS NULL AND {where}"
    return rows(db, f"{sql} ORDER BY name", params)

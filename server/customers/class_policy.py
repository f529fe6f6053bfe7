"""The class policy: the handset and spend thresholds of the A/B/C rule, versioned.

The handset thresholds (500 / 100 / more than 10) are the documents'; the spend thresholds
are our defaults. A customer's spend is its annual billing: the average monthly ARPU of its
imported months within the last `spend_months` months up to the newest imported month,
× 12 (server/billing/). The version in force on a day is the latest `effective_from` ≤ that
day (the higher version on a tie). Saving a version in force today reclassifies every
customer; `flask --app server customers reclassify` does it on demand (run it on the day a
future version takes effect).
"""

from datetime import date

from .. import policies
from ..ids import now_utc

# Version 1 (m023_class_policy inserts the same literal).
DEFAULTS = {
    "a_handsets": 500,  # the documents: A at 500 handsets or more
    "b_handsets": 100,  # the documents: B at 100–499
    "c_handsets": 11,  # the documents: C at more than 10 (11–99); 10 or fewer: unclassified
    "a_spend": 1_000_000,  # our default: yuan a year, "the highest spend"
    "b_spend": 300_000,  # our default: "higher spend"
    "c_spend": 30_000,  # our default: "lower spend"
    "spend_months": 12,  # our default: the billing window the spend averages over
}
KEYS = tuple(DEFAULTS)
HANDSET_KEYS = ("a_handsets", "b_handsets", "c_handsets")
SPEND_KEYS = ("a_spend", "b_spend", "c_spend")
LIMITS = {
    **{key: (1, 1_000_000) for key in HANDSET_KEYS},
    **{key: (1, 10_000_000_000) for key in SPEND_KEYS},
    "spend_months": (1, 36),
}
# The documents' rule of thumb for the shares of the classes (the report compares).
RULE_OF_THUMB = {"A": 5, "B": 25, "C": 70}


POLICY = policies.Policy("class_policy", defaults=DEFAULTS)


def in_force(db, day: str | None = None) -> dict:
    """The version in force on `day` (YYYY-MM-DD, today in UTC if None); v1's defaults if
    the table is empty."""
    found = POLICY.in_force(db, day or now_utc()[:10])
    return found or {"version": 0, "rules": dict(DEFAULTS), "effective_from": "2000-01-01"}


def rules(db, day: str | None = None) -> dict:
    """The thresholds in force on `day`."""
    return in_force(db, day)["rules"]


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    return POLICY.history(db)


def _integer(form, key: str, errors: dict) -> int | None:
    low, high = LIMITS[key]
    value, error = policies.number((form.get(key) or "").replace(",", ""), low, high)
    if error is None and not isinstance(value, int):
        error = "out_of_range"
    if error:
        errors[key] = error
        return None
    return value


def validate(form, now: str) -> tuple[dict, dict]:
    """A new version from a form: the six thresholds, the spend window, the first day.

    Each class's threshold must be above the next class's; the day may not be in the past
    (customers already classified keep the version they were classified with until then).
    """
    errors: dict = {}
    found = {key: _integer(form, key, errors) for key in KEYS}
    for high, low in (("a_handsets", "b_handsets"), ("b_handsets", "c_handsets")):
        if high not in errors and low not in errors and found[high] <= found[low]:
            errors[high] = "thresholds_order"
    for high, low in (("a_spend", "b_spend"), ("b_spend", "c_spend")):
        if high not in errors and low not in errors and found[high] <= found[low]:
            errors[high] = "thresholds_order"
    day = (form.get("effective_from") or "").strip()
    try:
        date.fromisoformat(day)
        if len(day) != 10:
            raise ValueError
    except ValueError:
        errors["effective_from"] = "invalid_date"
    else:
        if day < now[:10]:
            errors["effective_from"] = "class_policy_in_past"
    clean = {"rules": found, "effective_from": day, "note": policies.note(form)}
    return clean, errors


def save(db, actor_id, rules: dict, effective_from: str, note: str = "") -> int:
    """Store a new version; return its number. The caller reclassifies (see views)."""
    values = {"rules": rules, "effective_from": effective_from, "note": note}
    return POLICY.save(db, actor_id, values)


def spends(db, customer_ids=None, months: int = DEFAULTS["spend_months"]) -> dict[str, float]:
    """Annual spend per customer: the average monthly ARPU of its billing months within the
    last `months` months up to the newest imported month, × 12. Customers without billing
    in the window are absent."""
    latest = db.execute("SELECT max(month) FROM billing_month").fetchone()[0]
    if latest is None:
        return {}
    year, month = int(latest[:4]), int(latest[5:7])
    index = year * 12 + month - 1 - (months - 1)
    first = f"{index // 12:04d}-{index % 12 + 1:02d}"
    sql = "SELECT customer_id, avg(arpu) * 12 FROM billing_month WHERE month >= ? AND month <= ?"
    params: list = [first, latest]
    if customer_ids is not None:
        ids = list(customer_ids)
        if not ids:
            return {}
        sql += f" AND customer_id IN ({', '.join('?' * len(ids))})"
        params += ids
    sql += " GROUP BY customer_id"
    return {r[0]: round(r[1], 2) for r in db.execute(sql, params)}

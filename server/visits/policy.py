"""The visit policy: how often each customer class must be contacted, and by which channel.

Versioned like the score weights (server/scores/policy.py): each version holds every class's
requirements and an `effective_from` day (the first of a month); the version in force on a
day is the latest effective_from ≤ that day (the higher version on a tie). A month's scores
use the version in force on its first day; overdue uses the one in force today.

A requirement is a kind of contact and an interval in days:
- `on_site`: an on-site visit (GPS check-in); phone calls and messages do not count;
- `remote`: a call — a phone call or a message (WeChat/SMS); an on-site visit counts too
  (it is at least a contact).

A customer is overdue when any requirement of its class is past due: never met, or more
than its interval since the last contact that meets it (the due day itself is not late).
A class with no requirement is never overdue. Our defaults (not from the operator's
documents): A on site every 7 days; B on site every 30; C a call every 30 and on site
every 90.
"""

from datetime import date, timedelta

from .. import policies
from ..db import rows, sql_in
from ..times import LOCAL, from_stored, local_date
from .statuses import TOOK_PLACE

CLASSES = ("A", "B", "C")
KINDS = ("on_site", "remote")
CHANNELS = ("on_site", "phone", "message")
REMOTE = ("phone", "message")
# The channels that meet each kind of requirement.
MEETS = {"on_site": ("on_site",), "remote": CHANNELS}
DEFAULTS = {"A": {"on_site": 7}, "B": {"on_site": 30}, "C": {"remote": 30, "on_site": 90}}
MAX_DAYS = 366
POLICY = policies.Policy("visit_policy")


def in_force(db, day: str) -> dict:
    """The version in force on `day` (YYYY-MM-DD): {version, rules, effective_from, ...}."""
    found = POLICY.in_force(db, day)
    return found or {"version": 0, "rules": DEFAULTS, "effective_from": "2000-01-01"}


def for_month(db, month: str) -> dict:
    """The version that scores `month` (YYYY-MM): the one in force on its first day."""
    return in_force(db, f"{month}-01")


def history(db) -> list[dict]:
    """Every version, newest first, with who saved it."""
    return POLICY.history(db)


def for_device(db, today: str) -> dict:
    """What a device needs offline: the version in force today and any later ones
    (it picks by its own date), oldest first."""
    current = in_force(db, today)
    later = rows(
        db,
        "SELECT * FROM visit_policy WHERE effective_from > ? ORDER BY effective_from, version",
        [today],
    )
    versions = [current, *(POLICY.load(r) for r in later)]
    keep = ("version", "rules", "effective_from")
    return {"versions": [{k: v[k] for k in keep} for v in versions]}


def channels_meeting(rules: dict, customer_class: str) -> tuple[str, ...]:
    """Channels that count as a visit of this class for class coverage: on-site only when
    the class requires on-site visits, any channel when it requires only calls."""
    needs = rules.get(customer_class) or {}
    if "on_site" in needs or not needs:
        return MEETS["on_site"]
    return MEETS["remote"]


def due_days(rules: dict, customer_class: str, last: dict, today: date) -> dict:
    """Each requirement of the class: {kind: (last day | None, due day | None, overdue)}.

    `last` maps a channel to the last day a contact of that channel took place (or None).
    """
    out = {}
    for kind, days in (rules.get(customer_class) or {}).items():
        met = [last.get(ch) for ch in MEETS.get(kind, ()) if last.get(ch)]
        latest = max(met) if met else None
        due = latest + timedelta(days=int(days)) if latest else None
        out[kind] = (latest, due, due is None or today > due)
    return out


def is_overdue(rules: dict, customer_class: str, last: dict, today: date) -> bool:
    """True when any requirement of the class is past due (see the module docstring)."""
    return any(state[2] for state in due_days(rules, customer_class, last, today).values())


def last_contacts_sql(alias: str = "c") -> str:
    """SELECT columns last_on_site, last_phone, last_message: the latest check-in (server
    time) of each channel among the customer's contacts that took place."""
    parts = []
    for channel in CHANNELS:
        parts.append(
            f"(SELECT max(v.check_in_at) FROM visit v WHERE v.customer_id = {alias}.id"
            f" AND v.channel = '{channel}' AND v.status IN {sql_in(TOOK_PLACE)}"
            f" AND v.deleted_at IS NULL) AS last_{channel}"
        )
    return ", ".join(parts)


def validate(form, now: str) -> tuple[dict, dict]:
    """A new version from a form: days.<class>.<kind> (blank: no such requirement; else
    1–366 whole days), effective month (not before the current one), note."""
    from ..scores import months

    errors, clean = {}, {"rules": {}}
    for klass in CLASSES:
        needs = {}
        for kind in KINDS:
            name = f"days.{klass}.{kind}"
            raw = (form.get(name) or "").strip()
            if not raw:
                continue
            try:
                days = int(raw)
            except ValueError:
                errors[name] = "invalid_number"
                continue
            if not 1 <= days <= MAX_DAYS:
                errors[name] = "out_of_range"
                continue
            needs[kind] = days
        clean["rules"][klass] = needs
    month = months.parse((form.get("effective_month") or "").strip())
    if first := policies.first_day(month, months.current(now), errors):
        clean["effective_from"] = first
    clean["note"] = policies.note(form)
    return clean, errors


def save(db, actor_id, rules: dict, effective_from: str, note: str = "") -> int:
    """Store a new version; return its number (audited)."""
    values = {"rules": rules, "effective_from": effective_from, "note": note}
    return POLICY.save(db, actor_id, values)


def customers_with_overdue(db, where: str, params: list, today: date, zone) -> list[dict]:
    """Customers (alias c) matching `where`, each with `overdue` and `requirements` under the
    version in force today; days are local to `zone` (a tzinfo)."""
    rules = in_force(db, today.isoformat())["rules"]
    found = rows(
        db,
        f"SELECT c.id, c.name, c.customer_class, c.account_manager_id, {last_contacts_sql('c')}"
        f" FROM customer c WHERE {where} ORDER BY c.name",
        params,
    )
    for customer in found:
        last = {}
        for channel in CHANNELS:
            at = customer.pop(f"last_{channel}")
            when = from_stored(at) if at else None
            last[channel] = when.astimezone(zone).date() if when else None
        customer["requirements"] = due_days(rules, customer["customer_class"], last, today)
        customer["overdue"] = any(s[2] for s in customer["requirements"].values())
    return found


def overdue_ids(db, customer_ids: list[str], now: str | None = None) -> set[str]:
    """Which of these customers are overdue today (the local day) under the policy in force."""
    if not customer_ids:
        return set()
    today = local_date(now)
    marks = ", ".join("?" * len(customer_ids))
    found = customers_with_overdue(db, f"c.id IN ({marks})", list(customer_ids), today, LOCAL)
    return {c["id"] for c in found if c["overdue"]}


def overdue_in_scope(db, caller, now: str | None = None) -> list[str]:
    """Ids of the customers the caller may see that are overdue today (the local day) under
    the policy in force: the supervisor's home counts them, the customer list filters by them."""
    from .. import scope

    where, params = scope.customers(caller, "c")
    found = customers_with_overdue(db, where, list(params), local_date(now), LOCAL)
    return [c["id"] for c in found if c["overdue"]]

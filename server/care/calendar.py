"""The care calendar (客户关怀): what an account manager should do something about this week.

The rule (pwa/care.js `weekAhead` is a port of it; keep the two in step):

- The week ahead is the Beijing day `today` and the six days after it.
- Every live contact of the manager's live customers brings their birthday and each of their
  key dates, and every customer with a founding day (`customer.founded_on`) its company
  anniversary. All recur yearly: the occurrence is the next day on or after `today` with the
  same month and day (29 February falls on 28 February in other years), counted only once
  the original day itself has come (a key date set in the future is first due on that day;
  an anniversary needs at least one full year).
- Every live public holiday starting in the week is one item for the manager (greetings to
  their customers), on its first day.
- Each item has a stable key (kind, what it is about, the occurrence day). What the manager
  did about it is a `care_done` row (how: visit, call, message or gift) with that key, one
  per manager and key: marking it done again changes nothing.
"""

import json
from datetime import date, timedelta

from ..db import rows

KINDS = ("birthday", "key_date", "anniversary", "holiday")
HOWS = ("visit", "call", "message", "gift")
DAYS = 7


def occurrence(original: str | None, today: date) -> date | None:
    """The next yearly occurrence of an ISO day on or after `today` (None if invalid)."""
    try:
        day = date.fromisoformat(original or "")
    except ValueError:
        return None
    for year in (today.year, today.year + 1):
        when = _same_day(day, year)
        if when >= today:
            return when if when >= day else None
    return None


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def item_key(kind: str, ref: str, occurs_on: str, label: str = "") -> str:
    """The stable key of a care item (the label of a key date goes last: it may hold ':')."""
    key = f"{kind}:{ref}:{occurs_on}"
    return f"{key}:{label}" if kind == "key_date" else key


def parse_key(key: str) -> dict | None:
    """Split an item key into kind, ref, occurs_on (and label); None when malformed."""
    if not isinstance(key, str) or len(key) > 400:
        return None
    parts = key.split(":", 3)
    if len(parts) < 3 or parts[0] not in KINDS:
        return None
    if (parts[0] == "key_date") != (len(parts) == 4):
        return None
    try:
        date.fromisoformat(parts[2])
    except ValueError:
        return None
    return {
        "kind": parts[0],
        "ref": parts[1],
        "occurs_on": parts[2],
        "label": parts[3] if len(parts) == 4 else "",
    }


def week_ahead(db, user_id: str, today: date) -> list[dict]:
    """The manager's care items from `today` for a week, each with its `done` row or None."""
    last = today + timedelta(days=DAYS - 1)
    items = []

    def add(kind, ref, when, title, customer=None, contact=None, label="", extra=None):
        if when is None or when > last:
            return
        occurs_on = when.isoformat()
        items.append(
            {
                "key": item_key(kind, ref, occurs_on, label),
                "kind": kind,
                "occurs_on": occurs_on,
                "title": title,
                "label": label,
                "customer_id": customer["id"] if customer else None,
                "customer_name": customer["name"] if customer else "",
                "contact_id": contact["id"] if contact else None,
                "contact_name": contact["name"] if contact else "",
                **(extra or {}),
            }
        )

    customers = rows(
        db,
        "SELECT id, name, founded_on FROM customer"
        " WHERE account_manager_id = ? AND deleted_at IS NULL",
        [user_id],
    )
    by_id = {c["id"]: c for c in customers}
    for customer in customers:
        when = occurrence(customer["founded_on"], today)
        if when and when.year > date.fromisoformat(customer["founded_on"]).year:
            years = when.year - date.fromisoformat(customer["founded_on"]).year
            add(
                "anniversary",
                customer["id"],
                when,
                customer["name"],
                customer,
                None,
                "",
                {"years": years},
            )
    contacts = rows(
        db,
        "SELECT contact.id, contact.name, contact.customer_id, contact.birthday,"
        " contact.key_dates FROM contact JOIN customer ON customer.id = contact.customer_id"
        " WHERE customer.account_manager_id = ? AND customer.deleted_at IS NULL"
        " AND contact.deleted_at IS NULL",
        [user_id],
    )
    for contact in contacts:
        customer = by_id[contact["customer_id"]]
        add(
            "birthday",
            contact["id"],
            occurrence(contact["birthday"], today),
            contact["name"],
            customer,
            contact,
        )
        for entry in json.loads(contact["key_dates"] or "[]"):
            label = str(entry.get("label") or "")
            add(
                "key_date",
                contact["id"],
                occurrence(entry.get("date"), today),
                label,
                customer,
                contact,
                label,
            )
    for holiday in rows(
        db,
        "SELECT id, name, starts_on, ends_on FROM public_holiday"
        " WHERE deleted_at IS NULL AND starts_on >= ? AND starts_on <= ?",
        [today.isoformat(), last.isoformat()],
    ):
        add(
            "holiday",
            holiday["id"],
            date.fromisoformat(holiday["starts_on"]),
            holiday["name"],
            extra={"ends_on": holiday["ends_on"]},
        )
    done = {
        r["item_key"]: r
        for r in rows(
            db,
            "SELECT * FROM care_done WHERE user_id = ? AND occurs_on >= ? AND occurs_on <= ?"
            " AND deleted_at IS NULL",
            [user_id, today.isoformat(), last.isoformat()],
        )
    }
    for item in items:
        item["done"] = done.get(item["key"])
    order = {kind: n for n, kind in enumerate(KINDS)}
    items.sort(key=lambda i: (i["occurs_on"], order[i["kind"]], i["customer_name"], i["title"]))
    return items

"""A customer's contacts: name, title, phone, email, birthday, key dates (for care
reminders) and notes. Field users edit them from the device too (mutations.py)."""

import json
import time
from datetime import date

from sync.fields import PENDING, load_clock
from sync.hlc import make

from .. import fields, records
from ..db import one, rows
from ..ids import now_utc


def _iso_date(raw: str) -> str | None:
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


def validate(data: dict, key_dates: list[tuple[str, str]]) -> tuple[dict, dict]:
    """Check a contact form; key_dates are (label, date) pairs, blank pairs ignored.

    A key date needs both a label and a YYYY-MM-DD date.
    """
    from .mutations import MAX_EMAIL, MAX_NAME, MAX_NOTES, MAX_PHONE, email_problem, phone_problem

    errors: dict = {}
    keys = ("name", "title", "phone", "email", "birthday", "notes")
    clean = {key: fields.text(data, key) for key in keys}
    if not clean["name"]:
        errors["name"] = "required"
    for key, limit in (("name", MAX_NAME), ("phone", MAX_PHONE), ("email", MAX_EMAIL)):
        if len(clean[key]) > limit:
            errors[key] = "too_long"
    if len(clean["notes"]) > MAX_NOTES:
        errors["notes"] = "too_long"
    if "phone" not in errors and phone_problem(clean["phone"]):
        errors["phone"] = "invalid_phone"
    if "email" not in errors and email_problem(clean["email"]):
        errors["email"] = "invalid_email"
    if clean["birthday"]:
        clean["birthday"] = _iso_date(clean["birthday"])
        if clean["birthday"] is None:
            errors["birthday"] = "invalid_date"
    else:
        clean["birthday"] = None
    dates = []
    for label, raw in key_dates:
        label, raw = (label or "").strip(), (raw or "").strip()
        if not label and not raw:
            continue
        day = _iso_date(raw)
        if not label or day is None:
            errors["key_dates"] = "invalid_date" if label else "required"
        dates.append({"label": label, "date": day or raw})
    clean["key_dates"] = json.dumps(dates, ensure_ascii=False)
    return clean, errors


def for_customer(db, customer_id: str) -> list[dict]:
    """Live contacts of a customer by name, key dates decoded."""
    found = rows(
        db,
        "SELECT * FROM contact WHERE customer_id = ? AND deleted_at IS NULL ORDER BY name",
        [customer_id],
    )
    for contact in found:
        contact["key_dates"] = json.loads(contact["key_dates"] or "[]")
    return found


def get(db, customer_id: str, contact_id: str) -> dict | None:
    """One live contact of the given customer (None when absent, deleted or another's)."""
    contact = one(
        db,
        "SELECT * FROM contact WHERE id = ? AND customer_id = ? AND deleted_at IS NULL",
        [contact_id, customer_id],
    )
    if contact:
        contact["key_dates"] = json.loads(contact["key_dates"] or "[]")
    return contact


def add(db, actor_id, customer_id: str, clean: dict) -> dict:
    """Add a contact to a customer."""
    return records.insert(db, "contact", {**clean, "customer_id": customer_id}, actor_id)


def server_clock(db, table: str, row_id: str, changes: dict) -> dict:
    """The row's field clock with the fields `changes` really changes stamped now by the
    server: an older edit still queued on a device cannot undo a web edit (sync.fields)."""
    row = one(db, f"SELECT * FROM [{table}] WHERE id = ?", [row_id]) or {}
    clock = load_clock(row.get("field_clock"))
    stamp = make(int(time.time() * 1000), 0, "server")
    changed = [k for k, v in changes.items() if k in row and row[k] != v]
    return {**clock, **{name: {"hlc": stamp, "v": PENDING} for name in changed}}


def edit(db, actor_id, contact_id: str, clean: dict) -> dict:
    """Change a contact's fields."""
    clock = server_clock(db, "contact", contact_id, clean)
    return records.update(db, "contact", contact_id, clean, actor_id, clock=clock)


def remove(db, actor_id, contact_id: str) -> dict:
    """Soft-delete a contact (a tombstone, so devices learn of it)."""
    return records.update(db, "contact", contact_id, {"deleted_at": now_utc()}, actor_id, "delete")

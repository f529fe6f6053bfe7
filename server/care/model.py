"""Care items marked done (care_done), holidays (public_holiday): checks and writes."""

import json
import sqlite3
from datetime import date

from .. import records, scope
from ..db import one, rows
from ..ids import now_utc
from ..scope import Caller
from .calendar import HOWS, parse_key


def visible_done(caller: Caller, alias: str = "care_done") -> tuple[str, list]:
    """Done marks the caller may see: their own; a supervisor's subtree; an admin's all."""
    return scope.owned(caller, alias, "user_id", owners=None)


class CareError(ValueError):
    """A done mark that cannot be recorded: `code` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def resolve(db, caller: Caller, key: str) -> dict:
    """What an item key is about, checked against the caller's scope (CareError if not)."""
    parsed = parse_key(key)
    if parsed is None:
        raise CareError("bad_args", "key is not a care item key")
    kind, ref = parsed["kind"], parsed["ref"]
    found = {"kind": kind, "occurs_on": parsed["occurs_on"], "customer_id": None}
    found["contact_id"] = None
    if kind == "holiday":
        if one(db, "SELECT id FROM public_holiday WHERE id = ?", [ref]) is None:
            raise CareError("not_found", "no such holiday")
        return found
    where, params = scope.customers(caller, "customer")
    if kind == "anniversary":
        row = one(db, f"SELECT id FROM customer WHERE id = ? AND {where}", [ref, *params])
        if row is None:
            raise CareError("not_found", "no such customer")
        found["customer_id"] = row["id"]
        return found
    row = one(
        db,
        "SELECT contact.id, contact.customer_id FROM contact JOIN customer"
        f" ON customer.id = contact.customer_id WHERE contact.id = ? AND {where}",
        [ref, *params],
    )
    if row is None:
        raise CareError("not_found", "no such contact")
    found.update(customer_id=row["customer_id"], contact_id=row["id"])
    return found


def mark_done(
    db, caller: Caller, key: str, how: str, note: str = "", row_id=None, device_at=None
) -> tuple[dict, bool]:
    """Record what the caller did about a care item; (row, created). Once per user and key."""
    if how not in HOWS:
        raise CareError("bad_args", "how must be visit, call, message or gift")
    if not isinstance(note, str) or len(note) > 2000:
        raise CareError("bad_args", "note must be text up to 2000 characters")
    item = resolve(db, caller, key)
    existing = one(
        db, "SELECT * FROM care_done WHERE user_id = ? AND item_key = ?", [caller.id, key]
    )
    if existing:
        return existing, False
    values = {
        "user_id": caller.id,
        "org_id": caller.org_id,
        "item_key": key,
        "how": how,
        "note": note.strip(),
        "done_at": now_utc(),
        "done_device_at": device_at,
        **item,
    }
    if row_id:
        values["id"] = row_id
    try:
        return records.insert(db, "care_done", values, caller.id), True
    except sqlite3.IntegrityError:
        # the same mark stored meanwhile (a double click's two requests at once)
        existing = one(
            db, "SELECT * FROM care_done WHERE user_id = ? AND item_key = ?", [caller.id, key]
        )
        if existing is None:
            raise
        return existing, False


def recent_done(db, caller: Caller, since: str, user_id: str | None = None) -> list[dict]:
    """Done marks in the caller's scope on or after a day, newest first (with names)."""
    where, params = visible_done(caller)
    sql = (
        "SELECT care_done.*, app_user.display_name AS user_name, customer.name AS customer_name,"
        " contact.name AS contact_name FROM care_done"
        " JOIN app_user ON app_user.id = care_done.user_id"
        " LEFT JOIN customer ON customer.id = care_done.customer_id"
        " LEFT JOIN contact ON contact.id = care_done.contact_id"
        f" WHERE care_done.occurs_on >= ? AND care_done.deleted_at IS NULL AND {where}"
    )
    args = [since, *params]
    if user_id:
        sql += " AND care_done.user_id = ?"
        args.append(user_id)
    return rows(db, sql + " ORDER BY care_done.done_at DESC LIMIT 200", args)


# ---- public holidays ----


def holidays(db, year: int | None = None) -> list[dict]:
    """Live holidays, by first day (of one year when given)."""
    if year:
        return rows(
            db,
            "SELECT * FROM public_holiday WHERE deleted_at IS NULL AND starts_on >= ?"
            " AND starts_on < ? ORDER BY starts_on",
            [f"{year}-01-01", f"{year + 1}-01-01"],
        )
    return rows(db, "SELECT * FROM public_holiday WHERE deleted_at IS NULL ORDER BY starts_on")


def validate_holiday(data: dict) -> tuple[dict, dict]:
    """Check a holiday: a name, a first and last day (last not before first)."""
    errors: dict = {}
    clean = {"name": str(data.get("name") or "").strip()[:100]}
    if not clean["name"]:
        errors["name"] = "required"
    for key in ("starts_on", "ends_on"):
        raw = str(data.get(key) or "").strip()
        try:
            clean[key] = date.fromisoformat(raw).isoformat()
        except ValueError:
            clean[key] = raw
            errors[key] = "required" if not raw else "invalid_date"
    if not errors and clean["ends_on"] < clean["starts_on"]:
        errors["ends_on"] = "ends_before_start"
    value = data.get("provisional")
    clean["provisional"] = 1 if value in (True, 1, "1", "on", "true") else 0
    return clean, errors


def save_holiday(db, actor_id, clean: dict, holiday_id: str | None = None) -> dict:
    """Add a holiday, or change one."""
    if holiday_id:
        return records.update(db, "public_holiday", holiday_id, clean, actor_id)
    return records.insert(db, "public_holiday", clean, actor_id)


def remove_holiday(db, actor_id, holiday_id: str) -> dict:
    """Delete a holiday (devices drop it on their next pull)."""
    return records.update(
        db, "public_holiday", holiday_id, {"deleted_at": now_utc()}, actor_id, action="delete"
    )


def load_holidays(db, actor_id, path: str) -> dict:
    """Load holidays from a JSON file like server/care/holidays_cn.json.

    A holiday with the same name in the same year as a live one updates it (a provisional
    day replaced by the State Council's arrangement); others are added.
    Returns counts; a bad entry raises ValueError naming it, and nothing is written.
    """
    with open(path, encoding="utf-8") as fh:
        found = json.load(fh)
    entries = found.get("holidays") if isinstance(found, dict) else None
    if not isinstance(entries, list):
        raise ValueError('expected {"holidays": [{"name", "starts_on", "ends_on"}, ...]}')
    cleaned = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"entry {n}: expected an object with name, starts_on, ends_on")
        clean, errors = validate_holiday(entry)
        if errors:
            raise ValueError(f"entry {n}: {', '.join(f'{k} {v}' for k, v in errors.items())}")
        cleaned.append(clean)
    added = changed = 0
    with db.atomic():
        for clean in cleaned:
            row = one(
                db,
                "SELECT * FROM public_holiday WHERE substr(starts_on, 1, 4) = ? AND name = ?"
                " AND deleted_at IS NULL",
                [clean["starts_on"][:4], clean["name"]],
            )
            if row is None:
                save_holiday(db, actor_id, clean)
                added += 1
            elif any(row[k] != v for k, v in clean.items()):
                save_holiday(db, actor_id, clean, row["id"])
                changed += 1
    return {"added": added, "changed": changed, "unchanged": len(cleaned) - added - changed}

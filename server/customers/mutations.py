"""Field corrections of customers and their contacts, registered with the sync protocol.

An account manager fixes what they see at the customer: contacts (name, title, phone, email,
birthday, key dates, notes) and the customer's address, notes, founding day and location
("set location here" from the phone's GPS). Edits merge per field, last writer wins by HLC
(sync.fields, as visit.update). What decides scores and service — class, grade, size,
account manager, organisation — stays with supervisors on the web (`supervisor_only`).

A location moved further than CUSTOMER_MOVE_HOLD_METERS (ours: 200 m) from the one recorded
changes every later visit's distance flag, so it is held for a supervisor (a late edit with
reason `location_moved`, applied from the review desk); a customer without a location takes
the first fix directly. Every id is checked against the caller's scope now: another team's
contact is `unknown_contact`, another's customer `unknown_customer` (never a false success);
work on a customer reassigned while the device was offline is held as a late edit.
"""

import json
import re
from datetime import date

from sync import PermanentError
from sync import args as check
from sync.fields import load_clock, merge

from .. import records, scope
from ..db import one
from ..held import hold_late
from ..visits.rules import gps_evidence
from .sync import customer_in_scope

CONTACT_FIELDS = ("name", "title", "phone", "email", "birthday", "key_dates", "notes")
LOCATION = ("lat", "lon", "location_accuracy", "located_at")
CUSTOMER_FIELDS = ("address", "notes", "founded_on", *LOCATION)
# Named by a field user: refused whole with the reason, nothing applied.
SUPERVISOR_ONLY = frozenset(
    {
        "code",
        "name",
        "industry",
        "handsets",
        "top500",
        "computed_class",
        "class_override",
        "class_override_reason",
        "customer_class",
        "sla_grade",
        "account_manager_id",
        "org_id",
        "deleted_at",
    }
)
MAX_NAME, MAX_TITLE, MAX_PHONE, MAX_EMAIL = 200, 200, 30, 254
MAX_NOTES, MAX_ADDRESS, MAX_KEY_DATES, MAX_LABEL = 5000, 500, 20, 100
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]*(?:(?:#|ext\.?|转)[0-9]{1,6})?", re.ASCII)
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
EARLIEST = "1900-01-01"


# ---- validation: one rule for the device, the review desk and the web forms ----


def phone_problem(value: str) -> str | None:
    """Why a phone number is not one (None when it is, or is empty)."""
    if value and (not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 3):
        return "digits, spaces, + - ( ) and an extension after #, at least 3 digits"
    return None


def email_problem(value: str) -> str | None:
    """Why an email address is not one (None when it is, or is empty)."""
    if value and not EMAIL.fullmatch(value):
        return "an address like name@example.com"
    return None


def _past_day(fields: dict, key: str, today: str, prefix: str = "fields.") -> str | None:
    name = f"{prefix}{key}"
    value = check.day(fields, key, required=False, name=name)
    if value is not None and not EARLIEST <= value <= today:
        raise check.bad(name, f"{name} must be a day from {EARLIEST} to today")
    return value


def _key_dates(fields: dict, prefix: str) -> str:
    value = fields["key_dates"]
    if value is None:
        return "[]"
    if not isinstance(value, list) or len(value) > MAX_KEY_DATES:
        name = f"{prefix}key_dates"
        raise check.bad(name, f"{name} must be a list of at most {MAX_KEY_DATES} dates")
    out = []
    for n, entry in enumerate(value):
        name = f"{prefix}key_dates[{n}]"
        if not isinstance(entry, dict):
            raise check.bad(name, f"{name} must be an object {{label, date}}")
        label = check.text(
            entry, "label", max_length=MAX_LABEL, required=True, name=f"{name}.label"
        )
        out.append({"label": label, "date": check.day(entry, "date", name=f"{name}.date")})
    return json.dumps(out, ensure_ascii=False)


def validate_contact(fields: dict, *, today: str | None = None, prefix="fields.") -> dict:
    """Clean contact fields (any subset of CONTACT_FIELDS); bad_args naming the one at fault
    (`prefix` + its key: `fields.phone` in an update, `phone` in contact.add)."""
    today = today or date.today().isoformat()
    clean: dict = {}
    limits = {"name": MAX_NAME, "title": MAX_TITLE, "phone": MAX_PHONE, "email": MAX_EMAIL}
    for key, limit in limits.items():
        if key in fields:
            clean[key] = check.text(
                fields, key, max_length=limit, required=key == "name", name=f"{prefix}{key}"
            )
    for key, problem in (("phone", phone_problem), ("email", email_problem)):
        reason = problem(clean.get(key, ""))
        if reason:
            raise check.bad(f"{prefix}{key}", f"{prefix}{key} must be {reason}")
    if "birthday" in fields:
        clean["birthday"] = _past_day(fields, "birthday", today, prefix)
    if "key_dates" in fields:
        clean["key_dates"] = _key_dates(fields, prefix)
    if "notes" in fields:
        clean["notes"] = check.text(
            fields, "notes", max_length=MAX_NOTES, strip=False, name=f"{prefix}notes"
        )
    return clean


def validate_customer(fields: dict, *, today: str | None = None) -> dict:
    """Clean customer fields a field user may set; the location's parts come together."""
    today = today or date.today().isoformat()
    clean: dict = {}
    if "address" in fields:
        clean["address"] = check.text(
            fields, "address", max_length=MAX_ADDRESS, name="fields.address"
        )
    if "notes" in fields:
        clean["notes"] = check.text(
            fields, "notes", max_length=MAX_NOTES, strip=False, name="fields.notes"
        )
    if "founded_on" in fields:
        clean["founded_on"] = _past_day(fields, "founded_on", today)
    if any(key in fields for key in LOCATION):
        lat = check.number(
            fields, "lat", minimum=-90, maximum=90, required=True, name="fields.lat"
        )
        lon = check.number(
            fields, "lon", minimum=-180, maximum=180, required=True, name="fields.lon"
        )
        accuracy = check.number(
            fields, "location_accuracy", minimum=0, maximum=1e6, name="fields.location_accuracy"
        )
        at = check.device_time(fields, "located_at", name="fields.located_at")
        clean.update(lat=lat, lon=lon, location_accuracy=accuracy, located_at=at)
    return clean


def _refuse_supervisor_only(args: dict) -> None:
    raw = args["fields"] if "fields" in args else None  # only its names; checked below
    if isinstance(raw, dict):
        named = sorted(SUPERVISOR_ONLY & {str(k) for k in raw})
        if named:
            raise PermanentError(
                "supervisor_only",
                "only a supervisor may change " + ", ".join(named) + " (on the website)",
                arg="fields",
            )


# ---- scope ----


def _contact(ctx, contact_id: str):
    """(contact, customer) when the caller may edit it now; (contact, None) when its customer
    was the caller's and was reassigned; `unknown_contact` when absent or never theirs."""
    contact = one(ctx.db, "SELECT * FROM contact WHERE id = ?", [contact_id])
    if contact is not None:
        where, params = scope.customers(ctx.caller)
        sql = f"SELECT * FROM customer WHERE id = ? AND {where}"
        customer = one(ctx.db, sql, [contact["customer_id"], *params])
        if customer is not None:
            return contact, customer
        column = "account_manager_id"
        if records.once_held(ctx.db, "customer", contact["customer_id"], column, ctx.user_id):
            return contact, None
    raise PermanentError("unknown_contact", "no such contact", arg="id")


def _fields(args: dict, allowed, *, customer: bool = False) -> dict:
    if customer:
        _refuse_supervisor_only(args)
    return check.fields(args, allowed=allowed)


# ---- handlers ----


def contact_add(ctx, args):
    """contact.add {id, customer_id, name, title?, phone?, email?, birthday?, key_dates?,
    notes?}: a new contact of one of the caller's customers."""
    contact_id, customer_id = check.uuid_id(args), check.uuid_id(args, "customer_id")
    given = {key: args[key] for key in CONTACT_FIELDS if key in args}
    clean = validate_contact({"name": None, **given}, prefix="")
    existing = one(ctx.db, "SELECT * FROM contact WHERE id = ?", [contact_id])
    if existing is not None:
        try:
            mine = existing["customer_id"] == customer_id and _contact(ctx, contact_id)[1]
        except PermanentError:
            mine = None
        if not mine:
            raise check.taken()
        return {"id": contact_id, "already": True}
    customer = customer_in_scope(ctx, args)
    if customer is None:
        return hold_late(ctx, "contact", contact_id, "reassigned", args)
    values = {"id": contact_id, "customer_id": customer["id"], **clean}
    row = records.insert(ctx.db, "contact", values, ctx.user_id)
    return {"id": contact_id, "version": row["version"]}


def contact_update(ctx, args):
    """contact.update {id, fields}: name, title, phone, email, birthday, key_dates, notes
    (last writer wins per field)."""
    contact_id = check.uuid_id(args)
    fields = validate_contact(_fields(args, CONTACT_FIELDS))
    contact, customer = _contact(ctx, contact_id)
    if customer is None:
        return hold_late(ctx, "contact", contact_id, "reassigned", args)
    if contact["deleted_at"]:
        raise PermanentError("contact_removed", "this contact was removed", arg="id")
    result = merge(contact, load_clock(contact["field_clock"]), fields, ctx.hlc, None, ())
    row = records.update(
        ctx.db, "contact", contact_id, result.apply, ctx.user_id, clock=result.clock
    )
    return {"id": contact_id, "version": row["version"], "ignored": result.ignored}


def contact_remove(ctx, args):
    """contact.remove {id}: the contact is gone (a tombstone devices learn of)."""
    contact_id = check.uuid_id(args)
    contact, customer = _contact(ctx, contact_id)
    if customer is None:
        return hold_late(ctx, "contact", contact_id, "reassigned", args)
    if contact["deleted_at"]:
        return {"id": contact_id, "already": True}
    changes = {"deleted_at": ctx.server_time}
    row = records.update(ctx.db, "contact", contact_id, changes, ctx.user_id, "delete")
    return {"id": contact_id, "version": row["version"]}


def _moved_m(customer: dict, lat: float, lon: float) -> float | None:
    if customer["lat"] is None or customer["lon"] is None:
        return None
    distance, _flag = gps_evidence(
        lat, lon, 0, customer["lat"], customer["lon"], far_m=0, low_accuracy_m=0
    )
    return distance


def customer_update(ctx, args):
    """customer.update {id, fields}: address, notes, founded_on, and the location (lat, lon,
    location_accuracy, located_at together); last writer wins per field. A location moved
    beyond CUSTOMER_MOVE_HOLD_METERS is held for a supervisor."""
    customer_id = check.uuid_id(args)
    fields = validate_customer(_fields(args, CUSTOMER_FIELDS, customer=True))
    customer = customer_in_scope(ctx, args, key="id")
    if customer is None:
        return hold_late(ctx, "customer", customer_id, "reassigned", args)
    clock = load_clock(customer["field_clock"])
    result = merge(customer, clock, fields, ctx.hlc, None, ())
    held = None
    if "lat" in result.apply:
        moved = _moved_m(customer, result.apply["lat"], result.apply["lon"])
        limit = (ctx.extra.get("config") or {}).get("CUSTOMER_MOVE_HOLD_METERS", 200)
        if moved is not None and moved > limit:
            location = {key: result.apply[key] for key in LOCATION}
            kept = {"id": customer_id, "fields": location, "moved_m": moved}
            held = hold_late(ctx, "customer", customer_id, "location_moved", kept)
            rest = {k: v for k, v in fields.items() if k not in LOCATION}
            result = merge(customer, clock, rest, ctx.hlc, None, ())
    row = records.update(
        ctx.db, "customer", customer_id, result.apply, ctx.user_id, clock=result.clock
    )
    if held:
        return held
    return {"id": customer_id, "version": row["version"], "ignored": result.ignored}


MUTATIONS = {
    "contact.add": contact_add,
    "contact.update": contact_update,
    "contact.remove": contact_remove,
    "customer.update": customer_update,
}

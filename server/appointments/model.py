"""Appointments (预约服务): record a customer's request, convert it, track its outcome.

Outcome rule. The stored status moves open → planned (converted into a planned visit or a
work order, linked by visit_id / work_order_id) → done or cancelled (closed by staff, with
the outcome in words). "Done" is also COMPUTED on display, never stored: a planned
appointment whose linked visit is completed or approved, or whose work order is resolved,
submitted, approved or closed, shows as done. Being computed, it follows the record: a
visit returned for rework makes the appointment planned again until it is resubmitted. A
planned appointment whose visit or order was cancelled may be converted again.
"""

from datetime import datetime, timedelta

from .. import records, scope
from ..db import one, rows, sql_in
from ..fields import choice, scoped_id, text
from ..ids import now_utc
from ..scope import Caller
from ..times import local_day, local_form_time, to_stored, zone
from ..visits.rules import PURPOSES
from ..visits.statuses import DONE as VISIT_DONE
from ..work_orders import model as orders
from ..work_orders.statuses import DONE as ORDER_DONE

ORDER_TYPES = ("on_demand", "fault_repair")
LIMITS = {"need": 2000, "contact_name": 200, "contact_phone": 50}

EFFECTIVE = (
    f"CASE WHEN a.status = 'planned' AND (v.status IN {sql_in(VISIT_DONE)}"
    f" OR w.status IN {sql_in(ORDER_DONE)}) THEN 'done'"
    " ELSE a.status END"
)
SELECT = (
    f"SELECT a.*, {EFFECTIVE} AS effective_status, c.name AS customer_name,"
    " c.code AS customer_code, v.status AS visit_status, v.planned_date AS visit_planned_date,"
    " w.status AS work_order_status, w.code AS work_order_code,"
    " r.display_name AS recorder_name, m.display_name AS account_manager_name"
    " FROM appointment a JOIN customer c ON c.id = a.customer_id"
    " LEFT JOIN visit v ON v.id = a.visit_id LEFT JOIN work_order w ON w.id = a.work_order_id"
    " LEFT JOIN app_user r ON r.id = a.recorded_by"
    " LEFT JOIN app_user m ON m.id = a.account_manager_id"
)
ORDER_BY = "a.wanted_at DESC, a.id"


def visible(caller: Caller, alias: str = "appointment") -> tuple[str, list]:
    """Appointments the caller may see: a supervisor's subtree; an account manager's own
    customers' (as recorded: the customer's account manager when the request came in)."""
    return scope.owned(caller, alias, "account_manager_id")


def wanted_time(raw: str, tz: str | None = None) -> str | None:
    """A wanted time as stored UTC; a time without an offset is in `tz` (default: the local
    zone). None if unreadable."""
    try:
        moment = local_form_time(raw, tz)
    except (ValueError, AttributeError):
        return None
    return to_stored(moment)


def validate_record(db, caller: Caller, data: dict, tz: str) -> tuple[dict, dict]:
    """Read the request: a customer in scope, the wanted time, the need, the contact."""
    errors: dict = {}
    clean = {key: text(data, key) for key in ("wanted_at", *LIMITS)}
    clean["customer_id"] = scoped_id(db, caller, data, errors, "customer", required=True)
    if not clean["wanted_at"]:
        errors["wanted_at"] = "required"
    elif (wanted := wanted_time(clean["wanted_at"], tz)) is None:
        errors["wanted_at"] = "invalid_datetime"
    else:
        clean["wanted_at"] = wanted
    if not clean["need"]:
        errors["need"] = "required"
    for key, limit in LIMITS.items():
        if len(clean[key]) > limit:
            errors[key] = "too_long"
    return clean, errors


def record(db, actor_id, clean: dict, appointment_id: str | None = None) -> dict:
    """Store a valid request under its customer's organisation and account manager."""
    customer = one(
        db, "SELECT org_id, account_manager_id FROM customer WHERE id = ?", [clean["customer_id"]]
    )
    values = {k: clean[k] for k in ("customer_id", "wanted_at", *LIMITS)}
    values.update(
        org_id=customer["org_id"],
        account_manager_id=customer["account_manager_id"],
        recorded_by=actor_id,
        status="open",
    )
    if appointment_id:
        values["id"] = appointment_id
    return records.insert(db, "appointment", values, actor_id)


def get_scoped(db, caller: Caller, appointment_id: str) -> dict | None:
    """One appointment with its effective status and links, if the caller may see it."""
    where, params = visible(caller, "a")
    return one(db, f"{SELECT} WHERE a.id = ? AND {where}", [appointment_id, *params])


def list_query(caller: Caller, status: str = "") -> tuple[str, list]:
    """Appointments in scope, optionally of one effective status (for web.paginate)."""
    where, params = visible(caller, "a")
    sql = f"{SELECT} WHERE a.deleted_at IS NULL AND {where}"
    if status:
        sql += f" AND {EFFECTIVE} = ?"
        params = [*params, status]
    return sql, params


def convertible(appointment: dict) -> bool:
    """Open, or planned but its visit or work order was cancelled."""
    if appointment["status"] == "open":
        return True
    cancelled = "cancelled" in (appointment["visit_status"], appointment["work_order_status"])
    return appointment["status"] == "planned" and cancelled


def wanted_day(appointment: dict) -> str:
    """The Beijing calendar day of the wanted time (the planned visit's default date)."""
    return local_day(appointment["wanted_at"])


def validate_visit(data: dict, appointment: dict) -> tuple[dict, dict]:
    """Read the convert-to-visit form: planned date (default: the wanted day), purpose."""
    errors: dict = {}
    clean = {"planned_date": text(data, "planned_date"), "purpose": text(data, "purpose")}
    clean["planned_date"] = clean["planned_date"] or wanted_day(appointment)
    try:
        datetime.fromisoformat(clean["planned_date"])
    except ValueError:
        errors["planned_date"] = "invalid_date"
    choice(clean, errors, "purpose", PURPOSES, default="routine")
    return clean, errors


def _link(db, actor_id, appointment_id: str, **link) -> dict:
    changes = dict(link, status="planned", converted_at=now_utc())
    return records.update(db, "appointment", appointment_id, changes, actor_id, "convert")


def to_visit(db, actor_id, appointment: dict, clean: dict) -> dict:
    """Plan a visit for the customer's account manager and link it; ValueError without one."""
    customer = one(db, "SELECT * FROM customer WHERE id = ?", [appointment["customer_id"]])
    if not customer["account_manager_id"]:
        raise ValueError("no_account_manager")
    values = dict(
        customer_id=customer["id"],
        account_manager_id=customer["account_manager_id"],
        org_id=customer["org_id"],
        status="planned",
        planned_date=clean["planned_date"],
        purpose=clean["purpose"],
        notes=appointment["need"],
    )
    with db.atomic():
        visit = records.insert(db, "visit", values, actor_id)
        return _link(db, actor_id, appointment["id"], visit_id=visit["id"], work_order_id=None)


def validate_order(db, caller: Caller, data: dict, appointment: dict) -> tuple[dict, dict]:
    """Read the convert-to-work-order form: type, optional site in scope, title, assignment."""
    from ..work_orders.dispatch import validate_assignment

    errors: dict = {}
    clean = {"wo_type": text(data, "wo_type"), "title": text(data, "title")}
    choice(clean, errors, "wo_type", ORDER_TYPES)
    clean["title"] = clean["title"] or appointment["need"][:80]
    clean["site_id"] = scoped_id(db, caller, data, errors, "site")
    clean.update(validate_assignment(db, caller, data, errors))
    return clean, errors


def to_order(db, actor_id, appointment: dict, clean: dict) -> dict:
    """Dispatch a work order for the request (SLA from the customer's grade) and link it."""
    contact = " ".join(filter(None, (appointment["contact_name"], appointment["contact_phone"])))
    description = appointment["need"] + (f"\n{contact}" if contact else "")
    fields = {k: v for k, v in clean.items() if v not in (None, "")}
    with db.atomic():
        order = orders.create_order(
            db,
            actor_id,
            org_id=appointment["org_id"],
            customer_id=appointment["customer_id"],
            description=description,
            **fields,
        )
        return _link(db, actor_id, appointment["id"], work_order_id=order["id"], visit_id=None)


def close(db, actor_id, appointment: dict, status: str, outcome: str) -> dict:
    """Close by hand: done or cancelled, with the outcome in words (required)."""
    if status not in ("done", "cancelled") or appointment["status"] in ("done", "cancelled"):
        raise ValueError("not_closable")
    if not outcome.strip():
        raise ValueError("outcome_required")
    changes = {"status": status, "outcome": outcome.strip(), "closed_at": now_utc()}
    return records.update(db, "appointment", appointment["id"], changes, actor_id, status)


def later(days: int) -> str:
    """A default wanted time: `days` from now, on the hour (for the form)."""
    moment = datetime.now(zone()) + timedelta(days=days)
    return moment.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def customer_sites(db, caller: Caller, customer_id: str) -> list[dict]:
    """The customer's sites the caller may see (a work order's optional site)."""
    where, params = scope.sites(caller)
    sql = "SELECT site.id, site.code, site.name FROM site WHERE site.customer_id = ?"
    sql += f" AND site.deleted_at IS NULL AND {where} ORDER BY site.code"
    return rows(db, sql, [customer_id, *params])

"""The conflicts and late-edits inbox: what sync kept for a supervisor (sync/conflicts.py).

A conflict row is in the caller's scope when its record is (a visit or work order by their
scope rules; a visit or an appointment never created because its customer had moved: by
that customer) AND
its author is: a user of the caller's organisation subtree, or a technician of a contractor
the caller may name (scope.contractors: one serving their organisation). So a field user
can only ever reach the supervisors above them; a record moved between branches shows its
held items to the supervisors over both (the lowest common one and up), docs/decisions.md.
Resolving it is one decision per row:

- a field conflict (a guarded field edited on a stale base): accept the device's value (it
  is written to the record as the supervisor) or keep the server's;
- a late edit (sent after approval, cancellation or reassignment): for `visit.update` and
  `work_order.update` (and `customer.update`, `contact.update`: a held location move
  applies as a whole fix) apply the fields the supervisor picks, as the supervisor; a held
  `follow_up.done` is applied whole (visits/followups.apply_held); for any other mutation
  only mark it seen; or dismiss it.

Either way the row is closed with its resolution, who and when, and the audit log has it.
"""

import json
import time

from sync import PermanentError
from sync.fields import PENDING, load_clock
from sync.hlc import make

from .. import records, scope
from ..customers.mutations import LOCATION, validate_contact, validate_customer
from ..db import one
from ..ids import now_utc
from ..scope import Caller
from ..visits import followups
from ..visits.mutations import EDITABLE, GUARDED, validate_edit
from ..work_orders.mutations import REPORT_FIELDS, validate_report

APPLICABLE = {
    "visit.update": validate_edit,
    "work_order.update": validate_report,
    "customer.update": validate_customer,  # a held location move: applying it moves it
    "contact.update": validate_contact,
}
# Late edits applied whole (no fields to pick): mutation → apply(db, actor, conflict, args).
APPLICABLE_WHOLE = {"follow_up.done": followups.apply_held}
ACCEPTABLE_FIELDS = {"visit": GUARDED | EDITABLE, "work_order": REPORT_FIELDS}
RESOLUTIONS = ("accepted_device", "kept_server", "applied", "seen", "dismissed")

SELECT = """
    SELECT c.*, u.display_name AS user_name, sc.app_version, ml.device_time,
           coalesce(vc.name, wo.code, ct.name) AS record_name,
           coalesce(v.status, wo.status) AS record_status
    FROM conflict c
    LEFT JOIN app_user u ON u.id = c.user_id
    LEFT JOIN sync_client sc ON sc.client_id = c.client_id
    LEFT JOIN mutation_log ml ON ml.client_id = c.client_id AND ml.mutation_id = c.mutation_id
    LEFT JOIN follow_up fu ON c.entity = 'follow_up' AND fu.id = c.entity_id
    LEFT JOIN visit v ON v.id = CASE c.entity WHEN 'visit' THEN c.entity_id
                                               WHEN 'follow_up' THEN fu.visit_id END
    LEFT JOIN contact ct ON c.entity = 'contact' AND ct.id = c.entity_id
    LEFT JOIN complaint k ON c.entity = 'complaint' AND k.id = c.entity_id
    LEFT JOIN customer vc ON vc.id = coalesce(v.customer_id, ct.customer_id, k.customer_id,
        CASE WHEN c.entity = 'customer' THEN c.entity_id END,
        json_extract(c.args, '$.customer_id'))
    LEFT JOIN work_order wo ON c.entity = 'work_order' AND wo.id = c.entity_id
    WHERE c.status = 'open'
"""
ORDER_BY = "c.created_at, c.id"


class Refused(ValueError):
    """This resolution does not fit this conflict; the message says why."""


def _in_scope(caller: Caller) -> tuple[str, list]:
    visits, p1 = scope.visits(caller, "vs")
    orders, p2 = scope.work_orders(caller, "ws")
    customers, p3 = scope.customers(caller, "cs")
    appointments, p6 = scope.customers(caller, "ca")
    field_customers, p7 = scope.customers(caller, "cf")
    follow_ups, p8 = scope.visits(caller, "vf")
    complaints, p9 = scope.complaints(caller, "ks")
    complaint_customers, p10 = scope.customers(caller, "ck")
    sql = (
        "((c.entity = 'visit' AND (EXISTS (SELECT 1 FROM visit vs WHERE vs.id = c.entity_id"
        f" AND {visits}) OR (NOT EXISTS (SELECT 1 FROM visit vx WHERE vx.id = c.entity_id)"
        " AND EXISTS (SELECT 1 FROM customer cs WHERE"
        f" cs.id = json_extract(c.args, '$.customer_id') AND {customers}))))"
        " OR (c.entity = 'work_order' AND EXISTS (SELECT 1 FROM work_order ws"
        f" WHERE ws.id = c.entity_id AND {orders}))"
        " OR (c.entity = 'appointment' AND EXISTS (SELECT 1 FROM customer ca WHERE"
        f" ca.id = json_extract(c.args, '$.customer_id') AND {appointments}))"
        " OR (c.entity IN ('customer', 'contact') AND EXISTS (SELECT 1 FROM customer cf WHERE"
        " cf.id = coalesce((SELECT cn.customer_id FROM contact cn WHERE c.entity = 'contact'"
        " AND cn.id = c.entity_id), CASE WHEN c.entity = 'customer' THEN c.entity_id END,"
        f" json_extract(c.args, '$.customer_id')) AND {field_customers}))"
        " OR (c.entity = 'follow_up' AND EXISTS (SELECT 1 FROM follow_up fs"
        f" JOIN visit vf ON vf.id = fs.visit_id WHERE fs.id = c.entity_id AND {follow_ups}))"
        " OR (c.entity = 'complaint' AND (EXISTS (SELECT 1 FROM complaint ks"
        f" WHERE ks.id = c.entity_id AND {complaints}) OR (NOT EXISTS (SELECT 1 FROM complaint kx"
        " WHERE kx.id = c.entity_id) AND EXISTS (SELECT 1 FROM customer ck WHERE"
        f" ck.id = json_extract(c.args, '$.customer_id') AND {complaint_customers})))))"
    )
    users, p4 = scope.users(caller, "au")
    contractors, p5 = scope.contractors(caller, "ak")
    author = (
        f"EXISTS (SELECT 1 FROM app_user au WHERE au.id = c.user_id AND ({users}"
        f" OR EXISTS (SELECT 1 FROM org ak WHERE ak.id = au.org_id AND {contractors})))"
    )
    return f"({sql} AND {author})", [*p1, *p3, *p2, *p6, *p7, *p8, *p9, *p10, *p4, *p5]


def query(caller: Caller) -> tuple[str, list]:
    """(sql, params) of the open conflicts and late edits the caller may resolve."""
    where, params = _in_scope(caller)
    return f"{SELECT} AND {where}", params


def find(db, caller: Caller, conflict_id: str) -> dict | None:
    """One open conflict in the caller's scope, with its evidence, or None."""
    sql, params = query(caller)
    found = one(db, f"{sql} AND c.id = ?", [*params, conflict_id])
    return evidence(db, [found])[0] if found else None


def _loads(value):
    try:
        return json.loads(value) if value is not None else None
    except ValueError:
        return value


def evidence(db, conflicts: list[dict]) -> list[dict]:
    """Add what a supervisor weighs: the args sent, and per field the server's current value
    beside the device's (a field conflict's own pair, or each field of a held edit)."""
    for c in conflicts:
        args = _loads(c["args"])
        c["args_shown"] = json.dumps(args, ensure_ascii=False, indent=2, sort_keys=True)
        c["applicable"] = c["kind"] == "late_edit" and c["mutation_name"] in APPLICABLE
        c["whole"] = c["kind"] == "late_edit" and c["mutation_name"] in APPLICABLE_WHOLE
        current = records.get(db, c["entity"], c["entity_id"]) or {}
        if c["kind"] == "field":
            c["fields"] = [
                dict(
                    name=c["field"],
                    server=_loads(c["server_value"]),
                    device=_loads(c["client_value"]),
                    now=current.get(c["field"]),
                )
            ]
        elif c["applicable"] and isinstance(args, dict) and isinstance(args.get("fields"), dict):
            c["fields"] = [
                dict(name=k, server=current.get(k), device=v)
                for k, v in sorted(args["fields"].items())
            ]
        elif c["whole"] and isinstance(args, dict):
            shown = (("done_device_at", "at"), ("done_note", "note"))
            c["fields"] = [
                dict(name=k, server=current.get(k), device=args.get(a)) for k, a in shown
            ]
        else:
            c["fields"] = []
    return conflicts


def _server_clock(db, table: str, row_id: str, fields) -> dict:
    """The record's field clock with these fields stamped now by the server, so an older
    edit still queued on a device cannot silently undo the supervisor's decision."""
    row = one(db, f"SELECT field_clock FROM [{table}] WHERE id = ?", [row_id])
    clock = load_clock(row["field_clock"] if row else None)
    stamp = make(int(time.time() * 1000), 0, "server")
    return {**clock, **{name: {"hlc": stamp, "v": PENDING} for name in fields}}


def _write(db, actor_id, conflict: dict, changes: dict, action: str) -> dict:
    table, row_id = conflict["entity"], conflict["entity_id"]
    if records.get(db, table, row_id) is None:
        raise Refused("the record does not exist on the server")
    clock = _server_clock(db, table, row_id, changes)
    return records.update(db, table, row_id, changes, actor_id, action, clock=clock)


def close(db, actor_id, conflict: dict, resolution: str) -> None:
    """Mark a conflict resolved (resolution, who, when) and audit it."""
    at = now_utc()
    cur = db.execute(
        "UPDATE conflict SET status = 'resolved', resolution = ?, resolved_by = ?,"
        " resolved_at = ? WHERE id = ? AND status = 'open'",
        [resolution, actor_id, at, conflict["id"]],
    )
    if cur.rowcount != 1:
        raise Refused("this conflict is already resolved")
    after = {"status": "resolved", "resolution": resolution, "resolved_at": at}
    records.audit(db, actor_id, "resolve", "conflict", conflict["id"], {"status": "open"}, after)


def resolve_field(db, actor_id, conflict: dict, choice: str) -> None:
    """A field conflict: 'device' writes the device's value to the record, 'server' keeps it."""
    if conflict["kind"] != "field" or choice not in ("device", "server"):
        raise Refused("choose the device's value or the server's")
    with db.atomic():
        if choice == "device":
            if conflict["field"] not in ACCEPTABLE_FIELDS.get(conflict["entity"], ()):
                raise Refused(f"{conflict['field']} cannot be set from here")
            value = _loads(conflict["client_value"])
            _write(db, actor_id, conflict, {conflict["field"]: value}, "accept_conflict")
        close(db, actor_id, conflict, "accepted_device" if choice == "device" else "kept_server")


def apply_late_edit(db, actor_id, conflict: dict, chosen) -> None:
    """Apply the chosen fields of a held visit.update / work_order.update as the supervisor;
    a held follow_up.done is applied whole (it closes the follow-up as the device said)."""
    if conflict["kind"] == "late_edit" and conflict["mutation_name"] in APPLICABLE_WHOLE:
        apply = APPLICABLE_WHOLE[conflict["mutation_name"]]
        args = _loads(conflict["args"])
        with db.atomic():
            try:
                apply(db, actor_id, conflict, args if isinstance(args, dict) else {})
            except ValueError as exc:
                raise Refused(str(exc)) from exc
            close(db, actor_id, conflict, "applied")
        return
    validate = APPLICABLE.get(conflict["mutation_name"])
    if conflict["kind"] != "late_edit" or validate is None:
        raise Refused("only an edit of a visit or a work-order report can be applied")
    fields = (_loads(conflict["args"]) or {}).get("fields") or {}
    picked = {k: v for k, v in fields.items() if k in set(chosen)}
    if not picked:
        raise Refused("pick at least one field to apply")
    if conflict["mutation_name"] == "customer.update" and set(picked) & set(LOCATION):
        picked.update({k: v for k, v in fields.items() if k in LOCATION})  # one fix, whole
    try:
        changes = validate(picked)
    except PermanentError as exc:
        raise Refused(exc.message) from exc
    with db.atomic():
        _write(db, actor_id, conflict, changes, "apply_late_edit")
        close(db, actor_id, conflict, "applied")


def set_aside(db, actor_id, conflict: dict, resolution: str) -> None:
    """Close a late edit without applying it: 'seen' (noted) or 'dismissed'."""
    if resolution not in ("seen", "dismissed"):
        raise Refused("unknown resolution")
    with db.atomic():
        close(db, actor_id, conflict, resolution)


def resolved(db, conflict_id: str) -> dict | None:
    """A conflict row after resolution, for the row that replaces it on the page."""
    return one(
        db,
        "SELECT c.*, u.display_name AS resolved_by_name FROM conflict c"
        " LEFT JOIN app_user u ON u.id = c.resolved_by WHERE c.id = ?",
        [conflict_id],
    )

"""Demo work orders: 150 orders over the 30 days before a fixed day, every type and status.

Times are fixed offsets from ANCHOR (never the clock), so the same seed gives the same rows;
orders still running at ANCHOR show as breached once that day has passed, as they would.
The default checklist templates and an inspection plan per site type are seeded first, so
every demo inspection has its site type's checklist, answered in full (every item passing)
once it is past on site. Half the submitted orders of contractor technicians are
pre-checked by their contractor's supervisor (两不三可): the operator's supervisors decide.
"""

import json
from datetime import UTC, datetime, timedelta

from .. import records
from ..db import one, rows
from ..inspections import checklists
from ..times import from_stored, to_stored
from ..work_orders import model

ANCHOR = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
ORDERS = 150
DAYS = 30
TYPES = ("fault_repair",) * 5 + ("on_demand",) * 2 + ("accompanying", "inspection")
# Where an order's life stopped, with weights: most are done, some open, a few cancelled.
ENDS = {
    "dispatched": 8,
    "accepted": 5,
    "en_route": 4,
    "on_site": 5,
    "resolved": 5,
    "submitted": 8,
    "approved": 10,
    "returned": 3,
    "closed": 45,
    "cancelled": 5,
}
PATH = ("accepted", "en_route", "on_site", "resolved", "submitted")
TITLES = ("基站退服", "传输中断", "专线故障", "电源告警", "搬迁测试", "随工配合", "天馈检查")


def _staff(db) -> list[dict]:
    return rows(
        db,
        "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' ORDER BY o.code, u.username",
    )


def _steps(end: str) -> list[str]:
    """The statuses an order went through to reach `end` (after dispatch)."""
    if end in ("dispatched", "cancelled"):
        return []
    if end in PATH:
        return list(PATH[: PATH.index(end) + 1])
    return [*PATH, end] if end != "closed" else [*PATH, "approved", "closed"]


def _times(dispatched: datetime, order: dict, steps: list[str], late: bool, rng) -> dict:
    """Step times: on time, or past the deadline for a late order."""
    out, at = {}, dispatched
    due = {
        "accepted": order["response_due_at"],
        "on_site": order["arrival_due_at"],
        "resolved": order["restore_due_at"],
    }
    for step in steps:
        if due.get(step):  # fault repairs have three clocks, other types a due time only
            limit = from_stored(due[step])
            at = (
                limit + timedelta(minutes=rng.randint(5, 90))
                if late
                else max(at + timedelta(minutes=1), limit - timedelta(minutes=rng.randint(1, 30)))
            )
        else:
            at = at + timedelta(minutes=rng.randint(5, 240))
        out[f"{step}_at"] = to_stored(at)
    return out


ANSWERED = ("resolved", "submitted", "approved", "returned", "closed")
DEMO_PHOTO = "0" * 64  # a photo item's answer names a photo that was never uploaded


def _words(value) -> list:
    return json.loads(value or "[]") if isinstance(value, str) else list(value or [])


def _passing(item: dict) -> dict:
    """An answer that passes its item (the middle of a reading's range, a good choice)."""
    kind, answer = item["kind"], {"passed": 1}
    if kind == "reading":
        low, high = item["min_value"], item["max_value"]
        answer["value_number"] = round((low + high) / 2, 2) if None not in (low, high) else 0
    elif kind == "choice":
        bad = set(_words(item["failing_choices"]))
        answer["value_text"] = next(c for c in _words(item["choices"]) if c not in bad)
    elif kind == "text":
        answer["value_text"] = "设备运行正常"
    if kind == "photo" or item["photo_required"]:
        answer["photo_sha256"] = DEMO_PHOTO
    return answer


def _answer_all(build, order: dict, at: str) -> None:
    for item in checklists.items_of(build.db, order["checklist_template_id"]):
        values = dict(
            _passing(item),
            id=build.next_id(),
            work_order_id=order["id"],
            item_id=item["id"],
            answered_device_at=at,
        )
        records.insert(build.db, "inspection_answer", values, order["assignee_id"])


def _plans(build) -> dict[str, dict]:
    """The default templates, and one active plan per site type over the city; returns the
    current template of each site type."""
    checklists.ensure_default_templates(build.db, new_id=build.next_id)
    city = one(build.db, "SELECT id FROM org WHERE kind = 'city' ORDER BY code LIMIT 1")
    start = (ANCHOR - timedelta(days=DAYS)).date().isoformat()
    found = {}
    for site_type, (name, _items) in checklists.DEFAULTS.items():
        found[site_type] = checklists.current_template(build.db, site_type)
        if city:
            values = dict(
                id=build.next_id(),
                name=f"{name}计划",
                org_id=city["id"],
                site_type=site_type,
                start_date=start,
                active=1,
            )
            records.insert(build.db, "inspection_plan", values, None)
    return found


def _one(build, sites: list[dict], staff: list[dict], templates: dict) -> dict:
    rng = build.rng
    site = rng.choice(sites)
    tech = rng.choice(staff)
    dispatched = ANCHOR - timedelta(minutes=rng.randint(30, DAYS * 24 * 60))
    wo_type = rng.choice(TYPES)
    extra = {}
    if wo_type == "inspection":
        extra["checklist_template_id"] = templates[site["site_type"]]["id"]
    order = model.create_order(
        build.db,
        None,
        id=build.next_id(),
        wo_type=wo_type,
        **extra,
        org_id=site["org_id"],
        at=to_stored(dispatched),
        title=rng.choice(TITLES),
        site_id=site["id"],
        customer_id=site["customer_id"],
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    end = rng.choices(list(ENDS), list(ENDS.values()))[0]
    changes = _times(dispatched, order, _steps(end), rng.random() < 0.2, rng)
    changes.pop("returned_at", None)
    changes["status"] = end
    if end == "cancelled":
        changes.update(
            cancelled_at=to_stored(dispatched + timedelta(hours=1)), cancel_reason="客户取消"
        )
    if end == "returned":
        changes["return_reason"] = "照片不清晰，请补拍"
    if "resolved_at" in changes:
        changes.update(diagnosis="电源模块故障", cause="模块老化", fix="更换电源模块")
    if wo_type == "inspection" and end in ANSWERED:
        _answer_all(build, order, changes["on_site_at"])
    return records.update(build.db, "work_order", order["id"], changes, None, "seed")


def _prechecks(build, orders: list[dict]) -> None:
    """Every other submitted order of a contractor's technician, pre-checked by the
    contractor's supervisor (no approval: that is the operator's)."""
    supervisors = {
        r["org_id"]: r["id"]
        for r in rows(
            build.db,
            "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
            " WHERE o.kind = 'contractor' AND u.role = 'supervisor' ORDER BY u.username",
        )
    }
    waiting = [o for o in orders if o["status"] == "submitted"]
    waiting = [o for o in waiting if o["assigned_org_id"] in supervisors]
    for order in waiting[::2]:
        who = supervisors[order["assigned_org_id"]]
        at = order["submitted_at"]
        changes = {"prechecked_at": at, "prechecked_by": who}
        row = records.update(build.db, "work_order", order["id"], changes, who, "precheck")
        values = dict(
            entity="work_order",
            entity_id=row["id"],
            action="precheck",
            reason="资料齐全，请审核",
            reviewer_id=who,
            at=at,
            org_id=row["org_id"],
        )
        records.insert(build.db, "review", dict(values, id=build.next_id()), who)


def seed_work_orders(build, count: int = ORDERS) -> list[dict]:
    """Create `count` orders at the demo sites, assigned to the demo technicians."""
    templates = _plans(build)
    sites = rows(build.db, "SELECT id, org_id, customer_id, site_type FROM site ORDER BY code")
    staff = _staff(build.db)
    orders = [_one(build, sites, staff, templates) for _ in range(count)]
    _prechecks(build, orders)
    return orders

"""Demo work orders: 150 orders over the 30 days before a fixed day, every type and status.

Times are fixed offsets from ANCHOR (never the clock), so the same seed gives the same rows;
orders still running at ANCHOR show as breached once that day has passed, as they would.
"""

from datetime import UTC, datetime, timedelta

from .. import records
from ..db import rows
from ..work_orders import model
from ..work_orders.sla import iso, parse

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
            limit = parse(due[step])
            at = (
                limit + timedelta(minutes=rng.randint(5, 90))
                if late
                else max(at + timedelta(minutes=1), limit - timedelta(minutes=rng.randint(1, 30)))
            )
        else:
            at = at + timedelta(minutes=rng.randint(5, 240))
        out[f"{step}_at"] = iso(at)
    return out


def _one(build, sites: list[dict], staff: list[dict]) -> dict:
    rng = build.rng
    site = rng.choice(sites)
    tech = rng.choice(staff)
    dispatched = ANCHOR - timedelta(minutes=rng.randint(30, DAYS * 24 * 60))
    order = model.create_order(
        build.db,
        None,
        id=build.next_id(),
        wo_type=rng.choice(TYPES),
        org_id=site["org_id"],
        at=iso(dispatched),
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
        changes.update(cancelled_at=iso(dispatched + timedelta(hours=1)), cancel_reason="客户取消")
    if end == "returned":
        changes["return_reason"] = "照片不清晰，请补拍"
    if "resolved_at" in changes:
        changes.update(diagnosis="电源模块故障", cause="模块老化", fix="更换电源模块")
    return records.update(build.db, "work_order", order["id"], changes, None, "seed")


def seed_work_orders(build, count: int = ORDERS) -> list[dict]:
    """Create `count` orders at the demo sites, assigned to the demo technicians."""
    sites = rows(build.db, "SELECT id, org_id, customer_id FROM site ORDER BY code")
    staff = _staff(build.db)
    return [_one(build, sites, staff) for _ in range(count)]

"""What waits on the desk of the demo branch: this month's visit task for each account
manager (their best class of customer), an appointment request and a complaint each (the
complaints at different steps), and two uploads each
for the city supervisor and the admin, checked but not yet applied (customers with a
corrected address, next month's billing).

Every id comes from the build's DemoIds, so the same seed gives the same rows.
"""

import csv
import io
import json
from datetime import timedelta

from .. import records
from ..billing.importer import COLUMNS as BILLING_COLUMNS
from ..db import one, rows
from ..imports.specs import CUSTOMER
from ..tasks.rules import window
from ..times import to_stored

NEEDS = (
    "希望上门讲解专线扩容方案",
    "门店新开，需要办理集团号码",
    "反映网络信号弱，希望来现场看看",
)
BILLING_MONTH = "2026-11"  # the month after the demo's imported billing (seed/retention.py)


def seed_desk(build) -> dict[str, int]:
    """Tasks and appointments for every account manager; the two pending uploads."""
    db = build.db
    managers = rows(
        db,
        "SELECT u.id, u.org_id, o.path FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'account_manager' ORDER BY u.username",
    )
    for n, manager in enumerate(managers):
        _task(build, manager)
        _appointment(build, manager, NEEDS[n % len(NEEDS)], hours=24 * (1 + n % 3))
        _complaint(build, manager, n)
    customers, billing = _customer_file(build), _billing(db)
    for username in ("sup.city", "admin"):
        user_id = one(db, "SELECT id FROM app_user WHERE username = ?", [username])["id"]
        _upload(build, user_id, "customer", "客户地址更正.csv", customers)
        _upload(build, user_id, f"billing:{BILLING_MONTH}", f"账单-{BILLING_MONTH}.csv", billing)
    counts = {"tasks": len(managers), "appointments": len(managers), "uploads": 4}
    return counts | {"complaints": len(managers)}


def _supervisor_of(db, manager: dict) -> str | None:
    """The nearest supervisor above the account manager (their team's, else upwards)."""
    found = one(
        db,
        "SELECT u.id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'supervisor' AND ? LIKE o.path || '%' ORDER BY length(o.path) DESC",
        [manager["path"]],
    )
    return found["id"] if found else None


def _task(build, manager: dict) -> None:
    today = build.today
    start = today.replace(day=1).isoformat()
    due = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    mine = rows(
        build.db,
        "SELECT id, customer_class FROM customer WHERE account_manager_id = ?"
        " AND deleted_at IS NULL ORDER BY code",
        [manager["id"]],
    )
    klass = min((c["customer_class"] for c in mine), default="A")  # A before B before C
    targets = [c["id"] for c in mine if c["customer_class"] == klass]
    start_at, end_at = window(start, due.isoformat())
    task_id = build.next_id()
    records.insert(
        build.db,
        "task",
        {
            "id": task_id,
            "batch_id": task_id,
            "kind": "class_coverage",
            "title": f"本月走访全部{klass}类客户",
            "description": f"按维系计划，本月内上门走访名下每一位{klass}类客户。",
            "assignee_id": manager["id"],
            "org_id": manager["org_id"],
            "assigned_by": _supervisor_of(build.db, manager),
            "customer_class": klass,
            "start_date": start,
            "due_date": due.isoformat(),
            "target_customer_ids": json.dumps(targets),
            "window_start_at": start_at,
            "window_end_at": end_at,
        },
        None,
    )


def _appointment(build, manager: dict, need: str, hours: int) -> None:
    customer = one(
        build.db,
        "SELECT id, org_id FROM customer WHERE account_manager_id = ? AND deleted_at IS NULL"
        " ORDER BY code LIMIT 1",
        [manager["id"]],
    )
    if customer is None:
        return
    contact = one(
        build.db,
        "SELECT name, phone FROM contact WHERE customer_id = ? ORDER BY name LIMIT 1",
        [customer["id"]],
    )
    records.insert(
        build.db,
        "appointment",
        {
            "id": build.next_id(),
            "customer_id": customer["id"],
            "org_id": customer["org_id"],
            "account_manager_id": manager["id"],
            "wanted_at": to_stored(build.now + timedelta(hours=hours)),
            "need": need,
            "contact_name": contact["name"] if contact else "",
            "contact_phone": contact["phone"] if contact else "",
            "status": "open",
        },
        None,
    )


# (channel, category, severity, the customer's words, the steps a supervisor took)
COMPLAINTS = (
    ("hotline_transfer", "dedicated_line_fault", "high", "专线这周断了三次，影响营业", ()),
    ("visit", "billing", "medium", "上月账单多扣了流量费", ("classify", "investigate")),
    ("letter", "service_attitude", "low", "营业厅工作人员态度不好", ("investigate", "handle")),
)


def _complaint(build, manager: dict, n: int) -> None:
    from ..complaints import model as complaints

    customer = one(
        build.db,
        "SELECT * FROM customer WHERE account_manager_id = ? AND deleted_at IS NULL"
        " ORDER BY code LIMIT 1",
        [manager["id"]],
    )
    if customer is None:
        return
    channel, category, severity, words, steps = COMPLAINTS[n % len(COMPLAINTS)]
    received = to_stored(build.now - timedelta(hours=4 + 20 * (n % 4)))
    clean = dict(channel=channel, category=category, severity=severity, words=words)
    row = complaints.record(build.db, manager["id"], customer, {**clean, "received_at": received})
    supervisor = _supervisor_of(build.db, manager)
    for action in steps:
        extra = {"handling": "已核实并处理"} if action == "handle" else {}
        row = complaints.transition(build.db, supervisor, row, action, **extra)


def _upload(build, user_id: str, kind: str, filename: str, content: str) -> None:
    build.db["import_batch"].insert(
        {
            "id": build.next_id(),
            "user_id": user_id,
            "kind": kind,
            "filename": filename,
            "content": content,
            "created_at": to_stored(build.now - timedelta(minutes=20)),
        }
    )


def _customer_file(build) -> str:
    """Three of the city's customers as the export writes them, one address corrected."""
    found = rows(
        build.db,
        "SELECT c.code, c.name, c.industry, c.handsets, c.top500, c.sla_grade,"
        " c.class_override, c.class_override_reason, u.username AS account_manager,"
        " o.code AS org, c.address, c.lat, c.lon FROM customer c"
        " JOIN app_user u ON u.id = c.account_manager_id JOIN org o ON o.id = c.org_id"
        " WHERE c.deleted_at IS NULL ORDER BY c.code LIMIT 3",
    )
    found[0]["address"] += "（东门）"
    out = io.StringIO()
    writer = csv.DictWriter(out, CUSTOMER.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(found)
    return out.getvalue()


def _billing(db) -> str:
    """Next month's billing file: last month's figures for the first five customers."""
    found = rows(
        db,
        "SELECT c.code AS customer, b.* FROM billing_month b JOIN customer c"
        " ON c.id = b.customer_id WHERE b.month = (SELECT MAX(month) FROM billing_month)"
        " ORDER BY c.code LIMIT 5",
    )
    for row in found:
        row["products"] = ";".join(json.loads(row["products"]))
    out = io.StringIO()
    writer = csv.DictWriter(out, BILLING_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(found)
    return out.getvalue()

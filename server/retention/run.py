"""The rule run: evaluate every customer's month, keep standings, open retention tasks.

Safe to repeat: a warning is one per customer and month (a repeated run, or a run under a
newer policy version, leaves an existing warning as it was), and a customer has at most one
open retention task (a new warning while one is open is attached to it).
"""

import json
from datetime import date, timedelta

from .. import records
from ..ids import now_utc, uuid7
from ..times import local_date
from . import policy as policies
from .rules import evaluate, previous_months

TASK_DAYS = 14  # a retention visit is due two weeks after the warning


def latest_month(db) -> str | None:
    return db.execute("SELECT max(month) FROM billing_month").fetchone()[0]


FIGURES_SQL = """
SELECT c.id, c.org_id, c.account_manager_id, c.customer_class,
       b.arpu, b.usage_minutes, b.contract_end, b.products,
       p1.arpu, p2.arpu, p3.arpu, p1.usage_minutes, p2.usage_minutes, p3.usage_minutes
FROM billing_month b
JOIN customer c ON c.id = b.customer_id AND c.deleted_at IS NULL
LEFT JOIN billing_month p1 ON p1.customer_id = b.customer_id AND p1.month = ?
LEFT JOIN billing_month p2 ON p2.customer_id = b.customer_id AND p2.month = ?
LEFT JOIN billing_month p3 ON p3.customer_id = b.customer_id AND p3.month = ?
WHERE b.month = ?
"""


def run_rules(db, month: str | None = None, as_of: date | None = None, actor_id=None) -> dict:
    """Evaluate `month` (default: the newest with figures) under the policy in force.

    `as_of` is the day contract windows count from (default: today, Beijing time).
    Returns counts: customers evaluated, warnings made, tasks opened, tendencies.
    """
    month = month or latest_month(db)
    result = {"month": month, "customers": 0, "warnings": 0, "tasks": 0, "attached": 0}
    result.update(high=0, medium=0, low=0)
    if month is None:
        return result
    as_of = as_of or local_date()
    policy = policies.current(db)
    rules, version = policy["rules"], policy["version"]
    now = now_utc()
    standings, warned = [], []
    for r in db.execute(FIGURES_SQL, [*previous_months(month), month]).fetchall():
        figures = {
            "arpu": r[4],
            "usage_minutes": r[5],
            "contract_end": r[6],
            "products": r[7],
            "arpu_before": [r[8], r[9], r[10]],
            "usage_before": [r[11], r[12], r[13]],
        }
        found = evaluate(rules, figures, as_of)
        result[found["tendency"]] += 1
        standings.append(
            (r[0], month, version, found["score"], found["tendency"], found["bundling"], now)
        )
        if found["tendency"] != "low":
            customer = {"id": r[0], "org_id": r[1], "account_manager_id": r[2]}
            warned.append(({**customer, "customer_class": r[3]}, found))
    result["customers"] = len(standings)
    with db.atomic():
        db.conn.executemany(
            "INSERT OR REPLACE INTO churn_standing (customer_id, month, policy_version, score,"
            " tendency, bundling, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            standings,
        )
        existing = {
            r[0]
            for r in db.execute("SELECT customer_id FROM churn_warning WHERE month = ?", [month])
        }
        open_tasks = {
            r[0]: r[1]
            for r in db.execute(
                "SELECT customer_id, id FROM retention_task"
                " WHERE status = 'open' AND deleted_at IS NULL"
            )
        }
        for row, found in warned:
            customer_id = row["id"]
            if customer_id in existing:
                continue  # one warning per customer and month, kept as it was made
            warning_id = uuid7()
            task_id = open_tasks.get(customer_id)
            db.execute(
                "INSERT INTO churn_warning (id, customer_id, month, policy_version, fired, score,"
                " tendency, bundling, retention_task_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    warning_id,
                    customer_id,
                    month,
                    version,
                    json.dumps(found["fired"]),
                    found["score"],
                    found["tendency"],
                    found["bundling"],
                    task_id,
                    now,
                ],
            )
            result["warnings"] += 1
            if task_id:
                result["attached"] += 1
                continue
            task = open_task(db, actor_id, row, warning_id, month, version, found, as_of)
            db.execute(
                "UPDATE churn_warning SET retention_task_id = ? WHERE id = ?",
                [task["id"], warning_id],
            )
            open_tasks[customer_id] = task["id"]
            result["tasks"] += 1
    return result


def open_task(db, actor_id, customer: dict, warning_id, month, version, found, as_of) -> dict:
    """A retention visit task for the customer's account manager (synced to their device)."""
    reasons = {"fired": found["fired"], "score": found["score"], "factor": found["factor"]}
    return records.insert(
        db,
        "retention_task",
        {
            "customer_id": customer["id"],
            "org_id": customer["org_id"],
            "assignee_id": customer["account_manager_id"],
            "warning_id": warning_id,
            "month": month,
            "policy_version": version,
            "reasons": json.dumps(reasons),
            "tendency": found["tendency"],
            "bundling": found["bundling"],
            "value_tier": customer["customer_class"],
            "due_date": (as_of + timedelta(days=TASK_DAYS)).isoformat(),
            "status": "open",
        },
        actor_id,
    )

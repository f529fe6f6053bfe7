"""Task progress: which visits satisfy a task. Pure functions; pwa/tasks.js is a port.

The rule (the same on the server and, offline, on the device):

A visit counts toward a task when all of these hold:
- it is the assignee's own visit (visit.account_manager_id = task.assignee_id) and not
  deleted;
- it is an on-site visit (channel `on_site`): a logged phone call or message is a contact,
  not a visit, and never counts toward a task;
- its status is `completed` or `approved` (server/visits/statuses.py DONE). Planned,
  in-progress and cancelled visits never count; a `returned` visit does not count until it
  is resubmitted (completed again);
- it was checked in inside the task's window: from `window_start_at` (the start date,
  00:00 Beijing time) up to but excluding `window_end_at` (the day after the due date,
  00:00 Beijing time). The check-in time is the device's time (`check_in_device_at`) when it
  is known and not later than the server's receipt (`check_in_at`) — a visit made offline
  before the due date and synced after it still counts — otherwise the server's time;
- class coverage: its customer is one of the task's `target_customer_ids`, the assignee's
  customers of the class at the moment the task was assigned (frozen: a customer that
  changes class or account manager later stays on the list, so the target never moves
  under the account manager; the supervisor cancels and reassigns if it must);
- promotion: its purpose is the task's purpose and, when the task names a keyword, its
  notes contain the keyword (case-insensitive).

Progress: class coverage counts distinct target customers visited out of the target list;
promotion counts distinct customers (one customer presented twice is one) out of
`target_count`, capped at it; a free-text task is 0 of 1 until marked done, then 1 of 1.
"""

import json
from datetime import datetime

from ..times import day_start_utc, read
from ..visits.statuses import DONE

KINDS = ("class_coverage", "promotion", "free_text")


def window(start_date: str, due_date: str) -> tuple[str, str]:
    """(window_start_at, window_end_at) in UTC for local (Beijing) start and due dates."""
    return day_start_utc(start_date), day_start_utc(due_date, days_after=1)


def check_in_time(visit: dict) -> datetime | None:
    """When the visit was checked in: the device's time unless it is after the server's."""
    device = read(visit.get("check_in_device_at"))
    server = read(visit.get("check_in_at"))
    if device is not None and (server is None or device <= server):
        return device
    return server


def _targets(task: dict) -> list[str]:
    raw = task.get("target_customer_ids") or "[]"
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def counts(task: dict, visit: dict) -> bool:
    """True when the visit satisfies the task (see the module docstring)."""
    if task["kind"] == "free_text" or visit.get("deleted_at"):
        return False
    if visit.get("account_manager_id") != task["assignee_id"]:
        return False
    if (visit.get("channel") or "on_site") != "on_site":
        return False
    if visit.get("status") not in DONE:
        return False
    at = check_in_time(visit)
    start, end = read(task["window_start_at"]), read(task["window_end_at"])
    if at is None or not (start <= at < end):
        return False
    if task["kind"] == "class_coverage":
        return visit.get("customer_id") in _targets(task)
    if visit.get("purpose") != task.get("purpose"):
        return False
    keyword = (task.get("keyword") or "").strip().lower()
    return not keyword or keyword in (visit.get("notes") or "").lower()


def progress(task: dict, visits) -> dict:
    """{done, target, percent, complete, counted (visit ids), missing (customer ids)}."""
    counted = [v for v in visits if counts(task, v)]
    customers = {v["customer_id"] for v in counted}
    missing: list[str] = []
    if task["kind"] == "free_text":
        done, target = (1 if task.get("done_at") else 0), 1
    elif task["kind"] == "class_coverage":
        targets = _targets(task)
        missing = [c for c in targets if c not in customers]
        done, target = len(targets) - len(missing), len(targets)
    else:
        target = int(task.get("target_count") or 0)
        done = min(len(customers), target)
    percent = 100 if target == 0 else (100 * done) // target
    return {
        "done": done,
        "target": target,
        "percent": percent,
        "complete": done >= target,
        "counted": sorted(v["id"] for v in counted),
        "missing": missing,
    }


def state(task: dict, progress_: dict, today: str) -> str:
    """What the task shows: cancelled, done (progress complete), overdue (past due), open."""
    if task["status"] == "cancelled":
        return "cancelled"
    if progress_["complete"]:
        return "done"
    return "overdue" if today > task["due_date"] else "open"

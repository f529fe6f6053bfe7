"""Tasks: assign to account managers in scope, read them scoped, progress, cancel, complete.

Progress is never stored: it is computed from the visits that satisfy the task, by the rule
in rules.py (the device runs the same rule offline, pwa/tasks.js).
"""

import json
from datetime import date

from .. import records, scope
from ..auth import model as users
from ..db import one, rows
from ..fields import choice, integer, text
from ..ids import now_utc, uuid7
from ..scope import Caller
from ..times import local_day
from ..visits.rules import PURPOSES
from . import rules

FORM_FIELDS = (
    "kind",
    "title",
    "description",
    "customer_class",
    "purpose",
    "keyword",
    "start_date",
    "due_date",
)


def visible(caller: Caller, alias: str = "task") -> tuple[str, list]:
    """Tasks the caller may see: an account manager their own; a supervisor their subtree's."""
    return scope.owned(caller, alias, "assignee_id")


def account_managers(db, caller: Caller) -> list[dict]:
    """Active account managers the caller may assign tasks to."""
    return users.people(db, caller, ["account_manager"], active=True, by_org=True)


def organisations(db, caller: Caller) -> list[dict]:
    """Organisations in scope (assigning to one assigns every account manager under it)."""
    where, params = scope.orgs(caller)
    sql = f"SELECT id, code, name, kind, path FROM org WHERE deleted_at IS NULL AND {where}"
    return rows(db, sql + " ORDER BY path", params)


def _day(clean: dict, errors: dict, key: str) -> None:
    try:
        date.fromisoformat(clean[key])
    except ValueError:
        errors[key] = "required" if not clean[key] else "invalid_date"


def _criteria(data: dict, clean: dict, errors: dict) -> None:
    kind = clean["kind"]
    if kind == "class_coverage":
        choice(clean, errors, "customer_class", ("A", "B", "C"))
    else:
        clean["customer_class"] = None
    if kind == "promotion":
        choice(clean, errors, "purpose", PURPOSES, default="product_promotion")
        clean["target_count"] = integer(data, "target_count", errors, minimum=1, default=None)
        if clean["target_count"] is None and "target_count" not in errors:
            errors["target_count"] = "required"
    else:
        clean.update(purpose=None, keyword="", target_count=None)


def validate(db, caller: Caller, data: dict) -> tuple[dict, dict]:
    """Read the task form: kind and its criteria, dates, and one account manager or an org."""
    errors: dict = {}
    clean = {key: text(data, key) for key in FORM_FIELDS}
    clean["start_date"] = clean["start_date"] or local_day()
    choice(clean, errors, "kind", rules.KINDS)
    if not clean["title"]:
        errors["title"] = "required"
    _day(clean, errors, "start_date")
    _day(clean, errors, "due_date")
    if not errors.keys() & {"start_date", "due_date"} and clean["due_date"] < clean["start_date"]:
        errors["due_date"] = "due_before_start"
    if "kind" not in errors:
        _criteria(data, clean, errors)
    clean["assignee_ids"] = _assignees(db, caller, data, errors)
    clean["assignee_id"], clean["team_id"] = text(data, "assignee_id"), text(data, "team_id")
    return clean, errors


def _assignees(db, caller: Caller, data: dict, errors: dict) -> list[str]:
    managers = account_managers(db, caller)
    person, team = text(data, "assignee_id"), text(data, "team_id")
    if person:
        if person not in {m["id"] for m in managers}:
            errors["assignee_id"] = "out_of_scope"
        return [person]
    if not team:
        errors["assignee_id"] = "assignee_required"
        return []
    org = next((o for o in organisations(db, caller) if o["id"] == team), None)
    if org is None:
        errors["team_id"] = "out_of_scope"
        return []
    under = one(db, "SELECT path FROM org WHERE id = ?", [team])["path"]
    found = [m["id"] for m in managers if _in_subtree(db, m["org_id"], under)]
    if not found:
        errors["team_id"] = "no_account_managers"
    return found


def _in_subtree(db, org_id: str, path: str) -> bool:
    found = one(db, "SELECT path FROM org WHERE id = ?", [org_id])
    return bool(found) and found["path"].startswith(path)


def _targets(db, assignee_id: str, customer_class: str | None) -> list[str]:
    if customer_class is None:
        return []
    found = db.execute(
        "SELECT id FROM customer WHERE account_manager_id = ? AND customer_class = ?"
        " AND deleted_at IS NULL ORDER BY code",
        [assignee_id, customer_class],
    ).fetchall()
    return [r[0] for r in found]


def create(db, actor_id, clean: dict) -> list[dict]:
    """One task per account manager of a valid form, sharing a batch id; targets frozen now."""
    start_at, end_at = rules.window(clean["start_date"], clean["due_date"])
    batch = uuid7()
    made = []
    with db.atomic():
        for assignee_id in clean["assignee_ids"]:
            org = one(db, "SELECT org_id FROM app_user WHERE id = ?", [assignee_id])["org_id"]
            values = {k: clean[k] for k in FORM_FIELDS}
            values.update(
                batch_id=batch,
                assignee_id=assignee_id,
                org_id=org,
                assigned_by=actor_id,
                target_count=clean.get("target_count"),
                target_customer_ids=json.dumps(_targets(db, assignee_id, clean["customer_class"])),
                window_start_at=start_at,
                window_end_at=end_at,
            )
            made.append(records.insert(db, "task", values, actor_id))
    return made


SELECT = (
    "SELECT task.*, u.display_name AS assignee_name, u.username AS assignee_username,"
    " o.name AS org_name FROM task JOIN app_user u ON u.id = task.assignee_id"
    " JOIN org o ON o.id = task.org_id"
)


def get_scoped(db, caller: Caller, task_id: str) -> dict | None:
    """One task with its assignee's name, if the caller may see it."""
    where, params = visible(caller)
    return one(db, f"{SELECT} WHERE task.id = ? AND {where}", [task_id, *params])


def list_query(caller: Caller, filters: dict) -> tuple[str, list]:
    """The task list in scope: (sql, params) for web.paginate; filters: assignee, state."""
    where, params = visible(caller)
    sql = f"{SELECT} WHERE task.deleted_at IS NULL AND {where}"
    if filters.get("assignee"):
        sql += " AND task.assignee_id = ?"
        params = [*params, filters["assignee"]]
    if filters.get("state") in ("open", "cancelled"):
        sql += " AND task.status = ?"
        params = [*params, filters["state"]]
    return sql, params


ORDER_BY = "task.status, task.due_date, u.display_name, task.id"


def candidate_visits(db, task: dict) -> list[dict]:
    """The assignee's visits that may count: received by the server after the window opened.

    (A device time never counts when later than the server's, so nothing earlier can.)
    """
    return rows(
        db,
        "SELECT visit.*, c.name AS customer_name, c.code AS customer_code FROM visit"
        " JOIN customer c ON c.id = visit.customer_id"
        " WHERE visit.account_manager_id = ? AND visit.check_in_at >= ?"
        " ORDER BY visit.check_in_at",
        [task["assignee_id"], task["window_start_at"]],
    )


def progress(db, task: dict) -> dict:
    """The task's progress (rules.progress) from the visits in the database."""
    return rules.progress(task, candidate_visits(db, task))


def with_progress(db, tasks: list[dict]) -> list[dict]:
    """Each task with its progress and its display state (open, done, overdue, cancelled)."""
    today = local_day()
    for task in tasks:
        task["progress"] = progress(db, task)
        task["state"] = rules.state(task, task["progress"], today)
    return tasks


def cancel(db, actor_id, task_id: str) -> dict:
    """Cancel an open task (it leaves the assignee's list, the history stays)."""
    return records.update(db, "task", task_id, {"status": "cancelled"}, actor_id, "cancel")


def complete(db, actor_id, task_id: str, note: str = "", device_at=None) -> dict:
    """Mark a free-text task done (once: a second mark keeps the first)."""
    task = records.get(db, "task", task_id)
    if task["kind"] != "free_text":
        raise ValueError("only a free-text task is marked done by hand")
    if task["status"] == "cancelled":
        raise ValueError("the task is cancelled")
    if task["done_at"]:
        return task
    changes = {"done_at": now_utc(), "done_device_at": device_at, "done_note": note}
    return records.update(db, "task", task_id, changes, actor_id, "complete")

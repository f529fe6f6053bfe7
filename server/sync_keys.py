"""Scope keys of synced rows, for the change feed (sync.changes.log_change).

A row's keys say who may care about a change to it: "o:<org id>" for its organisation,
"u:<user id>" for the user it belongs to. A caller hears of the
changes whose keys meet theirs (caller_keys); the scope query of each entity still decides
what they receive. Keys are a pre-filter: too many only costs time, too few would lose a
change, so every scope rule in server/scope.py must be covered here.
"""

from .db import one


def org_keys(db, org_id: str | None) -> set[str]:
    """The row's organisation. (A supervisor's keys list every organisation of their
    subtree, so one key per row suffices: fewer rows written on every change.)"""
    return {f"o:{org_id}"} if org_id else set()


def _customer_keys(db, customer_id: str | None) -> set[str]:
    if not customer_id:
        return set()
    row = one(db, "SELECT org_id, account_manager_id FROM customer WHERE id = ?", [customer_id])
    return _keys_of_customer(db, row) if row else set()


def _keys_of_customer(db, row: dict) -> set[str]:
    keys = org_keys(db, row["org_id"])
    if row.get("account_manager_id"):
        keys.add(f"u:{row['account_manager_id']}")
    return keys


def _visit_keys(db, visit_id: str) -> set[str]:
    row = one(db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    return _keys_of_visit(db, row) if row else set()


def _keys_of_visit(db, row: dict) -> set[str]:
    return (
        _customer_keys(db, row["customer_id"])
        | org_keys(db, row["org_id"])
        | {f"u:{row['account_manager_id']}"}
    )


def _keys_of_order(db, row: dict) -> set[str]:
    keys = org_keys(db, row["org_id"]) | org_keys(db, row.get("assigned_org_id"))
    for who in ("assignee_id", "reported_by"):
        if row.get(who):
            keys.add(f"u:{row[who]}")
    return keys


def _order_keys(db, order_id: str) -> set[str]:
    row = one(
        db,
        "SELECT org_id, assigned_org_id, assignee_id, reported_by FROM work_order WHERE id = ?",
        [order_id],
    )
    return _keys_of_order(db, row) if row else set()


CHECKLISTS = "t:checklists"  # templates reach every technician and supervisor
HOLIDAYS = "t:holidays"  # public holidays reach everyone (care calendar)


def row_keys(db, table: str, row: dict | None) -> set[str]:
    """The scope keys of one row of a synced table (empty for tables devices never pull)."""
    if row is None:
        return set()
    if table == "customer":
        return _keys_of_customer(db, row)
    if table == "contact":
        return _customer_keys(db, row["customer_id"])
    if table == "visit":
        return _keys_of_visit(db, row)
    if table in ("visit_photo", "follow_up"):
        return _visit_keys(db, row["visit_id"])
    if table == "work_order":
        return _keys_of_order(db, row)
    if table in ("work_order_event", "work_order_photo", "inspection_answer"):
        return _order_keys(db, row["work_order_id"])
    if table in ("checklist_template", "checklist_item"):
        return {CHECKLISTS}
    if table == "scorecard":  # a person's own card only
        return {f"u:{row['user_id']}"} if row.get("user_id") else set()
    if table == "task":
        return org_keys(db, row["org_id"]) | {f"u:{row['assignee_id']}"}
    if table == "retention_task":
        keys = org_keys(db, row["org_id"])
        if row.get("assignee_id"):
            keys.add(f"u:{row['assignee_id']}")
        return keys
    if table == "appointment":
        keys = org_keys(db, row["org_id"])
        if row.get("account_manager_id"):
            keys.add(f"u:{row['account_manager_id']}")
        return keys
    if table == "public_holiday":
        return {HOLIDAYS}
    if table == "care_done":
        return org_keys(db, row["org_id"]) | {f"u:{row['user_id']}"}
    if table == "site":
        return (
            org_keys(db, row["org_id"])
            | org_keys(db, row.get("contractor_id"))
            | _customer_keys(db, row.get("customer_id"))
        )
    return set()


def caller_keys(db, caller) -> list[str] | None:
    """The keys whose changes reach a caller; None (everything) for admins.

    Supervisors and technicians: every organisation of their subtree (a technician's
    in-house area, a contractor's own org); everyone: their own user key.
    """
    if caller.role == "admin":
        return None
    keys = [f"u:{caller.id}", HOLIDAYS]
    if caller.role in ("supervisor", "technician"):
        keys.append(CHECKLISTS)
        subtree = db.execute(
            "SELECT id FROM org WHERE path >= ? AND path < ?",
            [caller.org_path, caller.org_path + "\uffff"],
        ).fetchall()
        keys += [f"o:{row[0]}" for row in subtree]
    return keys

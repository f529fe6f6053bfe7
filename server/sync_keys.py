"""Scope keys of synced rows, for the change feed (sync.changes.log_change).

A row's keys say who may care about a change to it: "o:<org id>" for its organisation,
"u:<user id>" for the user it belongs to. A caller hears of the
changes whose keys meet theirs (caller_keys); the scope query of each entity still decides
what they receive. Keys are a pre-filter: too many only costs time, too few would lose a
change, so every scope rule in server/scope.py must be covered by the `keys` function
that each domain's sync module gives its replicated entities (sync.EntitySpec).
"""

from functools import cache

from .db import one


def org_keys(db, org_id: str | None) -> set[str]:
    """The row's organisation. (A supervisor's keys list every organisation of their
    subtree, so one key per row suffices: fewer rows written on every change.)"""
    return {f"o:{org_id}"} if org_id else set()


def customer_keys(db, customer_id: str | None) -> set[str]:
    """The keys of the customer `customer_id` (for its contacts, visits, sites)."""
    if not customer_id:
        return set()
    row = one(db, "SELECT org_id, account_manager_id FROM customer WHERE id = ?", [customer_id])
    return keys_of_customer(db, row) if row else set()


def owned_keys(owner: str):
    """The keys function of rows with an org and an owner (scope.owned): the row's
    organisation and the user in its `owner` column, when set."""

    def keys(db, row: dict) -> set[str]:
        found = org_keys(db, row["org_id"])
        if row.get(owner):
            found.add(f"u:{row[owner]}")
        return found

    return keys


keys_of_customer = owned_keys("account_manager_id")  # its organisation and account manager


def visit_keys(db, visit_id: str) -> set[str]:
    """The keys of the visit `visit_id` (for its photos and follow-ups)."""
    row = one(db, "SELECT * FROM visit WHERE id = ?", [visit_id])
    return keys_of_visit(db, row) if row else set()


def keys_of_visit(db, row: dict) -> set[str]:
    """A visit's keys: its customer's, its organisation and its account manager."""
    return (
        customer_keys(db, row["customer_id"])
        | org_keys(db, row["org_id"])
        | {f"u:{row['account_manager_id']}"}
    )


def keys_of_order(db, row: dict) -> set[str]:
    """A work order's keys: both organisations, the assignee and the reporter."""
    keys = org_keys(db, row["org_id"]) | org_keys(db, row.get("assigned_org_id"))
    for who in ("assignee_id", "reported_by"):
        if row.get(who):
            keys.add(f"u:{row[who]}")
    return keys


def order_keys(db, order_id: str) -> set[str]:
    """The keys of the work order `order_id` (for its events, photos and answers)."""
    row = one(
        db,
        "SELECT org_id, assigned_org_id, assignee_id, reported_by FROM work_order WHERE id = ?",
        [order_id],
    )
    return keys_of_order(db, row) if row else set()


CHECKLISTS = "t:checklists"  # templates reach every technician and supervisor
HOLIDAYS = "t:holidays"  # public holidays reach everyone (care calendar)


def row_keys(db, table: str, row: dict | None) -> set[str]:
    """The scope keys of one row of a versioned table: its entity's `keys` function (declared
    with the EntitySpec in the domain's sync module), none for a table a domain declares
    unreplicated. A table no domain declares is an error: its changes would reach no device."""
    if row is None:
        return set()
    entity = _registry().entities.get(table)
    if entity is not None and entity.keys is not None:
        return entity.keys(db, row)
    if table in _unreplicated():
        return set()
    raise LookupError(
        f"no scope keys for table {table!r}: give its EntitySpec a keys function in its"
        " domain's sync module, or list it as unreplicated in its server/<domain>/domain.py"
    )


def write_keys(db, table: str, before: dict, diff: dict) -> set[str]:
    """The keys of a write of `diff` to the row `before`: its keys before and after, so a
    device the row leaves hears of it and deletes it. When the entity names the columns its
    keys read (EntitySpec.key_columns) and the write changes none of them, they are the same
    keys, worked out once."""
    keys = row_keys(db, table, before)
    entity = _registry().entities.get(table)
    columns = entity.key_columns if entity is not None else None
    if columns is not None and not diff.keys() & set(columns):
        return keys
    return keys | row_keys(db, table, {**before, **diff})


@cache
def _registry():
    from .sync_api.registry import build_registry

    return build_registry()


@cache
def _unreplicated() -> frozenset[str]:
    from .domains import DOMAINS

    return frozenset(table for domain in DOMAINS for table in domain.unreplicated)


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

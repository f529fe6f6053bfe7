"""The review history of a visit or work order: every approve, return and resubmission,
a contractor supervisor's pre-check and an exception report's conversion into an order.

Rows are only ever added, so a record returned twice and approved once shows all three
steps with who, when and why. The domain models write them (visits.model, work_orders.model
and the resubmitting mutations), so every path to a review leaves its row.
"""

from .. import records
from ..db import rows
from ..ids import now_utc

ENTITIES = ("visit", "work_order")
ACTIONS = ("approve", "return", "resubmit", "precheck", "convert")


def record(db, actor_id, entity: str, row: dict, action: str, reason: str = "", at=None) -> dict:
    """Append one review step for the record `row` (a visit or work order) by `actor_id`."""
    if entity not in ENTITIES or action not in ACTIONS:
        raise ValueError(f"unknown review step {entity} {action}")
    reason, at = (reason or "").strip(), at or now_utc()
    values = dict(action=action, reason=reason, reviewer_id=actor_id, at=at)
    return add_on(db, "review", actor_id, entity, row, values)


def history(db, entity: str, entity_id: str) -> list[dict]:
    """A record's review steps, oldest first, with who took each one."""
    return on_record(db, "review", entity, entity_id, ("reviewer_id", "reviewer_name"), "at")


def add_on(db, table: str, actor_id, entity: str, row: dict, values: dict) -> dict:
    """Append a row about the record `row` (a visit or work order) to an append-only table
    (review, spot_check), under the record's organisation."""
    about = {"entity": entity, "entity_id": row["id"], "org_id": row["org_id"]}
    return records.insert(db, table, {**about, **values}, actor_id)


def on_record(db, table: str, entity: str, entity_id: str, by: tuple[str, str], order: str):
    """The live rows of an append-only table about one record, ordered by `order` then
    version in the same direction, with the name of who wrote each (`by`: its user column
    and the name's alias)."""
    column, name = by
    direction = " DESC" if order.endswith(" DESC") else ""
    return rows(
        db,
        f"SELECT r.*, u.display_name AS {name} FROM [{table}] r"
        f" LEFT JOIN app_user u ON u.id = r.{column}"
        " WHERE r.entity = ? AND r.entity_id = ? AND r.deleted_at IS NULL"
        f" ORDER BY r.{order}, r.version{direction}",
        [entity, entity_id],
    )

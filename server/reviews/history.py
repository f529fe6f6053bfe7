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
    values = dict(
        entity=entity,
        entity_id=row["id"],
        action=action,
        reason=(reason or "").strip(),
        reviewer_id=actor_id,
        at=at or now_utc(),
        org_id=row["org_id"],
    )
    return records.insert(db, "review", values, actor_id)


def history(db, entity: str, entity_id: str) -> list[dict]:
    """A record's review steps, oldest first, with who took each one."""
    return rows(
        db,
        "SELECT r.*, u.display_name AS reviewer_name FROM review r"
        " LEFT JOIN app_user u ON u.id = r.reviewer_id"
        " WHERE r.entity = ? AND r.entity_id = ? AND r.deleted_at IS NULL"
        " ORDER BY r.at, r.version",
        [entity, entity_id],
    )

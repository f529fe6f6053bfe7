"""Whether an inspection may be resolved, submitted or approved: its checklist is there and
every item's latest answer has no problems (inspections.evaluation.order_complete).

An inspection with no checklist at all (no template, or a template without items) is
refused too: a checklist of zero checks proves nothing was inspected. Device steps
(resolve, submit) and the supervisor's approval all ask here.
"""

from ..db import rows
from ..inspections.evaluation import order_complete

NO_CHECKLIST = "no_checklist"
INCOMPLETE = "checklist_incomplete"


def checklist_state(db, order: dict) -> tuple[bool, list]:
    """(complete, missing) of an inspection's checklist; missing lists the open items."""
    items = rows(
        db,
        "SELECT * FROM checklist_item WHERE template_id = ? AND deleted_at IS NULL",
        [order["checklist_template_id"]],
    )
    answers = rows(db, "SELECT * FROM inspection_answer WHERE work_order_id = ?", [order["id"]])
    return order_complete(items, answers)


def refusal(db, order: dict) -> tuple[str, str] | None:
    """(code, message) when the order is an inspection whose checklist blocks it, else None."""
    if order["wo_type"] != "inspection":
        return None
    has_items = (
        order["checklist_template_id"]
        and db.execute(
            "SELECT 1 FROM checklist_item WHERE template_id = ? AND deleted_at IS NULL LIMIT 1",
            [order["checklist_template_id"]],
        ).fetchone()
    )
    if not has_items:
        return NO_CHECKLIST, "this inspection has no checklist, so nothing was checked"
    done, missing = checklist_state(db, order)
    if done:
        return None
    labels = "; ".join(f"{m['label']} ({', '.join(m['problems'])})" for m in missing)
    return INCOMPLETE, f"{len(missing)} items: {labels}"

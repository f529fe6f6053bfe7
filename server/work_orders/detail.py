"""What an order's detail page shows: timeline evidence, photos, checklist answers, late edits.

Callers fetch the order through its scope first; these read its children by the order's id.
"""

import json

from .. import scope
from ..db import one, rows
from ..inspections.evaluation import latest_answers
from . import board

DETAIL_SQL = board.SELECT + " AND work_order.id = ?"
PHOTO_STAGES = ("before", "after", "evidence")


def timeline(db, order_id: str) -> list[dict]:
    """Status changes in the order they reached the server: device, corrected, server time."""
    found = rows(
        db,
        "SELECT e.*, u.display_name AS user_name FROM work_order_event e"
        " LEFT JOIN app_user u ON u.id = e.user_id WHERE e.work_order_id = ?"
        " AND e.deleted_at IS NULL ORDER BY e.server_at, e.created_at",
        [order_id],
    )
    for event in found:
        event["flag_list"] = [f for f in (event["flags"] or "").split(",") if f]
    return found


def photos(db, order_id: str) -> dict[str, list[dict]]:
    """The order's photos by stage (before, after, evidence), with whether each has arrived."""
    found = rows(
        db,
        "SELECT p.*, CASE WHEN"
        f" {scope.attachment_arrived('work_order_photo', 'p', 'sha256')}"
        " THEN 'complete' ELSE 'pending' END AS blob_state FROM work_order_photo p"
        " WHERE p.work_order_id = ? AND p.deleted_at IS NULL ORDER BY p.created_at",
        [order_id],
    )
    return {stage: [p for p in found if p["stage"] == stage] for stage in PHOTO_STAGES}


def attached(db, order_id: str, sha: str) -> dict | None:
    """The complete blob `sha` if it is a photo of this order or of one of its answers and
    has arrived from whoever attached it (scope.attachment_arrived)."""
    photo = scope.attachment_arrived("work_order_photo", "p", "sha256")
    answer = scope.attachment_arrived("inspection_answer", "a2", "photo_sha256")
    is_photo = one(
        db,
        "SELECT 1 FROM work_order_photo p WHERE p.work_order_id = ? AND p.sha256 = ?"
        f" AND p.deleted_at IS NULL AND {photo} UNION ALL SELECT 1 FROM inspection_answer a2"
        f" WHERE a2.work_order_id = ? AND a2.photo_sha256 = ? AND {answer} LIMIT 1",
        [order_id, sha, order_id, sha],
    )
    if not is_photo:
        return None
    return one(db, "SELECT * FROM blob WHERE sha256 = ? AND state = 'complete'", [sha])


def answers(db, order: dict) -> list[dict]:
    """Each checklist item of an inspection with its latest answer and linked rectification."""
    if not order.get("checklist_template_id"):
        return []
    items = rows(
        db,
        "SELECT * FROM checklist_item WHERE template_id = ? AND deleted_at IS NULL"
        " ORDER BY position",
        [order["checklist_template_id"]],
    )
    given = rows(
        db,
        "SELECT a.*, r.code AS rectification_code FROM inspection_answer a"
        " LEFT JOIN work_order r ON r.id = a.rectification_id"
        " WHERE a.work_order_id = ? AND a.deleted_at IS NULL",
        [order["id"]],
    )
    latest = latest_answers(given)
    return [{"item": item, "answer": latest.get(item["id"])} for item in items]


def parts(order: dict) -> list[str]:
    """Parts used, as text lines (the device sends strings or {name, qty} objects)."""
    try:
        found = json.loads(order.get("parts_used") or "[]")
    except ValueError:
        return [order["parts_used"]]
    out = []
    for part in found if isinstance(found, list) else []:
        if isinstance(part, dict):
            name = part.get("name") or part.get("part") or json.dumps(part, ensure_ascii=False)
            out.append(f"{name} × {part['qty']}" if part.get("qty") else str(name))
        else:
            out.append(str(part))
    return out


def linked(db, order: dict) -> dict:
    """The orders linked to this one: the report it was made from (parent), the order a
    report was converted into."""
    found = {}
    for key, column in (("parent", "parent_id"), ("converted_to", "converted_to_id")):
        if order.get(column):
            found[key] = one(
                db,
                "SELECT id, code, wo_type, status, title FROM work_order WHERE id = ?",
                [order[column]],
            )
    return found


def report_section(db, order_id: str) -> dict:
    """The context of templates/work_orders/_report.html for an order the caller may see (the
    caller checks scope): `order` with its report fields, `parts` as text lines and `photos`
    by stage. The review desk shows it beside its actions."""
    order = one(
        db,
        "SELECT id, diagnosis, cause, fix, parts_used FROM work_order WHERE id = ?",
        [order_id],
    )
    return {"order": order, "parts": parts(order), "photos": photos(db, order_id)}

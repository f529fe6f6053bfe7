"""Checklist answers and rectification orders sent from an inspection on the device."""

from sync import PermanentError

from .. import records
from ..db import one, rows
from ..inspections.evaluation import INVALID_CHOICE, INVALID_NUMBER, evaluate, order_complete
from . import model
from .fieldwork import order_id, workable

ANSWERING = {"on_site", "resolved", "returned"}


def _item(ctx, order: dict, item_id: str) -> dict:
    item = one(ctx.db, "SELECT * FROM checklist_item WHERE id = ?", [item_id])
    if item is None or item["template_id"] != order["checklist_template_id"]:
        raise PermanentError("unknown_item", "this item is not on the order's checklist")
    return item


def _inspection(ctx, args, key="work_order_id"):
    oid = order_id(args, key)
    order, held = workable(ctx, oid, args)
    if held:
        return None, held
    if order["wo_type"] != "inspection":
        raise PermanentError("not_an_inspection", "only inspections have checklists")
    return order, None


def answer(ctx, args):
    """inspection.answer {id, work_order_id, item_id, value_text?, value_number?, passed?,
    remark?, photo_sha256?, at}: one checklist answer (append-only; the latest counts)."""
    answer_id = order_id(args)
    order, held = _inspection(ctx, args)
    if held:
        return held
    if order["status"] not in ANSWERING:
        raise PermanentError(
            "illegal_transition", f"check in before answering ({order['status']})"
        )
    item = _item(ctx, order, order_id(args, "item_id"))
    if one(ctx.db, "SELECT id FROM inspection_answer WHERE id = ?", [answer_id]):
        return {"id": answer_id, "already": True}
    value = {
        k: args.get(k) for k in ("value_text", "value_number", "passed", "remark", "photo_sha256")
    }
    passed, problems = evaluate(item, value)
    bad = {INVALID_NUMBER, INVALID_CHOICE} & set(problems)
    if bad:
        raise PermanentError("bad_args", f"{bad.pop()} for item {item['label']}")
    values = dict(
        id=answer_id,
        work_order_id=order["id"],
        item_id=item["id"],
        value_text=None if value["value_text"] is None else str(value["value_text"])[:2000],
        value_number=value["value_number"],
        passed=1 if passed else 0,
        remark=str(value["remark"] or "")[:2000],
        photo_sha256=value["photo_sha256"],
        answered_device_at=args.get("at") if isinstance(args.get("at"), str) else None,
    )
    row = records.insert(ctx.db, "inspection_answer", values, ctx.user_id)
    return {"id": answer_id, "version": row["version"], "passed": passed, "problems": problems}


def open_rectification(ctx, args):
    """inspection.open_rectification {id, work_order_id, item_id, title?, description?}: a
    rectification order for a failed item, opened on the spot (offline too)."""
    rect_id = order_id(args)
    order, held = _inspection(ctx, args)
    if held:
        return held
    item = _item(ctx, order, order_id(args, "item_id"))
    if one(ctx.db, "SELECT id FROM work_order WHERE id = ?", [rect_id]):
        return {"id": rect_id, "already": True}
    title = str(args.get("title") or f"整改：{item['label']}")[:200]
    row = model.create_order(
        ctx.db,
        ctx.user_id,
        wo_type="rectification",
        id=rect_id,
        org_id=order["org_id"],
        site_id=order["site_id"],
        assigned_org_id=order["assigned_org_id"],
        assignee_id=order["assignee_id"] or ctx.user_id,
        parent_id=order["id"],
        parent_item_id=item["id"],
        title=title,
        description=str(args.get("description") or "")[:5000],
        at=ctx.server_time,
    )
    latest = one(
        ctx.db,
        "SELECT id FROM inspection_answer WHERE work_order_id = ? AND item_id = ?"
        " ORDER BY version DESC LIMIT 1",
        [order["id"], item["id"]],
    )
    if latest:
        records.update(
            ctx.db,
            "inspection_answer",
            latest["id"],
            {"rectification_id": rect_id},
            ctx.user_id,
            "link_rectification",
        )
    return {"id": rect_id, "version": row["version"], "code": row["code"]}


def checklist_state(db, order: dict) -> tuple[bool, list]:
    """Whether an inspection's checklist may be resolved, and what is missing."""
    items = rows(
        db,
        "SELECT * FROM checklist_item WHERE template_id = ? AND deleted_at IS NULL",
        [order["checklist_template_id"]],
    )
    answers = rows(db, "SELECT * FROM inspection_answer WHERE work_order_id = ?", [order["id"]])
    return order_complete(items, answers)

"""Checklist answers and rectification orders sent from an inspection on the device."""

from sync import PermanentError
from sync import args as check

from .. import records
from ..db import one
from ..inspections.evaluation import INVALID_CHOICE, INVALID_NUMBER, evaluate
from . import checklist_gate, model, sla
from .fieldwork import workable

ANSWERING = {"on_site", "resolved", "returned"}


def _item(ctx, order: dict, item_id: str) -> dict:
    item = one(ctx.db, "SELECT * FROM checklist_item WHERE id = ?", [item_id])
    if item is None or item["template_id"] != order["checklist_template_id"]:
        raise PermanentError(
            "unknown_item", "this item is not on the order's checklist", arg="item_id"
        )
    return item


def _inspection(ctx, args, key="work_order_id"):
    oid = check.uuid_id(args, key)
    order, held = workable(ctx, oid, args, key)
    if held:
        return None, held
    if order["wo_type"] != "inspection":
        raise PermanentError("not_an_inspection", "only inspections have checklists")
    return order, None


def _answer(args: dict) -> dict:
    """The answer's values, checked: texts, a finite number, a verdict, a photo's hash."""
    return {
        "value_text": check.text(args, "value_text", max_length=2000, default=None),
        "value_number": check.number(args, "value_number", minimum=-1e12, maximum=1e12),
        "passed": check.boolean(args, "passed"),
        "remark": check.text(args, "remark", max_length=2000),
        "photo_sha256": check.blob_ref(args, "photo_sha256", required=False),
    }


def answer(ctx, args):
    """inspection.answer {id, work_order_id, item_id, value_text?, value_number?, passed?,
    remark?, photo_sha256?, at}: one checklist answer (append-only; the latest counts)."""
    answer_id, item_id = check.uuid_id(args), check.uuid_id(args, "item_id")
    value = _answer(args)
    device_at = check.device_time(args)
    order, held = _inspection(ctx, args)
    if held:
        return held
    if order["status"] not in ANSWERING:
        raise PermanentError(
            "illegal_transition", f"check in before answering ({order['status']})"
        )
    item = _item(ctx, order, item_id)
    existing = one(ctx.db, "SELECT * FROM inspection_answer WHERE id = ?", [answer_id])
    if existing:
        if (existing["work_order_id"], existing["item_id"]) != (order["id"], item["id"]):
            raise check.taken()
        return {"id": answer_id, "already": True}
    passed, problems = evaluate(item, value)
    bad = {INVALID_NUMBER, INVALID_CHOICE} & set(problems)
    if bad:
        raise PermanentError("bad_args", f"{bad.pop()} for item {item['label']}")
    values = dict(
        id=answer_id,
        work_order_id=order["id"],
        item_id=item["id"],
        value_text=value["value_text"],
        value_number=value["value_number"],
        passed=1 if passed else 0,
        remark=value["remark"],
        photo_sha256=value["photo_sha256"],
        answered_device_at=device_at,
    )
    row = records.insert(ctx.db, "inspection_answer", values, ctx.user_id)
    return {"id": answer_id, "version": row["version"], "passed": passed, "problems": problems}


def open_rectification(ctx, args):
    """inspection.open_rectification {id, work_order_id, item_id, title?, description?,
    severity?}: a rectification order for a failed item, opened on the spot (offline too),
    due by its severity's minutes (critical, major, minor; default major)."""
    rect_id, item_id = check.uuid_id(args), check.uuid_id(args, "item_id")
    title = check.text(args, "title", max_length=200)
    description = check.text(args, "description", max_length=5000)
    severity = check.choice(args, "severity", sla.SEVERITIES, default=sla.DEFAULT_SEVERITY)
    order, held = _inspection(ctx, args)
    if held:
        return held
    item = _item(ctx, order, item_id)
    existing = one(ctx.db, "SELECT * FROM work_order WHERE id = ?", [rect_id])
    if existing:
        if (existing["parent_id"], existing["parent_item_id"]) != (order["id"], item["id"]):
            raise check.taken()
        return {"id": rect_id, "already": True}
    title = title or f"整改：{item['label']}"
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
        severity=severity,
        title=title,
        description=description,
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
    return checklist_gate.checklist_state(db, order)

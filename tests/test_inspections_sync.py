"""An inspection worked through the sync API: answers, an out-of-range reading, a
rectification opened on the spot, completeness at resolve."""

import json
from datetime import timedelta

import pytest

from server.inspections.checklists import ensure_default_templates, items_of
from server.times import from_stored as parse
from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def inspection(db, tree):
    t = dict(tree)
    ensure_default_templates(db)
    template = db.execute(
        "SELECT * FROM checklist_template WHERE site_type = 'base_station'"
    ).fetchone()
    t["items"] = items_of(db, template["id"])
    t["site"] = factories.make_site(db, t["T1"], contractor=t["K"])
    t["order"] = factories.make_work_order(
        db,
        t["T1"],
        wo_type="inspection",
        assignee=t["tech_k"],
        assigned_org=t["K"],
        site_id=t["site"]["id"],
        checklist_template_id=template["id"],
    )
    return t


def good_answer(dev, order_id, item):
    args = {"id": new_id(), "work_order_id": order_id, "item_id": item["id"], "remark": ""}
    kind = item["kind"]
    if kind == "pass_fail":
        args["passed"] = True
    elif kind == "reading":
        args["value_number"] = item["min_value"]
    elif kind == "choice":
        choices = item["choices"]
        args["value_text"] = (json.loads(choices) if isinstance(choices, str) else choices)[0]
    elif kind == "text":
        args["value_text"] = "正常"
    if kind == "photo" or item["photo_required"]:
        args["photo_sha256"] = "b" * 64
    return dev.mutation("inspection.answer", args)


def test_a_checklist_with_an_out_of_range_reading_and_a_rectification(client, db, inspection):
    dev = Device(client, "tech_k", factories.PASSWORD)
    dev.pull()
    assert len(dev.entities("checklist_item")) >= 20
    oid = inspection["order"]["id"]
    start = [
        dev.mutation("work_order.accept", {"id": oid}),
        dev.mutation("work_order.arrive", {"id": oid, "lat": 30.28, "lon": 120.16, "accuracy": 5}),
    ]
    answers = [good_answer(dev, oid, item) for item in inspection["items"]]
    voltage = next(i for i in inspection["items"] if i["label"] == "蓄电池浮充电压")
    low = dev.mutation(
        "inspection.answer",
        {"id": new_id(), "work_order_id": oid, "item_id": voltage["id"], "value_number": 51.2},
    )
    status, body = dev.push([*start, *answers, low])
    assert all(r["status"] == "applied" for r in body["results"]), body
    verdict = body["results"][-1]["result"]
    assert verdict["passed"] is False and verdict["problems"] == ["remark_required"]
    # Resolving now is refused: the failed reading has no remark.
    status, body = dev.push([dev.mutation("work_order.resolve", {"id": oid})])
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["result"]["code"] == "checklist_incomplete"
    assert "蓄电池浮充电压" in body["results"][0]["result"]["message"]
    rect_id = new_id()
    fix = [
        dev.mutation(
            "inspection.answer",
            {
                "id": new_id(),
                "work_order_id": oid,
                "item_id": voltage["id"],
                "value_number": 51.2,
                "remark": "电池组老化，已报整改",
            },
        ),
        dev.mutation(
            "inspection.open_rectification",
            {"id": rect_id, "work_order_id": oid, "item_id": voltage["id"]},
        ),
        dev.mutation("work_order.resolve", {"id": oid}),
        dev.mutation("work_order.submit", {"id": oid}),
    ]
    status, body = dev.push(fix)
    assert [r["status"] for r in body["results"]] == ["applied"] * 4, body
    rect = db.execute("SELECT * FROM work_order WHERE id = ?", [rect_id]).fetchone()
    assert rect["wo_type"] == "rectification" and rect["parent_id"] == oid
    assert rect["parent_item_id"] == voltage["id"] and rect["assignee_id"]
    # due by its severity (default major: 4320 min), no fault clocks
    assert rect["severity"] == "major" and rect["arrival_due_at"] is None
    due = parse(rect["restore_due_at"]) - parse(rect["dispatched_at"])
    assert due == timedelta(minutes=4320)
    linked = db.execute(
        "SELECT rectification_id FROM inspection_answer WHERE work_order_id = ? AND item_id = ?"
        " ORDER BY version DESC LIMIT 1",
        [oid, voltage["id"]],
    ).fetchone()
    assert linked[0] == rect_id
    order = db.execute("SELECT status FROM work_order WHERE id = ?", [oid]).fetchone()
    assert order[0] == "submitted"
    dev.pull()
    assert rect_id in dev.entities("work_order")


def test_an_answer_before_check_in_or_to_a_foreign_item_is_rejected(client, db, inspection):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = inspection["order"]["id"]
    item = inspection["items"][0]
    early = dev.mutation(
        "inspection.answer",
        {"id": new_id(), "work_order_id": oid, "item_id": item["id"], "value_number": 54},
    )
    status, body = dev.push([early])
    assert body["results"][0]["result"]["code"] == "illegal_transition"


def test_an_answer_or_rectification_id_of_another_record_is_taken(client, db, inspection):
    """Fixed: reusing another record's id answered `applied {"already": true}`."""
    t = inspection
    second = factories.make_work_order(
        db,
        t["T1"],
        wo_type="inspection",
        assignee=t["tech_k"],
        assigned_org=t["K"],
        site_id=t["site"]["id"],
        checklist_template_id=t["order"]["checklist_template_id"],
    )
    dev = Device(client, "tech_k", factories.PASSWORD)
    steps = []
    for oid in (t["order"]["id"], second["id"]):
        steps.append(dev.mutation("work_order.accept", {"id": oid}))
        where = {"lat": 30.28, "lon": 120.16, "accuracy": 5}
        steps.append(dev.mutation("work_order.arrive", {"id": oid, **where}))
    first = good_answer(dev, t["order"]["id"], t["items"][0])
    status, body = dev.push([*steps, first])
    assert [r["status"] for r in body["results"]] == ["applied"] * 5, body
    reused = good_answer(dev, second["id"], t["items"][0])
    reused["args"]["id"] = first["args"]["id"]
    rect = {"work_order_id": second["id"], "item_id": t["items"][0]["id"]}
    rect_reused = dev.mutation("inspection.open_rectification", {"id": t["order"]["id"], **rect})
    replay = good_answer(dev, t["order"]["id"], t["items"][0])
    replay["args"] = first["args"]
    status, body = dev.push([reused, rect_reused, replay])
    codes = [r["result"].get("code") for r in body["results"]]
    assert codes == ["id_taken", "id_taken", None], body
    assert body["results"][2]["result"]["already"] is True
    count = "SELECT count(*) FROM inspection_answer WHERE work_order_id = ?"
    assert db.execute(count, [second["id"]]).fetchone()[0] == 0

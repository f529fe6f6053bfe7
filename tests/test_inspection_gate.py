"""Issue 14 item 5: an inspection is resolved, submitted and approved only with its whole
checklist answered; one with no checklist at all is refused with its own reason."""

import pytest

from server import records
from server.inspections import checklists
from server.work_orders import checklist_gate, model, rules
from tests import factories
from tests.device import Device, new_id

AT = "2026-12-01T02:00:00Z"
ITEMS = [
    {"label": "整流模块无告警", "kind": "pass_fail"},
    {"label": "机房温度", "kind": "reading", "unit": "℃", "min_value": 10, "max_value": 30},
]


@pytest.fixture
def crew(db, tree):
    t = dict(tree)
    t["site"] = factories.make_site(db, t["T1"], contractor=t["K"], lat=30.28, lon=120.16)
    t["template"] = checklists.create_template(db, None, "base_station", "测试巡检表", ITEMS)
    t["order"] = factories.make_work_order(
        db,
        t["T1"],
        "inspection",
        assignee=t["tech_k"],
        assigned_org=t["K"],
        site_id=t["site"]["id"],
        checklist_template_id=t["template"]["id"],
    )["id"]
    t["bare"] = factories.make_work_order(
        db,
        t["T1"],
        "inspection",
        assignee=t["tech_k"],
        assigned_org=t["K"],
        site_id=t["site"]["id"],
    )["id"]
    return t


def on_site(dev, oid):
    return [
        dev.mutation("work_order.accept", {"id": oid, "at": AT}),
        dev.mutation(
            "work_order.arrive", {"id": oid, "at": AT, "lat": 30.28, "lon": 120.16, "accuracy": 8}
        ),
    ]


def answer(dev, crew, position, **value):
    item = crew["template"]["items"][position]
    args = {"id": new_id(), "work_order_id": crew["order"], "item_id": item["id"], "at": AT}
    return dev.mutation("inspection.answer", {**args, **value})


def results(body):
    return [(r["status"], (r.get("result") or {}).get("code")) for r in body["results"]]


def status(db, oid):
    return db.execute("SELECT status FROM work_order WHERE id = ?", [oid]).fetchone()[0]


def test_an_inspection_without_a_checklist_cannot_be_resolved(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    first = on_site(dev, crew["bare"])
    resolve = dev.mutation("work_order.resolve", {"id": crew["bare"], "at": AT})
    _s, body = dev.push([*first, resolve])
    assert results(body) == [("applied", None), ("applied", None), ("rejected", "no_checklist")]
    assert "no checklist" in body["results"][2]["result"]["message"]
    assert status(db, crew["bare"]) == "on_site"


def test_an_empty_template_counts_as_no_checklist(db, crew):
    order = dict(records.get(db, "work_order", crew["order"]))
    assert checklist_gate.refusal(db, order)[0] == "checklist_incomplete"
    order["checklist_template_id"] = new_id()  # a template with no items
    assert checklist_gate.refusal(db, order)[0] == "no_checklist"
    order["wo_type"] = "fault_repair"
    assert checklist_gate.refusal(db, order) is None


def test_every_item_must_be_answered_before_resolve(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    first = [*on_site(dev, crew["order"]), answer(dev, crew, 0, passed=True)]
    resolve = dev.mutation("work_order.resolve", {"id": crew["order"], "at": AT})
    _s, body = dev.push([*first, resolve])
    assert results(body)[-1] == ("rejected", "checklist_incomplete")
    assert "机房温度" in body["results"][-1]["result"]["message"]
    more = answer(dev, crew, 1, value_number=22)
    resolve = dev.mutation("work_order.resolve", {"id": crew["order"], "at": AT})
    _s, body = dev.push([more, resolve])
    assert results(body) == [("applied", None), ("applied", None)]
    assert status(db, crew["order"]) == "resolved"


def test_a_returned_inspection_is_resubmitted_only_when_complete(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    _s, body = dev.push([*on_site(dev, crew["order"]), answer(dev, crew, 0, passed=True)])
    # Returned by the supervisor with an item still open (e.g. an answer later withdrawn).
    records.update(db, "work_order", crew["order"], {"status": "returned"}, None)
    submit = dev.mutation("work_order.submit", {"id": crew["order"], "at": AT})
    _s, body = dev.push([submit])
    assert results(body) == [("rejected", "checklist_incomplete")]
    _s, body = dev.push(
        [
            answer(dev, crew, 1, value_number=22),
            dev.mutation("work_order.submit", {"id": crew["order"], "at": AT}),
        ]
    )
    assert results(body) == [("applied", None), ("applied", None)]
    assert status(db, crew["order"]) == "submitted"


def test_the_supervisor_cannot_approve_an_unchecked_inspection(client, db, auth, crew):
    for oid in (crew["order"], crew["bare"]):
        records.update(db, "work_order", oid, {"status": "submitted"}, None)
    auth.login("sup_d1")
    resp = auth.post(f"/reviews/work_order/{crew['bare']}/approve")
    assert resp.status_code == 409 and "no checklist" in resp.get_data(as_text=True)
    page = auth.post(f"/work-orders/{crew['order']}/review/approve")
    assert page.status_code == 409 and "机房温度" in page.get_data(as_text=True)
    assert status(db, crew["bare"]) == status(db, crew["order"]) == "submitted"
    with pytest.raises(rules.IllegalTransition, match="items"):
        model.review(db, None, crew["order"], "approve")


def test_a_complete_inspection_is_approved(client, db, auth, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]
    _s, body = dev.push(
        [
            *on_site(dev, oid),
            answer(dev, crew, 0, passed=True),
            answer(dev, crew, 1, value_number=22),
            dev.mutation("work_order.resolve", {"id": oid, "at": AT}),
            dev.mutation("work_order.submit", {"id": oid, "at": AT}),
        ]
    )
    assert all(r["status"] == "applied" for r in body["results"]), body
    auth.login("sup_d1")
    assert auth.post(f"/reviews/work_order/{oid}/approve").status_code == 303
    assert status(db, oid) == "approved"

"""Technicians' work orders through the real sync API: the field steps, evidence, late work."""

import pytest

from server.ids import now_utc
from server.work_orders import model
from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def crew(db, tree):
    t = dict(tree)
    t["site"] = factories.make_site(db, t["T1"], contractor=t["K"], lat=30.28, lon=120.16)
    t["order"] = factories.make_work_order(
        db,
        t["T1"],
        assignee=t["tech_k"],
        assigned_org=t["K"],
        site_id=t["site"]["id"],
        sla_grade="gold",
    )
    return t


def steps(dev, order_id, at=None, accept=True):
    at = at or now_utc()
    first = [dev.mutation("work_order.accept", {"id": order_id, "at": at})] if accept else []
    return [
        *first,
        dev.mutation("work_order.travel", {"id": order_id, "at": at}),
        dev.mutation(
            "work_order.arrive",
            {"id": order_id, "at": at, "lat": 30.2802, "lon": 120.1601, "accuracy": 8},
        ),
        dev.mutation(
            "work_order.resolve",
            {
                "id": order_id,
                "at": at,
                "cause": "电源模块故障",
                "fix": "更换整流模块",
                "parts_used": [{"name": "整流模块", "qty": 1}],
            },
        ),
    ]


def row(db, order_id):
    return db.execute("SELECT * FROM work_order WHERE id = ?", [order_id]).fetchone()


def test_a_technician_works_an_order_through(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    dev.pull()
    assert crew["order"]["id"] in dev.entities("work_order")
    assert crew["site"]["id"] in dev.entities("site")
    oid = crew["order"]["id"]
    status, body = dev.push([*steps(dev, oid), dev.mutation("work_order.submit", {"id": oid})])
    assert [r["status"] for r in body["results"]] == ["applied"] * 5, body
    order = row(db, oid)
    assert order["status"] == "submitted" and order["cause"] == "电源模块故障"
    assert order["time_flags"] == "" and order["accepted_at"] <= order["resolved_at"]
    assert order["check_in_flag"] == "ok" and order["check_in_distance_m"] < 50
    events = db.execute(
        "SELECT to_status FROM work_order_event WHERE work_order_id = ? ORDER BY server_at, rowid",
        [oid],
    ).fetchall()
    assert [e[0] for e in events] == ["accepted", "en_route", "on_site", "resolved", "submitted"]


def test_an_illegal_step_is_rejected_with_a_reason(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]["id"]
    status, body = dev.push([dev.mutation("work_order.resolve", {"id": oid})])
    result = body["results"][0]
    assert result["status"] == "rejected" and result["result"]["code"] == "illegal_transition"
    assert "dispatched" in result["result"]["message"]
    assert row(db, oid)["status"] == "dispatched"


def test_reassignment_while_working_offline_keeps_the_work_as_a_late_edit(client, db, crew):
    first = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]["id"]
    first.push([first.mutation("work_order.accept", {"id": oid})])
    first.pull()
    offline = steps(first, oid, accept=False)  # travel, arrive, resolve — no signal
    model.assign(
        db,
        crew["sup_k"]["id"],
        oid,
        assignee_id=crew["tech1"]["id"],
        assigned_org_id=crew["T1"]["id"],
    )
    status, body = first.push(offline)
    assert [(r["status"], r["result"]["reason"]) for r in body["results"]] == [
        ("held", "reassigned")
    ] * 3
    held = db.execute(
        "SELECT mutation_name, args FROM conflict WHERE entity_id = ? ORDER BY mutation_id", [oid]
    ).fetchall()
    assert [h[0] for h in held] == ["work_order.travel", "work_order.arrive", "work_order.resolve"]
    assert "更换整流模块" in held[2][1]  # the work is kept, word for word
    order = row(db, oid)
    assert order["status"] == "dispatched" and order["fix"] == ""  # not applied silently
    first.pull()
    assert oid not in first.entities("work_order")  # it left the first technician's device
    second = Device(client, "tech1", factories.PASSWORD)
    second.pull()
    assert oid in second.entities("work_order")


def test_cancelled_while_resolved_offline(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]["id"]
    work = steps(dev, oid)
    dev.push(work[:1])  # accepted while there was signal
    model.review(db, crew["sup_k"]["id"], oid, "cancel", "用户已自行恢复")
    status, body = dev.push(work[1:])
    assert {(r["status"], r["result"]["reason"]) for r in body["results"]} == {
        ("held", "cancelled")
    }
    order = row(db, oid)
    assert order["status"] == "cancelled" and order["cancel_reason"] == "用户已自行恢复"
    assert (
        db.execute("SELECT count(*) FROM conflict WHERE entity_id = ?", [oid]).fetchone()[0] == 3
    )


def test_device_event_times_are_corrected_and_implausible_ones_flagged(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]["id"]
    dev.push([dev.mutation("work_order.accept", {"id": oid, "at": "2099-01-01T00:00:00Z"})])
    event = db.execute("SELECT * FROM work_order_event WHERE work_order_id = ?", [oid]).fetchone()
    assert event["device_at"] == "2099-01-01T00:00:00Z" and event["server_at"]
    assert "future" in event["flags"]
    order = row(db, oid)
    assert order["accepted_at"] == event["server_at"]  # an implausible time is not trusted
    assert "future" in order["time_flags"]


def test_exception_report_filed_offline_by_any_field_user(client, db, crew):
    dev = Device(client, "am1", factories.PASSWORD)
    rid = new_id()
    args = {
        "id": rid,
        "title": "光缆被挖断",
        "description": "施工队挖断",
        "lat": 30.3,
        "lon": 120.2,
        "accuracy": 20,
        "at": "2026-11-22T01:00:00Z",
    }
    status, body = dev.push([dev.mutation("work_order.report_exception", args)])
    assert body["results"][0]["status"] == "applied"
    report = row(db, rid)
    assert report["wo_type"] == "exception_report" and report["status"] == "submitted"
    assert report["reported_by"] == crew["am1"]["id"]
    dev.pull()
    assert rid in dev.entities("work_order")


def test_rework_after_a_return_keeps_the_first_arrival_for_the_sla(client, db, crew):
    dev = Device(client, "tech_k", factories.PASSWORD)
    oid = crew["order"]["id"]
    dev.push([*steps(dev, oid), dev.mutation("work_order.submit", {"id": oid})])
    first = row(db, oid)
    model.review(db, crew["sup_k"]["id"], oid, "return", "照片不清晰")
    again = [
        dev.mutation(
            "work_order.arrive", {"id": oid, "lat": 30.2802, "lon": 120.1601, "accuracy": 8}
        ),
        dev.mutation("work_order.resolve", {"id": oid}),
        dev.mutation("work_order.submit", {"id": oid}),
    ]
    status, body = dev.push(again)
    assert [r["status"] for r in body["results"]] == ["applied"] * 3, body
    later = row(db, oid)
    assert later["status"] == "submitted"
    assert (later["on_site_at"], later["resolved_at"]) == (
        first["on_site_at"],
        first["resolved_at"],
    )
    assert later["submitted_at"] >= first["submitted_at"]
    events = db.execute(
        "SELECT count(*) FROM work_order_event WHERE work_order_id = ? AND to_status = 'on_site'",
        [oid],
    ).fetchone()[0]
    assert events == 2  # both arrivals stay in the timeline

"""Issue 14 item 4: an exception report converted into a fault repair, rectification or
on-demand order — model, web (CSRF, scope, idempotence), the reporter's device, the push."""

from datetime import UTC, datetime, timedelta

import pytest

from server import records
from server.reminders import rules as reminder_rules
from server.work_orders import links, rules
from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def world(db, tree):
    t = dict(tree)
    t["customer"] = factories.make_customer(db, t["T1"], t["am1"], sla_grade="gold")
    t["site"] = factories.make_site(db, t["T1"], contractor=t["K"], customer=t["customer"])
    t["bare_site"] = factories.make_site(db, t["T1"])  # no customer: standard grade
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    return t


def report(client, world, site_key="site", username="tech1") -> tuple[Device, str]:
    """A technician reports an exception from the phone; returns (device, report id)."""
    dev = Device(client, username, factories.PASSWORD)
    rid = new_id()
    args = {"id": rid, "title": "机房漏水", "description": "空调冷凝水外溢", "lat": 30.28}
    args |= {"lon": 120.16, "accuracy": 10, "at": "2026-12-01T02:00:00Z"}
    if site_key:
        args["site_id"] = world[site_key]["id"]
    _status, body = dev.push([dev.mutation("work_order.report_exception", args)])
    assert body["results"][0]["status"] == "applied", body
    return dev, rid


def row(db, oid):
    return db.execute("SELECT * FROM work_order WHERE id = ?", [oid]).fetchone()


def children(db, rid):
    return db.execute(
        "SELECT * FROM work_order WHERE parent_id = ? AND parent_item_id IS NULL", [rid]
    ).fetchall()


# ---- model ----


def test_convert_links_the_order_takes_the_grade_and_closes_the_report(client, db, world):
    _dev, rid = report(client, world)
    order, created = links.convert_report(
        db, world["sup_d1"]["id"], rid, "fault_repair", assignee_id=world["tech1"]["id"]
    )
    assert created and order["wo_type"] == "fault_repair" and order["status"] == "dispatched"
    assert order["parent_id"] == rid and order["reported_by"] == world["tech1"]["id"]
    assert order["sla_grade"] == "gold"  # the site's customer's grade
    assert order["customer_id"] == world["customer"]["id"]
    assert order["org_id"] == world["site"]["org_id"] and order["title"] == "机房漏水"
    rep = row(db, rid)
    assert rep["status"] == "closed" and rep["converted_to_id"] == order["id"]
    assert rep["closed_at"]
    steps = db.execute(
        "SELECT action, reviewer_id, reason FROM review WHERE entity_id = ?", [rid]
    ).fetchall()
    assert [tuple(s) for s in steps] == [("convert", world["sup_d1"]["id"], order["code"])]
    event = db.execute(
        "SELECT user_id, from_status, to_status, note FROM work_order_event"
        " WHERE work_order_id = ?",
        [rid],
    ).fetchall()
    assert [tuple(e) for e in event] == [
        (world["sup_d1"]["id"], "submitted", "closed", f"→ {order['code']}")
    ]


def test_converting_twice_makes_one_order(client, db, world):
    _dev, rid = report(client, world)
    first, created = links.convert_report(db, None, rid, "on_demand")
    again, created_again = links.convert_report(db, None, rid, "rectification")
    assert created and not created_again and again["id"] == first["id"]
    assert len(children(db, rid)) == 1
    # The database holds it too: a second child of the report is refused.
    with pytest.raises(Exception, match="UNIQUE"):
        factories.make_work_order(db, world["T1"], parent_id=rid)


def test_without_a_customer_the_grade_is_standard_and_a_site_is_needed(client, db, world):
    _dev, rid = report(client, world, site_key=None)
    with pytest.raises(rules.IllegalTransition, match="no site"):
        links.convert_report(db, None, rid, "fault_repair")
    assert row(db, rid)["status"] == "submitted" and not children(db, rid)
    order, _ = links.convert_report(
        db, None, rid, "fault_repair", site_id=world["bare_site"]["id"]
    )
    assert order["sla_grade"] == "standard" and order["site_id"] == world["bare_site"]["id"]


def test_only_a_submitted_or_approved_report_converts(client, db, world):
    _dev, rid = report(client, world)
    records.update(db, "work_order", rid, {"status": "returned"}, None)
    with pytest.raises(rules.IllegalTransition, match="returned"):
        links.convert_report(db, None, rid, "fault_repair")
    order = factories.make_work_order(db, world["T1"], site_id=world["site"]["id"])
    with pytest.raises(rules.IllegalTransition, match="only an exception report"):
        links.convert_report(db, None, order["id"], "fault_repair")
    records.update(db, "work_order", rid, {"status": "approved"}, None)
    with pytest.raises(rules.IllegalTransition, match="inspection"):
        links.convert_report(db, None, rid, "inspection")
    assert links.convert_report(db, None, rid, "rectification")[1]


# ---- web ----


def test_the_supervisor_converts_on_the_report_page(client, db, auth, world):
    _dev, rid = report(client, world)
    auth.login("sup_d1")
    page = client.get(f"/work-orders/{rid}").get_data(as_text=True)
    assert 'data-testid="convert-form"' in page and 'data-action="convert"' in page
    data = {"wo_type": "fault_repair", "assignee_id": world["tech1"]["id"]}
    resp = auth.post(f"/work-orders/{rid}/convert", data)
    assert resp.status_code == 303
    (made,) = children(db, rid)
    assert resp.headers["Location"].endswith(f"/work-orders/{made['id']}")
    new_page = client.get(f"/work-orders/{made['id']}").get_data(as_text=True)
    assert 'data-testid="order-parent"' in new_page and row(db, rid)["code"] in new_page
    old_page = client.get(f"/work-orders/{rid}").get_data(as_text=True)
    assert 'data-testid="order-converted-to"' in old_page and made["code"] in old_page
    assert 'data-testid="convert-form"' not in old_page
    assert "convert" in old_page  # the review history shows the step
    again = auth.post(f"/work-orders/{rid}/convert", {"wo_type": "on_demand"})
    assert again.status_code == 303 and again.headers["Location"].endswith(made["id"])
    assert len(children(db, rid)) == 1


def test_convert_needs_csrf_and_valid_choices(client, db, auth, world):
    _dev, rid = report(client, world)
    auth.login("sup_d1")
    bare = client.post(f"/work-orders/{rid}/convert", data={"wo_type": "fault_repair"})
    assert bare.status_code == 400
    bad = auth.post(f"/work-orders/{rid}/convert", {"wo_type": "inspection"})
    assert bad.status_code == 422 and 'data-error="wo_type"' in bad.get_data(as_text=True)
    nobody = auth.post(f"/work-orders/{rid}/convert", {"wo_type": "fault_repair"})
    assert nobody.status_code == 422  # a technician or team is required, as at dispatch
    stranger = auth.post(
        f"/work-orders/{rid}/convert",
        {"wo_type": "fault_repair", "assignee_id": world["tech_k"]["id"], "assigned_org_id": "x"},
    )
    assert stranger.status_code == 422
    assert row(db, rid)["status"] == "submitted" and not children(db, rid)


def test_another_scope_and_other_orders_are_404(client, db, auth, world):
    _dev, rid = report(client, world)
    auth.login("sup_d2")
    resp = auth.post(f"/work-orders/{rid}/convert", {"wo_type": "fault_repair"})
    assert resp.status_code == 404
    auth.logout()
    auth.login("sup_d1")
    order = factories.make_work_order(db, world["T1"], site_id=world["site"]["id"])
    assert (
        auth.post(f"/work-orders/{order['id']}/convert", {"wo_type": "on_demand"}).status_code
        == 404
    )
    assert auth.post(f"/work-orders/{new_id()}/convert", {}).status_code == 404
    assert row(db, rid)["status"] == "submitted" and not children(db, rid)


def test_a_contractor_supervisor_cannot_convert(client, db, auth, world):
    _dev, rid = report(client, world, username="tech_k")
    auth.login("sup_k")
    page = client.get(f"/work-orders/{rid}").get_data(as_text=True)
    assert 'data-testid="convert-form"' not in page
    data = {"wo_type": "fault_repair", "assignee_id": world["tech_k"]["id"]}
    resp = auth.post(f"/work-orders/{rid}/convert", data)
    assert resp.status_code == 403 and "运营商" in resp.get_data(as_text=True)
    assert row(db, rid)["status"] == "submitted" and not children(db, rid)
    auth.logout()
    auth.login("sup_city")  # the operator's supervisor over the site
    assert auth.post(f"/work-orders/{rid}/convert", data).status_code == 303
    assert len(children(db, rid)) == 1


# ---- the reporter's device and push ----


def test_the_reporter_pulls_the_linked_order_and_works_it_only_if_theirs(client, db, world):
    dev, rid = report(client, world)
    other = factories.make_user(db, world["T1"], "technician", username="tech_other")
    order, _ = links.convert_report(
        db, world["sup_d1"]["id"], rid, "fault_repair", assignee_id=other["id"]
    )
    dev.pull()
    pulled = dev.entities("work_order")
    assert order["id"] in pulled and pulled[order["id"]]["parent_id"] == rid
    assert pulled[rid]["status"] == "closed" and pulled[rid]["converted_to_id"] == order["id"]
    _status, body = dev.push(
        [dev.mutation("work_order.accept", {"id": order["id"], "at": "2026-12-01T03:00:00Z"})]
    )
    result = body["results"][0]
    assert result["status"] == "rejected" and result["result"]["code"] == "unknown_work_order"
    assert row(db, order["id"])["status"] == "dispatched"
    # Someone else in another team does not receive it.
    stranger = Device(client, "tech_k", factories.PASSWORD)
    stranger.pull()
    assert order["id"] not in stranger.entities("work_order")


def test_the_reporter_assigned_the_new_order_works_it(client, db, world):
    dev, rid = report(client, world)
    order, _ = links.convert_report(
        db, None, rid, "fault_repair", assignee_id=world["tech1"]["id"]
    )
    _status, body = dev.push(
        [dev.mutation("work_order.accept", {"id": order["id"], "at": "2026-12-01T03:00:00Z"})]
    )
    assert body["results"][0]["status"] == "applied", body


def test_the_reporter_is_told_by_push(client, db, world, app):
    _dev, rid = report(client, world)
    order, _ = links.convert_report(db, None, rid, "on_demand", assigned_org_id=world["T1"]["id"])
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    found = reminder_rules.converted_reports(db, [rid, order["id"]], expires)
    assert [(r["user_id"], r["kind"], r["subject_id"], r["occasion"]) for r in found] == [
        (world["tech1"]["id"], "report_converted", rid, order["id"])
    ]
    assert found[0]["url"] == f"/m/orders/{order['id']}"
    from server.reminders import compute

    with app.app_context():
        compute.compute(db, app.config, datetime.now(UTC))
        compute.compute(db, app.config, datetime.now(UTC))
    queued = db.execute(
        "SELECT user_id, url FROM reminder WHERE kind = 'report_converted'"
    ).fetchall()
    assert [tuple(q) for q in queued] == [(world["tech1"]["id"], f"/m/orders/{order['id']}")]

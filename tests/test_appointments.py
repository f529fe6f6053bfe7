"""Appointments: recording (pages and appointment.record), scope, conversion into a planned
visit or a work order, and the outcome (done when the linked work is done, computed)."""

import pytest

from server import records
from server.appointments import model
from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def field(db, tree):
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], name="西湖电子", sla_grade="gold")
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"], name="上城银行")
    t["site1"] = factories.make_site(
        db, t["T1"], customer=t["cust1"], site_type="customer_premises"
    )
    return t


def request_form(customer, **over):
    values = dict(
        customer_id=customer["id"],
        wanted_at="2026-06-02T07:00",  # Beijing time: 2026-06-01T23:00Z
        need="专线中断后希望上门检查设备",
        contact_name="王经理",
        contact_phone="13900000000",
    )
    values.update(over)
    return values


def record(db, actor, customer, **over) -> dict:
    clean, errors = model.validate_record(
        db, _caller(db, actor), request_form(customer, **over), "Asia/Shanghai"
    )
    assert not errors, errors
    return model.record(db, actor["id"], clean)


def _caller(db, user):
    from server.auth.model import caller

    return caller(db, user["id"])


def shown(db, user, appointment_id) -> dict | None:
    return model.get_scoped(db, _caller(db, user), appointment_id)


def test_account_manager_records_on_the_page(db, auth, field):
    auth.login("am1")
    resp = auth.post("/appointments/new", data=request_form(field["cust1"]))
    assert resp.status_code == 303
    row = dict(db.execute("SELECT * FROM appointment").fetchone())
    assert row["wanted_at"] == "2026-06-01T23:00:00.000Z"
    assert (row["org_id"], row["account_manager_id"], row["recorded_by"]) == (
        field["T1"]["id"],
        field["am1"]["id"],
        field["am1"]["id"],
    )
    assert row["status"] == "open" and row["contact_name"] == "王经理"
    page = auth.client.get("/appointments/").get_data(as_text=True)
    assert f'data-appointment="{row["id"]}" data-status="open"' in page


@pytest.mark.parametrize(
    ("over", "field_name", "code"),
    [
        (dict(need=""), "need", "required"),
        (dict(wanted_at="明天"), "wanted_at", "invalid_datetime"),
        (dict(customer_id=""), "customer_id", "required"),
        (dict(contact_phone="1" * 51), "contact_phone", "too_long"),
    ],
)
def test_record_form_errors(db, auth, field, over, field_name, code):
    auth.login("am1")
    resp = auth.post("/appointments/new", data=request_form(field["cust1"], **over))
    assert resp.status_code == 422 and f'data-error="{field_name}"' in resp.get_data(as_text=True)
    _, errors = model.validate_record(
        db, _caller(db, field["am1"]), request_form(field["cust1"], **over), "Asia/Shanghai"
    )
    assert errors[field_name] == code
    assert db.execute("SELECT count(*) FROM appointment").fetchone()[0] == 0


def test_scope_of_recording_lists_and_details(db, auth, field):
    auth.login("am1")
    resp = auth.post("/appointments/new", data=request_form(field["cust2"]))
    assert resp.status_code == 422 and 'data-error="customer_id"' in resp.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM appointment").fetchone()[0] == 0
    mine, theirs = (
        record(db, field["am1"], field["cust1"]),
        record(db, field["am2"], field["cust2"]),
    )
    assert auth.client.get(f"/appointments/{theirs['id']}").status_code == 404
    assert auth.post(f"/appointments/{theirs['id']}/visit").status_code == 404
    page = auth.client.get("/appointments/").get_data(as_text=True)
    assert mine["id"] in page and theirs["id"] not in page
    assert shown(db, field["sup_d1"], mine["id"]) and not shown(db, field["sup_d1"], theirs["id"])
    assert shown(db, field["sup_city"], theirs["id"])
    assert not shown(db, field["tech1"], mine["id"])


def test_convert_to_planned_visit_and_done_when_the_visit_is(db, auth, client, field):
    appointment = record(db, field["am1"], field["cust1"])
    auth.login("am1")
    resp = auth.post(f"/appointments/{appointment['id']}/visit", data={"purpose": "care"})
    assert resp.status_code == 303
    a = shown(db, field["am1"], appointment["id"])
    visit = records.get(db, "visit", a["visit_id"])
    # planned on the Beijing day of the wanted time, for the customer's account manager
    assert (visit["status"], visit["planned_date"], visit["purpose"]) == (
        "planned",
        "2026-06-02",
        "care",
    )
    assert visit["account_manager_id"] == field["am1"]["id"]
    assert (a["status"], a["effective_status"]) == ("planned", "planned")
    again = auth.post(f"/appointments/{appointment['id']}/visit", data={})
    assert again.status_code == 409
    assert db.execute("SELECT count(*) FROM visit").fetchone()[0] == 1
    # The account manager's device has the planned visit; checking in and out makes it done.
    device = Device(client, "am1", factories.PASSWORD)
    device.pull()
    assert visit["id"] in device.entities("visit")
    assert device.entities("appointment")[appointment["id"]]["visit_id"] == visit["id"]
    args = {"id": visit["id"], "customer_id": field["cust1"]["id"], "lat": 30.27, "lon": 120.15}
    status, body = device.push(
        [
            device.mutation("visit.check_in", {**args, "accuracy": 10, "at": "2026-06-02T00:00Z"}),
            device.mutation("visit.check_out", {"id": visit["id"]}),
        ]
    )
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert shown(db, field["am1"], appointment["id"])["effective_status"] == "done"
    page = auth.client.get("/appointments/?status=done").get_data(as_text=True)
    assert appointment["id"] in page
    # Returned for rework: the appointment is planned again until the visit is resubmitted.
    records.update(db, "visit", visit["id"], {"status": "returned"}, field["sup_d1"]["id"])
    assert shown(db, field["am1"], appointment["id"])["effective_status"] == "planned"
    assert appointment["id"] not in auth.client.get("/appointments/?status=done").get_data(
        as_text=True
    )


def test_convert_to_work_order_is_for_supervisors(db, auth, field):
    appointment = record(db, field["am1"], field["cust1"])
    data = {"wo_type": "on_demand", "site_id": field["site1"]["id"], "assignee_id": ""}
    data["assigned_org_id"] = field["T1"]["id"]
    auth.login("am1")
    assert auth.post(f"/appointments/{appointment['id']}/work-order", data=data).status_code == 403
    auth.logout()
    auth.login("sup_d1")
    bad = auth.post(
        f"/appointments/{appointment['id']}/work-order", data={"wo_type": "inspection"}
    )
    assert 'data-error="wo_type"' in bad.get_data(as_text=True)
    resp = auth.post(f"/appointments/{appointment['id']}/work-order", data=data)
    assert resp.status_code == 303
    a = shown(db, field["sup_d1"], appointment["id"])
    order = records.get(db, "work_order", a["work_order_id"])
    assert (order["wo_type"], order["status"], order["customer_id"], order["site_id"]) == (
        "on_demand",
        "dispatched",
        field["cust1"]["id"],
        field["site1"]["id"],
    )
    assert order["sla_grade"] == "gold" and order["restore_due_at"]
    assert order["title"] == "专线中断后希望上门检查设备" and "13900000000" in order["description"]
    assert a["effective_status"] == "planned"
    records.update(db, "work_order", order["id"], {"status": "resolved"}, field["tech1"]["id"])
    assert shown(db, field["sup_d1"], appointment["id"])["effective_status"] == "done"


def test_close_with_outcome_and_reconvert_after_cancelled_visit(db, auth, field):
    appointment = record(db, field["am1"], field["cust1"])
    auth.login("am1")
    auth.post(f"/appointments/{appointment['id']}/visit", data={})
    a = shown(db, field["am1"], appointment["id"])
    records.update(db, "visit", a["visit_id"], {"status": "cancelled"}, field["am1"]["id"])
    assert model.convertible(shown(db, field["am1"], appointment["id"]))
    assert auth.post(f"/appointments/{appointment['id']}/visit", data={}).status_code == 303
    assert shown(db, field["am1"], appointment["id"])["visit_id"] != a["visit_id"]
    empty = auth.post(f"/appointments/{appointment['id']}/close", data={"status": "cancelled"})
    assert 'data-error="outcome"' in empty.get_data(as_text=True)
    resp = auth.post(
        f"/appointments/{appointment['id']}/close",
        data={"status": "cancelled", "outcome": "客户自行解决"},
    )
    assert resp.status_code == 303
    a = shown(db, field["am1"], appointment["id"])
    assert (a["effective_status"], a["outcome"]) == ("cancelled", "客户自行解决")
    assert a["closed_at"] and not model.convertible(a)
    again = auth.post(
        f"/appointments/{appointment['id']}/close", data={"status": "done", "outcome": "x"}
    )
    assert again.status_code == 409


def test_record_through_sync(db, client, field):
    device = Device(client, "am1", factories.PASSWORD)
    device.pull()
    moved = factories.make_customer(db, field["T1"], field["am1"])
    from server.customers.model import update_customer

    # reassigned while the device was offline: a late edit; am2's own customer, never am1's,
    # is answered as if it did not exist
    update_customer(db, None, moved["id"], {"account_manager_id": field["am2"]["id"]})
    mine, other, bad = new_id(), new_id(), new_id()
    args = dict(
        customer_id=field["cust1"]["id"],
        wanted_at="2026-06-02T07:00:00+08:00",
        need="想了解5G专网",
        contact_name="李主任",
        contact_phone="0571-88888888",
    )
    status, body = device.push(
        [
            device.mutation("appointment.record", {"id": mine, **args}),
            device.mutation("appointment.record", {"id": mine, **args}),
            device.mutation(
                "appointment.record", {**args, "id": other, "customer_id": moved["id"]}
            ),
            device.mutation(
                "appointment.record", {**args, "id": new_id(), "customer_id": field["cust2"]["id"]}
            ),
            device.mutation("appointment.record", {**args, "id": bad, "wanted_at": "下周"}),
            device.mutation("appointment.record", {**args, "id": bad, "need": ""}),
        ]
    )
    assert status == 200
    assert [r["status"] for r in body["results"]] == [
        "applied",
        "applied",
        "held",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert body["results"][3]["result"]["code"] == "unknown_customer"
    assert body["results"][1]["result"] == {"id": mine, "already": True}
    stored = records.get(db, "appointment", mine)
    assert stored["wanted_at"] == "2026-06-01T23:00:00.000Z"
    assert (stored["account_manager_id"], stored["status"]) == (field["am1"]["id"], "open")
    assert records.get(db, "appointment", other) is None  # moved away: kept for review
    held = db.execute("SELECT entity, reason FROM conflict WHERE entity_id = ?", [other])
    assert [tuple(r) for r in held] == [("appointment", "reassigned")]
    device.pull()
    assert set(device.entities("appointment")) == {mine}
    other_device = Device(client, "am2", factories.PASSWORD)
    other_device.pull()
    assert mine not in other_device.entities("appointment")
    supervisor = Device(client, "sup_d1", factories.PASSWORD)
    supervisor.pull()
    assert mine in supervisor.entities("appointment")


def test_record_form_and_customer_search_are_scoped(db, auth, field):
    auth.login("am1")
    page = auth.client.get(f"/appointments/new?customer_id={field['cust1']['id']}")
    assert f'value="{field["cust1"]["id"]}" selected' in page.get_data(as_text=True)
    options = auth.client.get("/appointments/customer-options?customer_q=银行")
    assert field["cust2"]["id"] not in options.get_data(as_text=True)
    options = auth.client.get("/appointments/customer-options?customer_q=西湖")
    assert field["cust1"]["id"] in options.get_data(as_text=True)
    auth.logout()
    auth.login("tech1")
    assert auth.client.get("/appointments/").status_code == 403

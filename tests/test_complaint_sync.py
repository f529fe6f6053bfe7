"""Complaint mutations through the real sync API: add (idempotent), update (per-field LWW by
HLC), give feedback; another scope's id is answered like a missing one, never a success."""

import pytest

from server.complaints import model
from tests import factories
from tests.device import Device, new_id


def add_args(customer, **over):
    args = dict(
        id=new_id(),
        customer_id=customer["id"],
        channel="visit",
        category="dedicated_line_fault",
        severity="high",
        words="专线每天下午断两次",
        at="2026-06-01T09:00:00+08:00",
    )
    return {**args, **over}


@pytest.fixture
def am1(client, field):
    return Device(client, "am1", factories.PASSWORD)


def steps_of(db, complaint_id):
    return [s["action"] for s in model.history(db, complaint_id)]


def test_add_records_once_and_replays_answer_already(db, am1, field):
    args = add_args(field["cust1"])
    first = am1.applied("complaint.add", args)
    again = am1.applied("complaint.add", args)
    assert again == {"id": args["id"], "already": True} and first["version"]
    row = db.execute("SELECT * FROM complaint WHERE id = ?", [args["id"]]).fetchone()
    assert (row["status"], row["owner_id"], row["recorded_by"]) == (
        "received",
        field["am1"]["id"],
        field["am1"]["id"],
    )
    assert row["received_device_at"] == args["at"]  # evidence, kept as sent
    assert steps_of(db, args["id"]) == ["record"]
    am1.pull()
    assert args["id"] in am1.entities("complaint")


def test_add_on_a_visit_of_the_same_customer(db, am1, field):
    visit = factories.make_visit(db, field["cust1"])
    args = add_args(field["cust1"], visit_id=visit["id"])
    am1.applied("complaint.add", args)
    other = factories.make_visit(db, field["cust2"])
    refused = am1.push_one("complaint.add", add_args(field["cust1"], visit_id=other["id"]))
    assert (refused["status"], refused["result"]["code"]) == ("rejected", "unknown_visit")


def test_another_account_managers_customer_is_unknown(am1, field):
    result = am1.push_one("complaint.add", add_args(field["cust2"]))
    assert (result["status"], result["result"]["code"]) == ("rejected", "unknown_customer")


def test_an_id_of_another_users_complaint_is_taken(client, db, am1, field):
    theirs = factories.make_complaint(db, field["cust2"])
    result = am1.push_one("complaint.add", add_args(field["cust1"], id=theirs["id"]))
    assert (result["status"], result["result"]["code"]) == ("rejected", "id_taken")


def test_update_merges_per_field_last_writer_wins(client, db, am1, field):
    args = add_args(field["cust1"])
    am1.applied("complaint.add", args)
    phone = Device(client, "am1", factories.PASSWORD, clock_offset_ms=60_000)  # a minute ahead
    early = am1.mutation("complaint.update", {"id": args["id"], "fields": {"words": "旧说法"}})
    late = phone.mutation(
        "complaint.update", {"id": args["id"], "fields": {"words": "新说法", "channel": "app"}}
    )
    assert phone.push([late])[0] == 200
    status, body = am1.push([early])  # older HLC, arriving later: its words are ignored
    assert status == 200 and body["results"][0]["result"]["ignored"] == ["words"]
    row = db.execute("SELECT words, channel FROM complaint WHERE id = ?", [args["id"]]).fetchone()
    assert (row["words"], row["channel"]) == ("新说法", "app")


@pytest.mark.parametrize("name", ["complaint.update", "complaint.give_feedback"])
def test_another_scopes_complaint_answers_like_a_missing_one(db, am1, field, name):
    theirs = factories.make_complaint(db, field["cust2"])
    args = (
        {"fields": {"words": "x"}}
        if name == "complaint.update"
        else {"how": "phone", "reaction": "satisfied"}
    )
    foreign = am1.push_one(name, {"id": theirs["id"], **args})
    missing = am1.push_one(name, {"id": new_id(), **args})
    assert foreign["status"] == missing["status"] == "rejected"
    assert foreign["result"] == missing["result"]
    assert foreign["result"]["code"] == "unknown_complaint"
    stored = db.execute("SELECT words FROM complaint WHERE id = ?", [theirs["id"]]).fetchone()
    assert stored["words"] == theirs["words"]


def test_feedback_is_given_on_a_handled_complaint_once(db, am1, field):
    sup = field["sup_d1"]["id"]
    k = factories.make_complaint(db, field["cust1"])
    early = am1.push_one(
        "complaint.give_feedback", {"id": k["id"], "how": "visit", "reaction": "satisfied"}
    )
    assert (early["status"], early["result"]["code"]) == ("rejected", "illegal_transition")
    k = model.transition(db, sup, k, "investigate")
    model.transition(db, sup, k, "handle", handling="更换光模块")
    args = {"id": k["id"], "how": "visit", "reaction": "satisfied", "note": "客户认可"}
    am1.applied("complaint.give_feedback", args)
    assert am1.applied("complaint.give_feedback", args)["already"] is True
    row = db.execute("SELECT * FROM complaint WHERE id = ?", [k["id"]]).fetchone()
    assert (row["status"], row["feedback_how"], row["feedback_reaction"]) == (
        "feedback_given",
        "visit",
        "satisfied",
    )
    assert steps_of(db, k["id"])[-1] == "give_feedback"


def test_an_archived_complaint_holds_a_device_edit_for_a_supervisor(db, am1, field):
    k = factories.make_complaint(db, field["cust1"])
    db.execute("UPDATE complaint SET status = 'archived' WHERE id = ?", [k["id"]])
    result = am1.push_one("complaint.update", {"id": k["id"], "fields": {"words": "补充"}})
    assert result["status"] == "held" and result["result"]["reason"] == "archived"
    row = db.execute("SELECT words FROM complaint WHERE id = ?", [k["id"]]).fetchone()
    assert row["words"] == k["words"]

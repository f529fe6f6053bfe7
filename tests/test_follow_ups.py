"""Follow-ups closed from the device (`follow_up.done`): evidence, replay, scope, late edits
and their apply, the on-time indicator (docs/sync-protocol.md, docs/scores.md)."""

import re

import pytest

from server import records
from server.scores import account_managers as am_ind
from server.visits import model as visits
from tests import factories
from tests.conftest import signed_in
from tests.device import Device, new_id

PW = factories.PASSWORD
HERE = {"lat": 30.2745, "lon": 120.1555, "accuracy": 12.0}
AT = "2026-03-10T10:00:00+08:00"  # 02:00 UTC on the due day
MONTH = "2026-03"


def visit_with_follow_ups(client, db, team, am, dues, action="送报价单"):
    """A checked-out visit of `am`'s new customer with one follow-up per due day."""
    dev = Device(client, am["username"], PW)
    customer = factories.make_customer(db, team, am)
    vid = new_id()
    at = "2026-03-01T02:00:00Z"
    dev.applied("visit.check_in", {"id": vid, "customer_id": customer["id"], **HERE, "at": at})
    ids = []
    for due in dues:
        fid = new_id()
        args = {"id": fid, "visit_id": vid, "action": action, "due_date": due}
        dev.applied("visit.add_follow_up", args)
        ids.append(fid)
    dev.applied("visit.check_out", {"id": vid, **HERE, "at": at})
    return dev, customer, vid, ids


@pytest.fixture
def field(client, db, tree):
    """am1's checked-out visit of their customer with two follow-ups, due 10 and 20 March."""
    dev, customer, vid, ids = visit_with_follow_ups(
        client, db, tree["T1"], tree["am1"], ("2026-03-10", "2026-03-20")
    )
    return dict(tree, dev=dev, customer=customer, visit=vid, f1=ids[0], f2=ids[1])


def row(db, fid) -> dict:
    return dict(db.execute("SELECT * FROM follow_up WHERE id = ?", [fid]).fetchone())


def test_done_keeps_the_devices_time_and_note_beside_the_servers(db, field):
    dev, fid = field["dev"], field["f1"]
    result = dev.applied("follow_up.done", {"id": fid, "at": AT, "note": "已发邮件"})
    assert result["id"] == fid and result["version"]
    stored = row(db, fid)
    assert stored["done_device_at"] == AT and stored["done_note"] == "已发邮件"
    assert stored["done_by"] == field["am1"]["id"] and stored["done_at"] > "2026-03-10"
    audit = db.execute(
        "SELECT action, user_id FROM audit_log WHERE entity = 'follow_up' AND entity_id = ?"
        " ORDER BY id",
        [fid],
    ).fetchall()
    assert [tuple(a) for a in audit][-1] == ("done", field["am1"]["id"])
    dev.pull()
    assert dev.entities("follow_up")[fid]["done_device_at"] == AT


def test_a_replay_and_a_second_done_answer_already_and_change_nothing(db, client, field):
    dev, fid = field["dev"], field["f1"]
    first = dev.mutation("follow_up.done", {"id": fid, "at": AT})
    status, body = dev.push([first])
    assert body["results"][0]["status"] == "applied"
    stored = row(db, fid)
    status, again = dev.push([first])  # the same mutation again: the logged answer
    replayed = again["results"][0]
    assert (replayed["status"], replayed["original"]) == ("duplicate", "applied")
    assert replayed["result"] == body["results"][0]["result"]
    other = Device(client, "am1", PW)  # a second phone closes it too, later
    second = other.push_one("follow_up.done", {"id": fid, "at": "2026-03-12T09:00:00Z"})
    assert second["status"] == "applied" and second["result"] == {"id": fid, "already": True}
    assert row(db, fid) == stored


@pytest.mark.parametrize("user", ["am2", "tech1", "sup_d1_other"])
def test_another_scopes_follow_up_is_unknown_like_a_missing_one(db, client, field, user):
    if user == "sup_d1_other":
        factories.make_user(db, field["D2"], "supervisor", username=user)
    dev = Device(client, user, PW)
    theirs = dev.push_one("follow_up.done", {"id": field["f1"], "at": AT})
    missing = dev.push_one("follow_up.done", {"id": new_id(), "at": AT})
    assert theirs["status"] == missing["status"] == "rejected"
    assert theirs["result"] == missing["result"]
    assert theirs["result"]["code"] == "unknown_follow_up" and theirs["result"]["arg"] == "id"
    assert row(db, field["f1"])["done_at"] is None
    assert db.execute("SELECT count(*) FROM conflict").fetchone()[0] == 0


@pytest.mark.parametrize(
    "args, arg",
    [
        ({"id": "not-a-uuid", "at": AT}, "id"),
        ({"at": AT}, "id"),
        ({"id": "ID"}, "at"),
        ({"id": "ID", "at": "yesterday"}, "at"),
        ({"id": "ID", "at": AT, "note": "x" * 2001}, "note"),
        ({"id": "ID", "at": AT, "note": 5}, "note"),
    ],
)
def test_bad_args_are_rejected_naming_them(db, field, args, arg):
    args = {k: (field["f1"] if v == "ID" else v) for k, v in args.items()}
    result = field["dev"].push_one("follow_up.done", args)
    assert result["status"] == "rejected", result
    assert (result["result"]["code"], result["result"]["arg"]) == ("bad_args", arg)
    assert row(db, field["f1"])["done_at"] is None


def _inbox(auth) -> list[str]:
    html = auth.client.get("/reviews/conflicts/").get_data(as_text=True)
    return re.findall(r'<tr data-conflict="([^"]+)"', html)


def test_a_follow_up_of_an_approved_visit_is_a_late_edit_and_its_apply_closes_it(app, db, field):
    visits.approve(db, field["sup_d1"]["id"], field["visit"])
    dev, fid = field["dev"], field["f1"]
    held = dev.push_one("follow_up.done", {"id": fid, "at": AT, "note": "电话确认"})
    assert held["status"] == "held"
    assert (held["result"]["kind"], held["result"]["reason"]) == ("late_edit", "approved")
    assert row(db, fid)["done_at"] is None
    conflict = dict(db.execute("SELECT * FROM conflict").fetchone())
    assert (conflict["entity"], conflict["entity_id"]) == ("follow_up", fid)
    sup = signed_in(app, "sup_d1")
    assert _inbox(sup) == [conflict["id"]]
    assert _inbox(signed_in(app, "sup_k")) == []
    html = sup.client.get("/reviews/conflicts/").get_data(as_text=True)
    assert "电话确认" in html and 'data-decision="apply"' in html

    resp = sup.post(f"/reviews/conflicts/{conflict['id']}", {"decision": "apply"})
    assert resp.status_code == 303
    stored = row(db, fid)
    # Closed as the device said: received when the server got it, not when applied.
    assert stored["done_at"] == conflict["created_at"] and stored["done_device_at"] == AT
    assert stored["done_note"] == "电话确认" and stored["done_by"] == field["am1"]["id"]
    assert stored["updated_by"] == field["sup_d1"]["id"]
    resolved = db.execute("SELECT status, resolution FROM conflict").fetchone()
    assert tuple(resolved) == ("resolved", "applied")
    # The indicator counts it by the device's time of the close: on the due day.
    _value, found = am_ind.follow_ups_on_time(db, field["am1"]["id"], MONTH)
    assert {r["record_id"]: r["rule"] for r in found}[fid] == "closed_on_time"


def test_applying_a_held_done_of_a_follow_up_closed_meanwhile_is_refused(app, db, field):
    visits.approve(db, field["sup_d1"]["id"], field["visit"])
    assert field["dev"].push_one("follow_up.done", {"id": field["f1"], "at": AT})["status"] == (
        "held"
    )
    records.update(db, "follow_up", field["f1"], {"done_at": "2026-03-11T00:00:00.000Z"}, None)
    cid = db.execute("SELECT id FROM conflict").fetchone()[0]
    resp = signed_in(app, "sup_d1").post(f"/reviews/conflicts/{cid}", {"decision": "apply"})
    assert resp.status_code == 409 and "already closed" in resp.get_data(as_text=True)
    assert db.execute("SELECT status FROM conflict").fetchone()[0] == "open"


def test_a_follow_up_whose_customer_was_reassigned_is_held(db, field):
    records.update(
        db, "customer", field["customer"]["id"], {"account_manager_id": field["am2"]["id"]}, None
    )
    held = field["dev"].push_one("follow_up.done", {"id": field["f1"], "at": AT})
    assert held["status"] == "held" and held["result"]["reason"] == "reassigned"
    assert row(db, field["f1"])["done_at"] is None


def test_the_indicator_judges_by_the_device_time_unless_it_is_in_the_future(db, field):
    dev = field["dev"]
    dev.applied("follow_up.done", {"id": field["f1"], "at": AT})  # on the due day, offline
    # A clock years fast: not believed; the server's receipt (now, after 20 March) counts.
    dev.applied("follow_up.done", {"id": field["f2"], "at": "2999-01-01T00:00:00Z"})
    value, found = am_ind.follow_ups_on_time(db, field["am1"]["id"], MONTH)
    rules = {r["record_id"]: r["rule"] for r in found}
    assert rules == {field["f1"]: "closed_on_time", field["f2"]: "closed_late"}
    assert value == pytest.approx(1 / 2)


def test_device_time_on_the_local_due_day_boundary(db, field):
    """23:59 Beijing on the due day is on time; 00:00 the day after is late."""
    dev = field["dev"]
    dev.applied("follow_up.done", {"id": field["f1"], "at": "2026-03-10T15:59:59Z"})
    dev.applied("follow_up.done", {"id": field["f2"], "at": "2026-03-20T16:00:00Z"})
    _value, found = am_ind.follow_ups_on_time(db, field["am1"]["id"], MONTH)
    rules = {r["record_id"]: r["rule"] for r in found}
    assert rules == {field["f1"]: "closed_on_time", field["f2"]: "closed_late"}


# ---- the supervisors' page: list, scope, reopen ----


def listed(auth, query="") -> list[str]:
    resp = auth.client.get(f"/follow-ups/{query}")
    assert resp.status_code == 200
    return re.findall(r'<tr data-follow-up="([^"]+)"', resp.get_data(as_text=True))


@pytest.fixture
def desk(app, client, db, field):
    """field plus am2's follow-up (branch D2) and a third of am1's due far ahead."""
    factories.make_user(db, field["D2"], "supervisor", username="sup_d2")
    _dev, _c, _v, (theirs,) = visit_with_follow_ups(
        client, db, field["T2"], field["am2"], ("2026-03-05",), action="上城回访"
    )
    _dev, _c, _v, (later,) = visit_with_follow_ups(
        client, db, field["T1"], field["am1"], ("2999-01-01",), action="明年回访"
    )
    return dict(field, theirs=theirs, later=later)


def test_the_list_is_scoped_open_first_overdue_first_and_filters(app, db, desk):
    d1 = signed_in(app, "sup_d1")
    assert listed(d1) == [desk["f1"], desk["f2"], desk["later"]]  # by due day: overdue first
    html = d1.client.get("/follow-ups/").get_data(as_text=True)
    assert 'data-overdue="true"' in html and "上城回访" not in html
    assert listed(signed_in(app, "sup_d2")) == [desk["theirs"]]
    city = signed_in(app, "sup_city")
    assert set(listed(city)) == {desk["f1"], desk["f2"], desk["later"], desk["theirs"]}
    assert listed(city, f"?account_manager={desk['am2']['id']}") == [desk["theirs"]]
    assert listed(signed_in(app, "sup_k")) == []
    desk["dev"].applied("follow_up.done", {"id": desk["f1"], "at": AT})
    assert listed(d1) == [desk["f2"], desk["later"]]
    assert listed(d1, "?state=closed") == [desk["f1"]]
    assert listed(d1, "?state=all") == [desk["f2"], desk["later"], desk["f1"]]
    # Another branch's manager is no filter here; a bad state is refused, not a 500.
    resp = d1.client.get(f"/follow-ups/?account_manager={desk['am2']['id']}&state=x")
    assert resp.status_code == 200 and 'data-error="account_manager"' in resp.get_data(True)
    assert d1.client.get("/follow-ups/").status_code == 200
    assert signed_in(app, "am1").client.get("/follow-ups/").status_code == 403


def test_the_list_is_paginated(app, db, desk):
    app.config["PAGE_SIZE"] = 2
    d1 = signed_in(app, "sup_d1")
    assert listed(d1) == [desk["f1"], desk["f2"]]
    assert listed(d1, "?page=2") == [desk["later"]]


def test_reopen_needs_a_reason_and_is_kept_in_the_history(app, db, desk):
    fid = desk["f1"]
    desk["dev"].applied("follow_up.done", {"id": fid, "at": AT, "note": "已发"})
    sup = signed_in(app, "sup_d1")
    refused = sup.post(f"/follow-ups/{fid}/reopen", {"reason": "  "})
    assert refused.status_code == 422 and 'data-error="reason"' in refused.get_data(True)
    assert row(db, fid)["done_at"] is not None
    resp = sup.post(f"/follow-ups/{fid}/reopen", {"reason": "客户说没收到报价"})
    assert resp.status_code == 303
    stored = row(db, fid)
    assert stored["done_at"] is None and stored["done_device_at"] is None
    assert stored["reopen_reason"] == "客户说没收到报价"
    assert stored["reopened_by"] == desk["sup_d1"]["id"]
    audit = db.execute(
        "SELECT user_id, after FROM audit_log WHERE entity_id = ? AND action = 'reopen'", [fid]
    ).fetchone()
    assert audit["user_id"] == desk["sup_d1"]["id"] and "客户说没收到报价" in audit["after"]
    page = sup.client.get(f"/follow-ups/{fid}").get_data(as_text=True)
    assert 'data-step="done"' in page and 'data-step="reopen"' in page
    assert "客户说没收到报价" in page and "已发" in page
    # Open again: for the indicator, on the device, and it can be closed anew.
    _v, found = am_ind.follow_ups_on_time(db, desk["am1"]["id"], MONTH)
    assert {r["record_id"]: r["rule"] for r in found}[fid] == "open_past_due"
    desk["dev"].pull()
    assert desk["dev"].entities("follow_up")[fid]["done_at"] is None
    assert desk["dev"].applied("follow_up.done", {"id": fid, "at": AT})["version"]
    # An open follow-up cannot be reopened.
    again = sup.post(f"/follow-ups/{desk['f2']}/reopen", {"reason": "x"})
    assert again.status_code == 422 and 'data-error="reason"' in again.get_data(True)


def test_another_scopes_follow_up_is_a_404(app, db, desk):
    desk["dev"].applied("follow_up.done", {"id": desk["f1"], "at": AT})
    d2 = signed_in(app, "sup_d2")
    assert d2.client.get(f"/follow-ups/{desk['f1']}").status_code == 404
    assert d2.post(f"/follow-ups/{desk['f1']}/reopen", {"reason": "x"}).status_code == 404
    assert d2.client.get(f"/follow-ups/{new_id()}").status_code == 404
    assert row(db, desk["f1"])["done_at"] is not None


def test_reopen_without_the_csrf_token_is_refused(app, db, desk):
    desk["dev"].applied("follow_up.done", {"id": desk["f1"], "at": AT})
    sup = signed_in(app, "sup_d1")
    resp = sup.client.post(f"/follow-ups/{desk['f1']}/reopen", data={"reason": "x"})
    assert resp.status_code == 400
    assert row(db, desk["f1"])["done_at"] is not None

"""Held items (late edits, conflicts) reach only the supervisors above their author, a device
can leave only so many of them an hour, and a foreign id is answered like a missing one.

Every registered mutation is walked (tests/test_sync_args.py EXAMPLES names them all): a
field user of branch A names branch B's records in every id argument, and nothing reaches
B's inbox; the same mutation with a fresh id gets the very same answer.
"""

import copy
import re

import pytest

from server import records
from tests import factories
from tests.conftest import Auth
from tests.device import Device, new_id
from tests.sync_examples import EXAMPLES, UUID

PW = factories.PASSWORD
FIELD_USERS = ("am1", "tech1", "tech_k")
# "id" of these mutations names the record being created: an id already taken is answered
# `id_taken` whoever holds it (test_sync_args: it says nothing about the record).
CREATES = {
    "visit.plan",
    "visit.check_in",
    "visit.add_photo",
    "visit.add_follow_up",
    "visit.log_contact",
    "contact.add",
    "work_order.add_photo",
    "work_order.report_exception",
    "inspection.answer",
    "inspection.open_rectification",
    "appointment.record",
    "care.done",
    "retention.outcome",
}


@pytest.fixture
def branches(db, tree):
    """Branch A (D1/T1: am1, tech1; contractor K: tech_k) and branch B (D2/T2) with a
    customer, contact, visit, site and work order each; B has its own supervisor."""
    t = dict(tree)
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    t["tech2"] = factories.make_user(db, t["T2"], "technician", username="tech2")
    for side, team, district, am, tech in (
        ("a", "T1", "D1", "am1", "tech1"),
        ("b", "T2", "D2", "am2", "tech2"),
    ):
        customer = factories.make_customer(db, t[team], t[am])
        contact = factories.make_contact(db, customer)
        visit = records.insert(
            db,
            "visit",
            dict(
                customer_id=customer["id"],
                account_manager_id=t[am]["id"],
                org_id=customer["org_id"],
                status="planned",
            ),
            t[am]["id"],
        )
        site = factories.make_site(db, t[team])
        order = factories.make_work_order(db, t[district], assignee=t[tech], assigned_org=t[team])
        follow_up = records.insert(
            db,
            "follow_up",
            dict(
                visit_id=visit["id"],
                customer_id=customer["id"],
                account_manager_id=t[am]["id"],
                action="回访",
                due_date="2026-12-01",
            ),
            t[am]["id"],
        )
        t[side] = dict(
            customer=customer["id"],
            contact=contact["id"],
            follow_up=follow_up["id"],
            visit=visit["id"],
            site=site["id"],
            order=order["id"],
        )
    return t


def _signed_in(app, username) -> Auth:
    client = app.test_client()
    assert Auth(client).login(username).status_code in (302, 303)
    return Auth(client)


def inbox(app, username) -> set[str]:
    html = _signed_in(app, username).client.get("/reviews/conflicts/").get_data(as_text=True)
    return set(re.findall(r'<tr data-conflict="([^"]+)"', html))


def _record_for(name: str, key: str, ids: dict) -> str | None:
    """The id of `ids`' record that `key` of mutation `name` names (None: nothing to name)."""
    if key == "id":
        if name in CREATES:
            return None
        kinds = {
            "visit": ids["visit"],
            "work_order": ids["order"],
            "follow_up": ids["follow_up"],
            "contact": ids["contact"],
            "customer": ids["customer"],
        }
        return kinds.get(name.split(".")[0])
    return {
        "customer_id": ids["customer"],
        "visit_id": ids["visit"],
        "work_order_id": ids["order"],
        "site_id": ids["site"],
        "contact_id": ids["contact"],
    }.get(key)


def id_keys(name: str) -> list[str]:
    return [k for k, v in EXAMPLES[name].items() if v == UUID and _record_for(name, k, _ANY)]


_ANY = dict.fromkeys(("customer", "contact", "follow_up", "visit", "site", "order"), "x")


def with_ids(name: str, ids: dict, override: tuple[str, str] | None = None) -> dict:
    """The mutation's example args with every id naming a record of `ids` (fresh ids for the
    rest), and `override` = (key, value) on top."""
    args = copy.deepcopy(EXAMPLES[name])
    for key, value in args.items():
        if value == UUID:
            args[key] = _record_for(name, key, ids) or new_id()
    if name == "care.done":
        args["key"] = f"birthday:{ids['contact']}:2026-06-03"
    if override:
        args[override[0]] = override[1]
    return args


def push_one(dev: Device, name: str, args: dict) -> dict:
    return dev.push_one(name, args)


@pytest.mark.parametrize("user", FIELD_USERS)
def test_a_field_user_cannot_reach_another_branchs_inbox(app, client, db, branches, user):
    """Every mutation, with every id naming branch B's records: nothing held, B's inbox empty."""
    dev = Device(client, user, PW)
    answers = {name: push_one(dev, name, with_ids(name, branches["b"])) for name in EXAMPLES}
    held = {name: a for name, a in answers.items() if a["status"] == "held"}
    assert held == {}
    assert db.execute("SELECT count(*) FROM conflict").fetchone()[0] == 0
    assert inbox(app, "sup_d2") == set()


ID_CELLS = [(name, key) for name in sorted(EXAMPLES) for key in id_keys(name)]


def test_every_mutation_taking_an_id_is_walked():
    walked = {name for name, _key in ID_CELLS}
    expected = {n for n in EXAMPLES if id_keys(n)}
    assert walked == expected and len(expected) >= 15, sorted(expected)


@pytest.mark.parametrize("user", FIELD_USERS)
def test_a_foreign_id_is_answered_like_a_missing_one(client, branches, user):
    """Each id argument of each mutation in turn names branch B's record, then a fresh id;
    the rest of the args name the caller's own records: the two answers are the same."""
    dev = Device(client, user, PW)
    own, differ = branches["a"], []
    for name, key in ID_CELLS:
        foreign_id = _record_for(name, key, branches["b"])
        foreign = push_one(dev, name, with_ids(name, own, (key, foreign_id)))
        missing = push_one(dev, name, with_ids(name, own, (key, new_id())))
        if foreign.get("result") != missing.get("result") or foreign["status"] != "rejected":
            differ.append((name, key, foreign, missing))
    assert differ == []


# ---- a record that moved: its held items go to the supervisors over both ----


def _move_customer(db, branches, to_team, to_am):
    customer, visit = branches["a"]["customer"], branches["a"]["visit"]
    records.update(
        db,
        "customer",
        customer,
        {"org_id": to_team["id"], "account_manager_id": to_am["id"]},
        None,
    )
    records.update(db, "visit", visit, {"org_id": to_team["id"]}, None)  # still am1's visit


def test_held_items_of_a_moved_record_go_to_the_supervisors_over_both(app, client, db, branches):
    """am1's customer (and its visit) moved to branch B while am1's phone was offline: what
    am1 sends then is held, for sup_city (over both branches) and admins, never for B's
    supervisor, who does not manage am1 (it showed there: any once-held id let a field user
    write into another branch's inbox)."""
    dev = Device(client, "am1", PW)
    _move_customer(db, branches, branches["T2"], branches["am2"])
    a = branches["a"]
    plan = with_ids("visit.plan", a)
    edit = {"id": a["visit"], "fields": {"notes": "离线时写的"}}
    assert push_one(dev, "visit.plan", plan)["status"] == "held"
    assert push_one(dev, "visit.update", edit)["status"] == "held"
    done = {"id": a["follow_up"], "at": "2026-11-20T02:00:00Z"}
    assert push_one(dev, "follow_up.done", done)["status"] == "held"
    held = {r[0] for r in db.execute("SELECT id FROM conflict").fetchall()}
    assert len(held) == 3
    assert inbox(app, "sup_d2") == set()  # the record's branch, not the author's
    assert inbox(app, "sup_d1") == set()  # the author's branch, not the record's
    assert inbox(app, "sup_city") == held
    assert inbox(app, "admin") == held


def test_a_contractors_late_edit_reaches_the_branch_it_works_for(app, client, db, branches):
    """tech_k (contractor K, serving the city) on a D2 order: D2's supervisor keeps seeing it."""
    order = factories.make_work_order(
        db, branches["D2"], assignee=branches["tech_k"], assigned_org=branches["K"]
    )
    records.update(db, "work_order", order["id"], {"status": "cancelled"}, None)
    dev = Device(client, "tech_k", PW)
    step = {"id": order["id"], "at": "2026-11-20T02:00:00Z", "note": "到了"}
    assert push_one(dev, "work_order.accept", step)["status"] == "held"
    (cid,) = (r[0] for r in db.execute("SELECT id FROM conflict").fetchall())
    assert cid in inbox(app, "sup_d2") and cid in inbox(app, "sup_k")
    assert inbox(app, "sup_d1") == set()


def test_a_held_appointment_reaches_the_inbox(app, client, db, branches):
    """An appointment recorded offline for a customer since handed to a colleague is held
    (appointments/sync.py); it reached no inbox at all (the inbox knew visits and orders)."""
    colleague = factories.make_user(db, branches["T1"], "account_manager", username="am1b")
    customer = branches["a"]["customer"]
    records.update(db, "customer", customer, {"account_manager_id": colleague["id"]}, None)
    dev = Device(client, "am1", PW)
    assert (
        push_one(dev, "appointment.record", with_ids("appointment.record", branches["a"]))[
            "status"
        ]
        == "held"
    )
    (cid,) = (r[0] for r in db.execute("SELECT id FROM conflict").fetchall())
    assert cid in inbox(app, "sup_d1") and cid in inbox(app, "sup_city")
    assert inbox(app, "sup_d2") == set()
    sup = _signed_in(app, "sup_d1")
    html = sup.client.get("/reviews/conflicts/").get_data(as_text=True)
    assert "appointment.record" in html and 'data-decision="seen"' in html
    assert sup.post(f"/reviews/conflicts/{cid}", {"decision": "seen"}).status_code == 303
    assert inbox(app, "sup_d1") == set()


# ---- per-device allowance ----


def test_a_device_may_leave_only_so_many_held_items_an_hour(app, client, db, branches):
    app.config["HELD_PER_CLIENT_PER_HOUR"] = 3
    records.update(db, "visit", branches["a"]["visit"], {"status": "cancelled"}, None)
    dev = Device(client, "am1", PW)
    edits = [
        dev.mutation("visit.update", {"id": branches["a"]["visit"], "fields": {"notes": str(n)}})
        for n in range(5)
    ]
    status, body = dev.push(edits)
    assert status == 200  # the push goes through; the mutations beyond the allowance fail
    found = [(r["status"], (r.get("result") or {}).get("code")) for r in body["results"]]
    assert found == [("held", None)] * 3 + [("rejected", "too_many_held")] * 2
    assert db.execute("SELECT count(*) FROM conflict").fetchone()[0] == 3
    other = Device(client, "am1", PW, name="second phone")  # the allowance is per device
    again = other.push([other.mutation("visit.update", edits[0]["args"])])[1]
    assert again["results"][0]["status"] == "held"
    # an hour later the device has its allowance back
    db.execute("UPDATE conflict SET created_at = '2000-01-01T00:00:00.000Z'")
    db.conn.commit()
    later = dev.push([dev.mutation("visit.update", edits[0]["args"])])[1]
    assert later["results"][0]["status"] == "held"


def test_new_client_ids_do_not_reset_a_users_allowance(app, client, db, branches):
    """The device picks its client_id: a user inventing new ones still has one allowance."""
    app.config["HELD_PER_CLIENT_PER_HOUR"] = 2
    app.config["HELD_PER_USER_PER_HOUR"] = 3
    records.update(db, "visit", branches["a"]["visit"], {"status": "cancelled"}, None)
    found = []
    for n in range(3):
        dev = Device(client, "am1", PW, name=f"phone {n}")
        args = {"id": branches["a"]["visit"], "fields": {"notes": str(n)}}
        body = dev.push([dev.mutation("visit.update", args) for _ in range(2)])[1]
        found += [(r["status"], (r.get("result") or {}).get("code")) for r in body["results"]]
    assert found.count(("held", None)) == 3
    assert found[3:] == [("rejected", "too_many_held")] * 3
    assert db.execute("SELECT count(*) FROM conflict").fetchone()[0] == 3

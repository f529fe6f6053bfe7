"""Through the real push endpoint: ids across scopes, guarded fields, argument rejections.

- A create whose id another user's record holds is `id_taken` (it used to answer
  `applied {"already": true}`: the device marked it done though nothing was stored).
- Every id an argument names is checked against the caller's scope; a foreign id and a
  missing one get the same answer.
"""

import pytest

from sync.args import taken
from tests import factories
from tests.device import Device, new_id

SHA1, SHA2 = "a" * 64, "b" * 64
AT = "2026-11-20T02:00:00Z"
TAKEN = taken().as_dict()


@pytest.fixture
def field(db, tree):
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"])
    t["site_k"] = factories.make_site(db, t["T1"], contractor=t["K"])
    t["site_t2"] = factories.make_site(db, t["T2"])  # another branch's: not tech_k's
    return t


def one(dev, name, args, base_version=None) -> dict:
    return dev.push_one(name, args, base_version)


def applied(dev, name, args, base_version=None) -> dict:
    return dev.applied(name, args, base_version)


def rejected(dev, name, args, base_version=None) -> dict:
    result = one(dev, name, args, base_version)
    assert result["status"] == "rejected", result
    return result["result"]


def count(db, table, where="1", params=()) -> int:
    return db.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]


def plan(customer, visit_id=None, **more) -> dict:
    args = {"id": visit_id or new_id(), "customer_id": customer["id"]}
    return {**args, "planned_date": "2026-11-28", "purpose": "routine", **more}


def check_in(customer, visit_id=None) -> dict:
    args = {"id": visit_id or new_id(), "customer_id": customer["id"], "at": AT}
    return {**args, "lat": 30.2745, "lon": 120.1555, "accuracy": 12.0}


def photo(visit_id, photo_id=None, sha=SHA1) -> dict:
    args = {"id": photo_id or new_id(), "visit_id": visit_id, "sha256": sha}
    return {**args, "mime": "image/jpeg", "size": 1000}


@pytest.mark.parametrize("name, make", [("visit.plan", plan), ("visit.check_in", check_in)])
def test_a_visit_id_of_another_user_is_taken(client, db, field, name, make):
    am1, am2 = Device(client, "am1", factories.PASSWORD), Device(client, "am2", factories.PASSWORD)
    theirs = applied(am2, "visit.plan", plan(field["cust2"]))["id"]
    assert rejected(am1, name, make(field["cust1"], theirs)) == TAKEN
    stored = db.execute("SELECT * FROM visit WHERE id = ?", [theirs]).fetchone()
    assert (stored["account_manager_id"], stored["status"]) == (field["am2"]["id"], "planned")
    assert count(db, "visit", "customer_id = ?", [field["cust1"]["id"]]) == 0


def test_the_callers_own_replay_under_a_new_mutation_id_is_already(client, db, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    args = plan(field["cust1"])
    first = applied(am1, "visit.plan", args)
    assert applied(am1, "visit.plan", args) == {"id": first["id"], "already": True}
    other_customer = factories.make_customer(db, field["T1"], field["am1"])
    # the same id for another of the caller's own customers is another record: taken
    assert rejected(am1, "visit.plan", {**args, "customer_id": other_customer["id"]}) == TAKEN


def test_a_photo_or_follow_up_id_of_another_users_visit_is_taken(client, db, field):
    am1, am2 = Device(client, "am1", factories.PASSWORD), Device(client, "am2", factories.PASSWORD)
    their_visit = applied(am2, "visit.check_in", check_in(field["cust2"]))["id"]
    their_photo = applied(am2, "visit.add_photo", photo(their_visit))["id"]
    follow = {"visit_id": their_visit, "action": "回访", "due_date": "2026-12-01"}
    their_follow_up = applied(am2, "visit.add_follow_up", {"id": new_id(), **follow})["id"]
    mine = applied(am1, "visit.check_in", check_in(field["cust1"]))["id"]
    assert rejected(am1, "visit.add_photo", photo(mine, their_photo)) == TAKEN
    again = {"id": their_follow_up, "visit_id": mine, "action": "回访", "due_date": "2026-12-01"}
    assert rejected(am1, "visit.add_follow_up", again) == TAKEN
    assert count(db, "visit_photo", "visit_id = ?", [mine]) == 0
    assert count(db, "follow_up", "visit_id = ?", [mine]) == 0
    # the owner's own replay of the photo is still `already`
    assert applied(am2, "visit.add_photo", photo(their_visit, their_photo))["already"] is True


def test_an_appointment_id_of_another_user_is_taken(client, db, field):
    am1, am2 = Device(client, "am1", factories.PASSWORD), Device(client, "am2", factories.PASSWORD)
    request = {"wanted_at": "2026-06-02T07:00:00+08:00", "need": "5G专网"}
    theirs = {"id": new_id(), "customer_id": field["cust2"]["id"], **request}
    applied(am2, "appointment.record", theirs)
    mine = {**theirs, "customer_id": field["cust1"]["id"]}
    assert rejected(am1, "appointment.record", mine) == TAKEN
    assert applied(am2, "appointment.record", theirs)["already"] is True
    assert count(db, "appointment") == 1


def test_work_order_creates_with_a_taken_id(client, db, field):
    tech1 = Device(client, "tech1", factories.PASSWORD)
    tech_k = Device(client, "tech_k", factories.PASSWORD)
    report = {"title": "光缆被挖断", "lat": 30.28, "lon": 120.16, "at": AT}
    theirs = applied(tech1, "work_order.report_exception", {"id": new_id(), **report})["id"]
    assert rejected(tech_k, "work_order.report_exception", {"id": theirs, **report}) == TAKEN
    order = factories.make_work_order(db, field["T1"], assignee=field["tech_k"])
    their_photo = {"work_order_id": theirs, "sha256": SHA1, "mime": "image/jpeg", "size": 10}
    photo_id = applied(tech1, "work_order.add_photo", {"id": new_id(), **their_photo})["id"]
    mine = {**their_photo, "id": photo_id, "work_order_id": order["id"]}
    assert rejected(tech_k, "work_order.add_photo", mine) == TAKEN
    assert count(db, "work_order_photo", "work_order_id = ?", [order["id"]]) == 0


def test_an_exception_report_names_only_a_site_in_scope(client, db, field):
    tech_k = Device(client, "tech_k", factories.PASSWORD)
    report = {"title": "机房漏水", "lat": 30.28, "lon": 120.16, "at": AT}
    foreign = {"id": new_id(), **report, "site_id": field["site_t2"]["id"]}
    missing = {"id": new_id(), **report, "site_id": new_id()}
    answers = [rejected(tech_k, "work_order.report_exception", a) for a in (foreign, missing)]
    assert (
        answers[0]
        == answers[1]
        == {
            "code": "unknown_site",
            "message": "no such site",
            "arg": "site_id",
        }
    )
    assert count(db, "work_order", "wo_type = 'exception_report'") == 0
    ok = applied(
        tech_k, "work_order.report_exception", {**foreign, "site_id": field["site_k"]["id"]}
    )
    assert db.execute("SELECT site_id FROM work_order WHERE id = ?", [ok["id"]]).fetchone()[0]


def test_foreign_and_missing_ids_get_the_same_answer(client, db, field):
    am1, am2 = Device(client, "am1", factories.PASSWORD), Device(client, "am2", factories.PASSWORD)
    their_visit = applied(am2, "visit.check_in", check_in(field["cust2"]))["id"]
    edits = {"fields": {"notes": "x"}}
    pairs = [
        ("visit.update", {"id": their_visit, **edits}, {"id": new_id(), **edits}),
        ("visit.cancel", {"id": their_visit}, {"id": new_id()}),
        ("visit.add_photo", photo(their_visit), photo(new_id())),
        ("visit.plan", plan(field["cust2"]), plan({"id": new_id()})),
        ("visit.check_in", check_in(field["cust2"]), check_in({"id": new_id()})),
    ]
    for name, foreign, missing in pairs:
        assert rejected(am1, name, foreign) == rejected(am1, name, missing), name
    assert count(db, "conflict") == 0  # a customer never theirs is no late edit
    order = factories.make_work_order(db, field["T2"], assignee=field["tech1"])
    tech_k = Device(client, "tech_k", factories.PASSWORD)
    foreign, missing = {"id": order["id"], "at": AT}, {"id": new_id(), "at": AT}
    assert rejected(tech_k, "work_order.accept", foreign) == rejected(
        tech_k, "work_order.accept", missing
    )


@pytest.mark.parametrize(
    "name, change, arg",
    [
        ("visit.check_in", {"at": "x" * 100}, "at"),
        ("visit.check_in", {"at": "2026-02-30T10:00:00Z"}, "at"),
        ("visit.check_in", {"lat": float("nan")}, "lat"),
        ("visit.check_in", {"lon": float("inf")}, "lon"),
        ("visit.check_in", {"accuracy": 1e308}, "accuracy"),
        ("visit.check_in", {"lat": True}, "lat"),
        ("visit.check_in", {"purpose": "x" * 1_000_000}, "purpose"),
        ("visit.plan", {"planned_date": "2026-02-30"}, "planned_date"),
        ("visit.plan", {"customer_id": True}, "customer_id"),
    ],
)
def test_hostile_visit_args_are_rejected_naming_the_argument(client, db, field, name, change, arg):
    am1 = Device(client, "am1", factories.PASSWORD)
    make = check_in if name == "visit.check_in" else plan
    result = rejected(am1, name, {**make(field["cust1"]), **change})
    assert (result["code"], result["arg"]) == ("bad_args", arg)
    assert count(db, "visit") == 0


@pytest.mark.parametrize(
    "name, args, arg",
    [
        ("visit.update", {"fields": {"satisfaction": True}}, "fields.satisfaction"),
        ("visit.update", {"fields": {"notes": "a\x00b"}}, "fields.notes"),
        ("visit.update", {"fields": {"contacts_met": ["x" * 1_000_000]}}, "fields.contacts_met"),
        ("visit.check_out", {"at": "2026-11-20T02:00:00.0000000000000000000000Z"}, "at"),
        ("visit.add_photo", {"size": 2**63, "sha256": SHA1, "mime": "image/jpeg"}, "size"),
        ("visit.add_photo", {"size": True, "sha256": SHA1, "mime": "image/jpeg"}, "size"),
        ("visit.add_photo", {"size": 9, "sha256": SHA1, "mime": "image/gif"}, "mime"),
        (
            "visit.add_photo",
            {"size": 9, "sha256": SHA1, "mime": "image/png", "taken_at": 5},
            "taken_at",
        ),
        ("visit.add_follow_up", {"action": "回访", "due_date": "2026-02-30"}, "due_date"),
        ("visit.add_follow_up", {"action": "x" * 1_000_000, "due_date": "2026-12-01"}, "action"),
    ],
)
def test_hostile_args_on_an_existing_visit(client, db, field, name, args, arg):
    am1 = Device(client, "am1", factories.PASSWORD)
    visit_id = applied(am1, "visit.check_in", check_in(field["cust1"]))["id"]
    before = dict(db.execute("SELECT * FROM visit WHERE id = ?", [visit_id]).fetchone())
    key = "id" if name in ("visit.update", "visit.check_out") else "visit_id"
    extra = {} if key == "id" else {"id": new_id()}
    result = rejected(am1, name, {key: visit_id, **extra, **args})
    assert (result["code"], result["arg"]) == ("bad_args", arg)
    assert dict(db.execute("SELECT * FROM visit WHERE id = ?", [visit_id]).fetchone()) == before
    assert count(db, "visit_photo") == count(db, "follow_up") == 0

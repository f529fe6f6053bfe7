"""Field corrections of customers and contacts (contact.add/update/remove, customer.update):
per-field last writer wins, held location moves and their apply, scope, replays, validation."""

import json

import pytest

from tests import factories
from tests.device import Device, new_id


@pytest.fixture
def field(db, tree):
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    t["bare"] = factories.make_customer(db, t["T1"], t["am1"], lat=None, lon=None)
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"])
    t["contact1"] = factories.make_contact(db, t["cust1"], name="王经理", phone="13800000000")
    t["contact2"] = factories.make_contact(db, t["cust2"], name="李总")
    return t


def row(db, table, row_id):
    return dict(db.execute(f"SELECT * FROM {table} WHERE id = ?", [row_id]).fetchone())


def count(db, table, where="1", params=()):
    return db.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]


def test_two_devices_offline_edit_different_fields_of_one_contact_both_survive(client, db, field):
    phone, tablet = (Device(client, "am1", factories.PASSWORD) for _ in range(2))
    cid = field["contact1"]["id"]
    # Both edited offline; the tablet's edit (made later) arrives first.
    early = phone.mutation("contact.update", {"id": cid, "fields": {"phone": "13911112222"}})
    late = tablet.mutation(
        "contact.update", {"id": cid, "fields": {"birthday": "1979-06-03", "title": "总监"}}
    )
    assert tablet.push([late])[1]["results"][0]["status"] == "applied"
    result = phone.push([early])[1]["results"][0]
    assert result["status"] == "applied" and result["result"]["ignored"] == []
    stored = row(db, "contact", cid)
    assert (stored["phone"], stored["birthday"], stored["title"]) == (
        "13911112222",
        "1979-06-03",
        "总监",
    )
    phone.pull(), tablet.pull()
    assert phone.entities("contact")[cid] == tablet.entities("contact")[cid]
    assert "field_clock" not in phone.entities("contact")[cid]


def test_same_field_later_stamp_wins_whatever_order_they_arrive(client, db, field):
    ahead = Device(client, "am1", factories.PASSWORD, clock_offset_ms=60_000)
    behind = Device(client, "am1", factories.PASSWORD)
    cid = field["contact1"]["id"]
    newer = ahead.mutation("contact.update", {"id": cid, "fields": {"phone": "13900000001"}})
    older = behind.mutation("contact.update", {"id": cid, "fields": {"phone": "13900000002"}})
    assert ahead.push([newer])[1]["results"][0]["status"] == "applied"
    result = behind.push([older])[1]["results"][0]
    assert result["status"] == "applied" and result["result"]["ignored"] == ["phone"]
    assert row(db, "contact", cid)["phone"] == "13900000001"


def test_customer_fields_merge_per_field_too(client, db, field):
    a, b = (Device(client, "am1", factories.PASSWORD) for _ in range(2))
    cust = field["cust1"]["id"]
    first = a.mutation("customer.update", {"id": cust, "fields": {"address": "新地址 1 号"}})
    edits = {"notes": "前台在二楼", "founded_on": "2001-03-15"}
    second = b.mutation("customer.update", {"id": cust, "fields": edits})
    assert b.push([second])[1]["results"][0]["status"] == "applied"
    assert a.push([first])[1]["results"][0]["status"] == "applied"
    stored = row(db, "customer", cust)
    assert (stored["address"], stored["notes"], stored["founded_on"]) == (
        "新地址 1 号",
        "前台在二楼",
        "2001-03-15",
    )


def test_add_update_remove_a_contact_and_replays(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    cid = new_id()
    add = {
        "id": cid,
        "customer_id": field["cust1"]["id"],
        "name": " 赵秘书 ",
        "phone": "0571-88886666",
        "email": "zhao@example.com",
        "birthday": "1990-02-28",
        "key_dates": [{"label": "入职纪念日", "date": "2015-09-01"}],
    }
    m = dev.mutation("contact.add", add)
    assert dev.push([m])[1]["results"][0]["status"] == "applied"
    stored = row(db, "contact", cid)
    assert stored["name"] == "赵秘书"
    assert json.loads(stored["key_dates"]) == [{"label": "入职纪念日", "date": "2015-09-01"}]
    # The same mutation id again is a duplicate; the same add under a new id is `already`.
    assert dev.push([m])[1]["results"][0]["status"] == "duplicate"
    assert dev.applied("contact.add", add) == {"id": cid, "already": True}
    assert count(db, "contact", "id = ?", [cid]) == 1
    gone = dev.mutation("contact.remove", {"id": cid})
    assert dev.push([gone])[1]["results"][0]["status"] == "applied"
    assert dev.applied("contact.remove", {"id": cid}) == {"id": cid, "already": True}
    assert row(db, "contact", cid)["deleted_at"]
    late = dev.push_one("contact.update", {"id": cid, "fields": {"phone": "123"}})
    assert late["status"] == "rejected" and late["result"]["code"] == "contact_removed"
    dev.pull()
    assert cid not in dev.entities("contact")
    actions = [
        r["action"]
        for r in db.execute("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id", [cid])
    ]
    assert actions == ["create", "delete"]


def test_the_first_fix_of_a_customer_without_location_applies(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    bare = field["bare"]["id"]
    fix = {"lat": 30.3, "lon": 120.2, "location_accuracy": 9.5, "located_at": "2026-11-20T02:00Z"}
    result = dev.applied("customer.update", {"id": bare, "fields": fix})
    assert result["ignored"] == []
    stored = row(db, "customer", bare)
    assert (stored["lat"], stored["lon"], stored["location_accuracy"]) == (30.3, 120.2, 9.5)


def test_a_small_move_applies_and_a_far_one_is_held_until_a_supervisor_applies_it(
    client, db, field, auth
):
    dev = Device(client, "am1", factories.PASSWORD)
    cust = field["cust1"]["id"]
    near = {"lat": 30.2750, "lon": 120.1551, "location_accuracy": 8}  # about 100 m north
    assert dev.applied("customer.update", {"id": cust, "fields": near})
    assert row(db, "customer", cust)["lat"] == 30.2750
    far = {"lat": 30.2850, "lon": 120.1551, "location_accuracy": 12}  # about 1.1 km
    result = dev.push_one(
        "customer.update", {"id": cust, "fields": {**far, "address": "搬到新楼"}}
    )
    assert result["status"] == "held"
    assert result["result"]["kind"] == "late_edit"
    assert result["result"]["reason"] == "location_moved"
    stored = row(db, "customer", cust)
    assert stored["lat"] == 30.2750 and stored["address"] == "搬到新楼"  # the rest applied
    held = row(db, "conflict", result["result"]["id"])
    assert held["entity"] == "customer" and held["status"] == "open"
    assert 1000 < json.loads(held["args"])["moved_m"] < 1200
    # The review desk shows it to the supervisor over the team, and applying it moves it.
    auth.login("sup_d1")
    page = client.get("/reviews/conflicts/").get_data(as_text=True)
    assert f'data-conflict="{held["id"]}"' in page and 'data-testid="held-customer"' in page
    resp = auth.post(f"/reviews/conflicts/{held['id']}", {"decision": "apply", "fields": ["lat"]})
    assert resp.status_code == 303
    stored = row(db, "customer", cust)
    assert (stored["lat"], stored["lon"], stored["location_accuracy"]) == (30.285, 120.1551, 12)
    assert row(db, "conflict", held["id"])["resolution"] == "applied"
    # An edit still queued on a device from before the decision cannot undo it.
    stale = dev.mutation("customer.update", {"id": cust, "fields": near})
    stale["hlc"] = "000000000000001:00000:stale"
    ignored = dev.push([stale])[1]["results"][0]["result"]["ignored"]
    assert ignored == ["lat", "lon", "location_accuracy", "located_at"]
    assert row(db, "customer", cust)["lat"] == 30.285


def test_another_teams_contact_and_customer_are_unknown_and_untouched(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    theirs = field["contact2"]["id"]
    before = row(db, "contact", theirs)
    cases = [
        ("contact.update", {"id": theirs, "fields": {"phone": "110"}}, "unknown_contact"),
        ("contact.update", {"id": new_id(), "fields": {"phone": "110"}}, "unknown_contact"),
        ("contact.remove", {"id": theirs}, "unknown_contact"),
        (
            "contact.add",
            {"id": new_id(), "customer_id": field["cust2"]["id"], "name": "x"},
            "unknown_customer",
        ),
        ("customer.update", {"id": field["cust2"]["id"], "fields": {"notes": "x"}}, None),
        ("contact.add", {"id": theirs, "customer_id": field["cust1"]["id"], "name": "x"}, None),
    ]
    expected = ["unknown_contact"] * 3 + ["unknown_customer", "unknown_customer", "id_taken"]
    for (name, args, _), code in zip(cases, expected, strict=True):
        result = dev.push_one(name, args)
        assert result["status"] == "rejected" and result["result"]["code"] == code, (name, result)
    assert row(db, "contact", theirs) == before
    assert row(db, "customer", field["cust2"]["id"])["notes"] == ""


def test_supervisor_only_fields_are_refused_with_the_reason_and_nothing_applies(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    cust = field["cust1"]["id"]
    for fields in (
        {"customer_class": "A", "address": "x"},
        {"sla_grade": "diamond"},
        {"account_manager_id": field["am2"]["id"]},
        {"handsets": 900, "notes": "more phones"},
    ):
        result = dev.push_one("customer.update", {"id": cust, "fields": fields})
        assert result["status"] == "rejected", result
        assert result["result"]["code"] == "supervisor_only"
        assert result["result"]["arg"] == "fields"
        named = next(k for k in fields if k not in ("address", "notes"))
        assert named in result["result"]["message"]
    stored = row(db, "customer", cust)
    assert (stored["customer_class"], stored["sla_grade"], stored["address"], stored["notes"]) == (
        "C",
        "standard",
        "杭州市西湖区",
        "",
    )
    assert stored["account_manager_id"] == field["am1"]["id"]


@pytest.mark.parametrize(
    ("name", "fields", "arg"),
    [
        ("contact.update", {"phone": "call me"}, "fields.phone"),
        ("contact.update", {"phone": "12"}, "fields.phone"),
        ("contact.update", {"phone": "1" * 31}, "fields.phone"),
        ("contact.update", {"email": "not-an-address"}, "fields.email"),
        ("contact.update", {"birthday": "1980-02-30"}, "fields.birthday"),
        ("contact.update", {"birthday": "2999-01-01"}, "fields.birthday"),
        ("contact.update", {"name": "  "}, "fields.name"),
        ("contact.update", {"name": "x" * 201}, "fields.name"),
        ("contact.update", {"key_dates": [{"label": "", "date": "2020-01-01"}]}, None),
        ("contact.update", {"key_dates": [{"label": "x", "date": "soon"}]}, None),
        ("contact.update", {"key_dates": "2020-01-01"}, "fields.key_dates"),
        ("contact.update", {"notes": "x" * 5001}, "fields.notes"),
        ("contact.update", {"customer_id": None}, "fields"),
        ("customer.update", {"lat": 30.1}, "fields.lon"),
        ("customer.update", {"lat": 91, "lon": 120}, "fields.lat"),
        ("customer.update", {"lat": True, "lon": 120}, "fields.lat"),
        ("customer.update", {"founded_on": "2001-13-01"}, "fields.founded_on"),
        ("customer.update", {"address": "x" * 501}, "fields.address"),
        ("customer.update", {}, "fields"),
    ],
)
def test_bad_values_are_refused_naming_the_field(client, db, field, name, fields, arg):
    dev = Device(client, "am1", factories.PASSWORD)
    target = field["contact1"] if name.startswith("contact") else field["cust1"]
    before = row(db, name.split(".")[0], target["id"])
    result = dev.push_one(name, {"id": target["id"], "fields": fields})
    assert result["status"] == "rejected" and result["result"]["code"] == "bad_args", result
    if arg:
        assert result["result"]["arg"] == arg
    else:
        assert result["result"]["arg"].startswith("fields.key_dates[0].")
    assert row(db, name.split(".")[0], target["id"]) == before


def test_contact_of_a_customer_reassigned_meanwhile_is_held_not_lost(client, db, field):
    from server.customers.model import update_customer

    dev = Device(client, "am1", factories.PASSWORD)
    cid = field["contact1"]["id"]
    update_customer(db, None, field["cust1"]["id"], {"account_manager_id": field["am2"]["id"]})
    result = dev.push_one("contact.update", {"id": cid, "fields": {"phone": "13700000000"}})
    assert result["status"] == "held" and result["result"]["reason"] == "reassigned"
    assert row(db, "contact", cid)["phone"] == "13800000000"


def test_web_edit_is_stamped_so_an_older_device_edit_cannot_undo_it(client, db, field, auth):
    dev = Device(client, "am1", factories.PASSWORD)
    cid, cust = field["contact1"]["id"], field["cust1"]["id"]
    queued = dev.mutation("contact.update", {"id": cid, "fields": {"phone": "13900000009"}})
    auth.login("sup_d1")
    form = {"name": "王经理", "title": "经理", "phone": "13600000000", "email": "w@example.com"}
    resp = auth.post(f"/customers/{cust}/contacts/{cid}/edit", form)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert row(db, "contact", cid)["email"] == "w@example.com"
    result = dev.push([queued])[1]["results"][0]
    assert result["result"]["ignored"] == ["phone"]
    assert row(db, "contact", cid)["phone"] == "13600000000"

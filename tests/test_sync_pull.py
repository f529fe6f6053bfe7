"""Pull: snapshot then feed, paging, scope changes as deletes, cursor integrity, epochs."""

import random
import threading

import pytest

from server import ops
from server.db import connect
from server.visits import model as visits
from tests import factories
from tests.device import Device, check_in, count, new_id


@pytest.fixture
def field(db, tree):
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"])
    factories.make_contact(db, t["cust1"], name="王经理")
    return t


def test_first_pull_is_the_scoped_working_set_in_pages(client, db, field):
    for _ in range(30):
        factories.make_customer(db, field["T1"], field["am1"])
    dev = Device(client, "am1", factories.PASSWORD)
    pages = 0
    while True:
        pages += 1
        last = dev.pull(limit=7)
        if not last["has_more"]:
            break
    customers = dev.entities("customer")
    assert len(customers) == 31 and field["cust2"]["id"] not in customers
    assert len(dev.entities("contact")) == 1
    assert dev.cursor.startswith("c:")


def test_pull_pages_with_has_more(client, db, field):
    for _ in range(10):
        factories.make_customer(db, field["T1"], field["am1"])
    dev = Device(client, "am1", factories.PASSWORD)
    resp = client.post(
        "/api/sync/pull", json={"client_id": dev.client_id, "limit": 4}, headers=dev.headers
    )
    body = resp.get_json()
    assert body["has_more"] is True and len(body["changes"]) == 4


def test_changes_after_snapshot_arrive_in_the_feed(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    m = check_in(dev, field["cust1"])
    dev.push([m])
    body = dev.pull()
    assert body["last_mutation_id"] == 1
    visit = dev.entities("visit")[m["args"]["id"]]
    assert visit["status"] == "in_progress" and visit["check_in_flag"] == "ok"
    assert "field_clock" not in visit


def test_reassignment_while_offline_is_kept_as_a_late_edit(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    visit = check_in(dev, field["cust1"])
    dev.push([visit])
    dev.pull()
    assert field["cust1"]["id"] in dev.entities("customer")
    # Offline, am1 keeps working on the visit and starts another; meanwhile the
    # supervisor moves the customer to am2.
    edit = dev.mutation("visit.update", {"id": visit["args"]["id"], "fields": {"notes": "谈妥"}})
    another = check_in(dev, field["cust1"])
    from server.customers.model import update_customer

    update_customer(
        db,
        field["sup_city"]["id"],
        field["cust1"]["id"],
        {"account_manager_id": field["am2"]["id"]},
    )
    status, body = dev.push([edit, another])
    assert [r["status"] for r in body["results"]] == ["held", "held"]
    assert {r["result"]["reason"] for r in body["results"]} == {"reassigned"}
    held = db.execute("SELECT * FROM conflict WHERE kind = 'late_edit'").fetchall()
    assert len(held) == 2 and all(r["status"] == "open" for r in held)
    assert db.execute("SELECT notes FROM visit").fetchone()[0] == ""  # not applied silently
    assert count(db, "visit") == 1
    dev.pull()  # the customer, its contact and its visit leave am1's device
    assert dev.entities("customer") == {} and dev.entities("visit") == {}
    assert dev.entities("contact") == {}
    am2 = Device(client, "am2", factories.PASSWORD)
    am2.pull()
    assert visit["args"]["id"] in am2.entities("visit")


def test_late_edit_after_approval(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    visit = check_in(dev, field["cust1"])
    vid = visit["args"]["id"]
    dev.push(
        [
            visit,
            dev.mutation(
                "visit.check_out", {"id": vid, "lat": 30.2745, "lon": 120.1555, "accuracy": 10}
            ),
        ]
    )
    visits.approve(db, field["sup_d1"]["id"], vid)
    late = dev.mutation("visit.update", {"id": vid, "fields": {"notes": "补充"}})
    photo = dev.mutation(
        "visit.add_photo",
        {"id": new_id(), "visit_id": vid, "sha256": "a" * 64, "mime": "image/jpeg", "size": 10},
    )
    status, body = dev.push([late, photo])
    assert [(r["status"], r["result"]["reason"]) for r in body["results"]] == [
        ("held", "approved"),
        ("held", "approved"),
    ]
    row = db.execute("SELECT status, notes FROM visit WHERE id = ?", [vid]).fetchone()
    assert tuple(row) == ("approved", "")
    assert count(db, "visit_photo") == 0
    evidence = db.execute("SELECT args, user_id FROM conflict ORDER BY created_at").fetchall()
    assert "补充" in evidence[0]["args"] and evidence[0]["user_id"] == field["am1"]["id"]


def test_cursor_integrity_under_concurrent_writers(app, field):
    """Writers commit while a device pulls page by page; the union equals a final scan."""
    client = app.test_client()  # threads call the real app concurrently, each its own connection
    writers = [Device(client, "am1", factories.PASSWORD) for _ in range(3)]
    reader = Device(client, "am1", factories.PASSWORD)
    stop = threading.Event()
    errors = []

    def write(dev):
        try:
            while not stop.is_set():
                batch = [check_in(dev, field["cust1"]) for _ in range(random.randint(1, 5))]
                status, body = dev.push(batch)
                while "stopped" in body:  # the lock stayed busy (a loaded machine): resend
                    status, body = dev.push(batch)
                assert status == 200
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for th in threads:
        th.start()
    for _ in range(40):
        reader.pull(limit=3, max_pages=1)
    stop.set()
    for th in threads:
        th.join()
    reader.pull(limit=3)
    assert not errors
    db = connect(app.config["DATABASE"])
    final = {r[0]: r[1] for r in db.execute("SELECT id, version FROM visit").fetchall()}
    pulled = {k: v["version"] for k, v in reader.entities("visit").items()}
    assert len(final) > 20 and pulled == final


def test_restore_from_older_backup_brings_back_acknowledged_work_once(
    app, client, db, field, tmp_path
):
    dev = Device(client, "am1", factories.PASSWORD)
    kept_log = []  # the device keeps acknowledged mutations for re-push after a reset
    before = [check_in(dev, field["cust1"]) for _ in range(2)]
    dev.push(before)
    kept_log += before
    dev.pull()
    ops.backup(app.config["DATABASE"], str(tmp_path / "backup.db"))
    after = [check_in(dev, field["cust1"]) for _ in range(3)]
    status, body = dev.push(after)
    assert body["last_mutation_id"] == 5
    kept_log += after
    outbox = [check_in(dev, field["cust1"])]  # not yet sent when the server went back
    ops.restore(str(tmp_path / "backup.db"), app.config["DATABASE"])
    db = type(db)(
        __import__("server.db", fromlist=["connect"]).connect(app.config["DATABASE"]).conn
    )
    # The device's next push meets the new epoch: it resets, pulls, learns the server's
    # last_mutation_id, and re-pushes everything after it, then its outbox.
    status, body = dev.push(outbox)
    assert status == 409 and body["reset"] is True
    dev.epoch, dev.cursor, dev.rows = body["server_epoch"], None, {}
    dev.pull()
    assert dev.last_mutation_id == 2
    resend = [m for m in kept_log if m["id"] > dev.last_mutation_id] + outbox
    status, body = dev.push(resend)
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["applied"] * 4
    ids = [m["args"]["id"] for m in kept_log + outbox]
    assert count(db, "visit") == 6
    assert sorted(r[0] for r in db.execute("SELECT id FROM visit")) == sorted(ids)
    status, body = dev.push(resend)  # and once more: nothing doubles
    assert {r["status"] for r in body["results"]} == {"duplicate"} and count(db, "visit") == 6


def test_a_change_during_the_snapshot_is_not_lost_at_its_end(client, db, field):
    for _ in range(4):
        factories.make_customer(db, field["T1"], field["am1"])
    dev = Device(client, "am1", factories.PASSWORD)
    first = dev.pull(limit=2, max_pages=1)
    assert first["has_more"] and first["cursor"].startswith("s:")
    passed = min(dev.entities("customer"))  # the snapshot's keyset is already past this row
    from server.customers.model import update_customer

    update_customer(db, None, passed, {"name": "快照中改名"})
    last = dev.pull(limit=2)
    assert not last["has_more"] and last["cursor"].startswith("c:")
    assert dev.entities("customer")[passed]["name"] == "快照中改名"
    assert len(dev.entities("customer")) == 5


def test_the_feed_carries_only_the_callers_changes(client, db, field):
    """Another account manager's work never reaches this device, not even as ids."""
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    sup = Device(client, "sup_d1", factories.PASSWORD)
    for dev in (am1, am2, sup):
        dev.pull()
    theirs = check_in(am2, field["cust2"])
    am2.push([theirs])
    mine = check_in(am1, field["cust1"])
    am1.push([mine])
    ids = {c["id"] for c in am1.pull()["changes"]}
    assert mine["args"]["id"] in ids and theirs["args"]["id"] not in ids
    assert field["cust2"]["id"] not in ids
    # The supervisor of am1's district hears of am1's visit, not of am2's (other district).
    ids = {c["id"] for c in sup.pull()["changes"]}
    assert mine["args"]["id"] in ids and theirs["args"]["id"] not in ids


def test_the_last_pull_is_recorded_at_most_once_a_minute(client, db, field):
    # A device paging through a pull, or pulling every few seconds, costs no write each time
    # (sync/pull.py TOUCH_EVERY_S); one whose record is a minute old is recorded again.
    from server.times import now_stored

    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()

    def pull_after(recorded: str) -> str:
        db.execute(
            "UPDATE sync_client SET last_pull_at = ? WHERE client_id = ?",
            [recorded, dev.client_id],
        )
        dev.pull()
        return db.execute(
            "SELECT last_pull_at FROM sync_client WHERE client_id = ?", [dev.client_id]
        ).fetchone()[0]

    lately = now_stored(-30)
    assert pull_after(lately) == lately
    long_ago = now_stored(-61)
    assert pull_after(long_ago) > now_stored(-5)
    assert pull_after("2031-01-01T00:00:00.000Z") < "2031"  # a record from the future is redone

"""Push: ordering, idempotency, poison mutations, gaps, replays, clock skew, users."""

import http.client
import json
import threading
import time

from tests import factories
from tests.device import Device, check_in, count


def test_check_in_computes_distance_and_flags(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    near = check_in(dev, field["cust1"])
    far = check_in(dev, field["cust1"], lat=30.30, lon=120.20, accuracy=250)
    nofix = check_in(dev, field["cust1"], lat=None, lon=None, accuracy=None)
    status, body = dev.push([near, far, nofix])
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["applied"] * 3
    flags = {r["result"]["flag"] for r in body["results"]}
    assert flags == {"ok", "far,low_accuracy", "no_fix"}
    row = db.execute("SELECT * FROM visit WHERE id = ?", [near["args"]["id"]]).fetchone()
    assert 40 < row["check_in_distance_m"] < 80  # ~55 m by geodesic
    assert row["check_in_device_at"] == "2026-11-20T02:00:00Z" and row["check_in_at"]


def test_duplicate_replay_serial_is_a_no_op(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    batch = [check_in(dev, field["cust1"]) for _ in range(3)]
    assert dev.push(batch)[0] == 200
    before = count(db, "visit"), count(db, "change_log")
    status, body = dev.push(batch)
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["duplicate"] * 3
    assert [r["original"] for r in body["results"]] == ["applied"] * 3
    assert (count(db, "visit"), count(db, "change_log")) == before
    assert body["last_mutation_id"] == 3


def test_lost_response_then_retry_with_more(client, db, field):
    """The device never saw the answer to 1-2; it resends them with 3: 3 applies once."""
    dev = Device(client, "am1", factories.PASSWORD)
    first = [check_in(dev, field["cust1"]) for _ in range(2)]
    dev.push(first)  # response "lost"
    third = check_in(dev, field["cust1"])
    status, body = dev.push([*first, third])
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["duplicate", "duplicate", "applied"]
    assert count(db, "visit") == 3


def test_same_id_different_args_is_422_and_changes_nothing(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    m = check_in(dev, field["cust1"])
    dev.push([m])
    forged = dict(m, args=dict(m["args"], lat=31.0))
    before = count(db, "change_log")
    status, body = dev.push([forged, check_in(dev, field["cust1"])])
    assert status == 422 and body["error"] == "mutation_mismatch" and body["id"] == 1
    assert count(db, "change_log") == before and count(db, "visit") == 1


def test_gap_answers_the_expected_id(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    dev.push([check_in(dev, field["cust1"])])
    dev.next_id = 5
    status, body = dev.push([check_in(dev, field["cust1"])])
    assert status == 409 and body["error"] == "gap" and body["expected_id"] == 2
    assert body["last_mutation_id"] == 1 and count(db, "visit") == 1


def test_poison_mutation_is_recorded_and_does_not_block(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    good1 = check_in(dev, field["cust1"])
    poison = dev.mutation("visit.update", {"id": good1["args"]["id"], "fields": {"x": 1}})
    unknown = dev.mutation("visit.teleport", {})
    outsider = check_in(dev, field["cust2"])  # not am1's customer, never was: as if missing
    good2 = check_in(dev, field["cust1"])
    status, body = dev.push([good1, poison, unknown, outsider, good2])
    assert status == 200
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["applied", "rejected", "rejected", "rejected", "applied"]
    assert body["results"][1]["result"]["code"] == "bad_args"
    assert body["results"][2]["result"]["code"] == "unknown_mutation"
    assert body["results"][3]["result"]["code"] == "unknown_customer"
    assert body["last_mutation_id"] == 5
    logged = db.execute(
        "SELECT status FROM mutation_log WHERE client_id = ? ORDER BY mutation_id",
        [dev.client_id],
    ).fetchall()
    assert [r[0] for r in logged] == statuses
    assert count(db, "visit") == 2  # the outsider's visit was not created


def test_concurrent_duplicate_pushes_apply_once(app, field):
    """Two copies of one batch race (a retry while the first is in flight)."""
    from server.db import connect
    from tests.live import LiveServer

    server = LiveServer(app).start()
    dev = Device(app.test_client(), "am1", factories.PASSWORD)
    batch = [check_in(dev, field["cust1"]) for _ in range(20)]
    dev.pull()  # the epoch: once the first copy registers the client, it must be sent
    body = json.dumps(
        {
            "client_id": dev.client_id,
            "server_epoch": dev.epoch,
            "schema_version": 1,
            "mutations": batch,
        }
    ).encode()
    answers = []

    def send():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(
            "POST",
            "/api/sync/push",
            body,
            {"Content-Type": "application/json", **dev.headers},
        )
        resp = conn.getresponse()
        answers.append((resp.status, json.loads(resp.read())))
        conn.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    server.stop()
    assert [a[0] for a in answers] == [200] * 4
    applied = sum(r["status"] == "applied" for _, b in answers for r in b["results"])
    assert applied == 20
    db = connect(app.config["DATABASE"])
    assert count(db, "visit") == 20
    assert count(db, "mutation_log", "client_id = ?", [dev.client_id]) == 20


def test_device_clock_days_off_keeps_both_times_and_cannot_win_forever(client, db, field):
    fast = Device(client, "am1", factories.PASSWORD, clock_offset_ms=3 * 86400_000)
    slow = Device(client, "am1", factories.PASSWORD, clock_offset_ms=-2 * 86400_000)
    m = check_in(fast, field["cust1"])
    m["args"]["at"] = m["device_time"]
    fast.push([m])
    row = db.execute("SELECT * FROM visit WHERE id = ?", [m["args"]["id"]]).fetchone()
    assert row["check_in_device_at"][:10] != row["check_in_at"][:10]  # both kept, days apart
    vid = m["args"]["id"]
    fast.push([fast.mutation("visit.update", {"id": vid, "fields": {"notes": "from fast"}})])
    # The fast clock was clamped to server time, so a later honest edit still wins.
    honest = Device(client, "am1", factories.PASSWORD)
    honest.push([honest.mutation("visit.update", {"id": vid, "fields": {"notes": "later"}})])
    notes = db.execute("SELECT notes FROM visit WHERE id = ?", [vid]).fetchone()[0]
    assert notes == "later"
    # A device days behind loses to what is already there (its stamp is older).
    slow.push([slow.mutation("visit.update", {"id": vid, "fields": {"notes": "stale"}})])
    assert db.execute("SELECT notes FROM visit WHERE id = ?", [vid]).fetchone()[0] == "later"


def test_two_devices_of_one_user_edit_one_field_last_writer_wins(client, db, field):
    phone = Device(client, "am1", factories.PASSWORD)
    tablet = Device(client, "am1", factories.PASSWORD)
    m = check_in(phone, field["cust1"])
    phone.push([m])
    vid = m["args"]["id"]
    earlier = phone.mutation("visit.update", {"id": vid, "fields": {"notes": "phone"}})
    time.sleep(0.002)  # the tablet's edit is made later
    later = tablet.mutation("visit.update", {"id": vid, "fields": {"notes": "tablet"}})
    # The later edit arrives first; the earlier one must not overwrite it.
    tablet.push([later])
    status, body = phone.push([earlier])
    assert body["results"][0]["result"]["ignored"] == ["notes"]
    assert db.execute("SELECT notes FROM visit WHERE id = ?", [vid]).fetchone()[0] == "tablet"
    # Different fields from both devices both survive.
    phone.push([phone.mutation("visit.update", {"id": vid, "fields": {"satisfaction": 4}})])
    tablet.push([tablet.mutation("visit.update", {"id": vid, "fields": {"feedback": "好"}})])
    row = db.execute("SELECT * FROM visit WHERE id = ?", [vid]).fetchone()
    assert (row["notes"], row["satisfaction"], row["feedback"]) == ("tablet", 4, "好")


def test_user_switch_on_one_device_needs_a_new_client(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    dev.push([check_in(dev, field["cust1"])])
    other = Device(client, "am2", factories.PASSWORD)
    other.client_id = dev.client_id  # the same browser, someone else signed in
    status, body = other.push([check_in(other, field["cust2"])])
    assert status == 403 and body["error"] == "client_of_another_user"
    resp = client.post("/api/sync/pull", json={"client_id": dev.client_id}, headers=other.headers)
    assert resp.status_code == 403
    other.client_id, other.next_id = "fresh-client-for-am2", 1
    assert other.push([check_in(other, field["cust2"])])[0] == 200
    other.pull()
    assert set(other.entities("customer")) == {field["cust2"]["id"]}


def test_push_requires_a_valid_token(client, field):
    resp = client.post("/api/sync/push", json={"client_id": "x" * 10, "mutations": []})
    assert resp.status_code == 401
    resp = client.post(
        "/api/sync/push",
        json={"client_id": "x" * 10, "mutations": []},
        headers={"Authorization": "Bearer nope"},
    )
    assert resp.status_code == 401


def test_malformed_pushes_get_reasons(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    bad = [
        {"client_id": "short", "mutations": []},
        {"client_id": dev.client_id, "mutations": "no"},
        {
            "client_id": dev.client_id,
            "mutations": [{"id": 1, "name": "x", "args": {}, "hlc": "?"}],
        },
        {
            "client_id": dev.client_id,
            "mutations": [
                {"id": 1, "name": "x", "args": {}, "hlc": "1:0:a"},
                {"id": 3, "name": "x", "args": {}, "hlc": "1:0:a"},
            ],
        },
    ]
    codes = []
    for body in bad:
        resp = client.post("/api/sync/push", json=body, headers=dev.headers)
        assert resp.status_code == 400
        codes.append(resp.get_json()["error"])
    assert codes == ["bad_client_id", "bad_mutations", "bad_hlc", "unordered"]


def test_a_newer_edit_that_changes_nothing_still_beats_an_older_one_arriving_later(
    client, db, field
):
    """LWW by stamp: an edit re-saving the current value is still the latest write."""
    first, late, resave = (Device(client, "am1", factories.PASSWORD) for _ in range(3))
    m = check_in(first, field["cust1"])
    vid = m["args"]["id"]
    first.push([m, first.mutation("visit.update", {"id": vid, "fields": {"notes": "b"}})])
    older = late.mutation("visit.update", {"id": vid, "fields": {"notes": "a"}})
    time.sleep(0.002)
    resave.push([resave.mutation("visit.update", {"id": vid, "fields": {"notes": "b"}})])
    status, body = late.push([older])  # made before the re-save, arrives after it
    assert status == 200 and body["results"][0]["result"]["ignored"] == ["notes"]
    assert db.execute("SELECT notes FROM visit WHERE id = ?", [vid]).fetchone()[0] == "b"


def test_a_device_time_that_is_not_text_is_a_400_not_a_500(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    m = check_in(dev, field["cust1"])
    m["device_time"] = {"oops": 1}
    status, body = dev.push([m])
    assert status == 400 and body["error"] == "bad_mutation"

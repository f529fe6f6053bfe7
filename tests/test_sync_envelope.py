"""The push/pull envelope is checked before anything is written, and nothing inside one
mutation (its args, its name) can fail the push: every bad input has a documented answer."""

import hashlib
import json

import pytest

from sync.push import args_hash
from tests import factories
from tests.device import Device, check_in, count

INT64_MIN = -(2**63)


@pytest.fixture
def field(db, tree):
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    return t


def _no_constant(name):
    raise AssertionError(f"the answer is not strict JSON: {name}")


def post(dev: Device, path: str, body) -> tuple[int, dict]:
    """Send JSON as a hostile client may (json.dumps writes NaN, and \\ud83d escaped)."""
    resp = dev.client.post(
        path, data=json.dumps(body), content_type="application/json", headers=dev.headers
    )
    assert resp.status_code < 500, resp.get_data(as_text=True)
    answer = json.loads(resp.get_data(as_text=True), parse_constant=_no_constant)
    if resp.status_code == 200 and answer.get("server_epoch"):
        dev.epoch = answer["server_epoch"]  # as a client following the protocol does
    return resp.status_code, answer


def push_body(dev: Device, mutations=(), **fields) -> dict:
    body = {
        "client_id": dev.client_id,
        "server_epoch": dev.epoch,
        "schema_version": 1,
        "app_version": "test",
        "mutations": list(mutations),
    }
    return {**body, **fields}


@pytest.mark.parametrize(
    "client_id",
    [
        "\ud83d" * 8,
        "abcdefgh\x00",
        "abcdefgh\ud83d",
        12345678,
        True,
        None,
        "x",
        "x" * 65,
        "名字" * 4,
    ],
)
def test_a_bad_client_id_is_400_on_push_and_pull_and_registers_nothing(
    client, db, field, client_id
):
    dev = Device(client, "am1", factories.PASSWORD)
    status, body = post(dev, "/api/sync/push", push_body(dev, client_id=client_id))
    assert (status, body["error"]) == (400, "bad_client_id")
    status, body = post(dev, "/api/sync/pull", {"client_id": client_id})
    assert (status, body["error"]) == (400, "bad_client_id")
    assert count(db, "sync_client") == 0


@pytest.mark.parametrize(
    ("field_name", "value", "code"),
    [
        ("app_version", "1.0\ud83d", "bad_app_version"),
        ("app_version", "1.0\x00", "bad_app_version"),
        ("app_version", 7, "bad_app_version"),
        ("app_version", "v" * 41, "bad_app_version"),
        ("schema_version", True, "bad_schema_version"),
        ("schema_version", 2**64, "bad_schema_version"),
        ("schema_version", 1.5, "bad_schema_version"),
        ("server_epoch", 123, "bad_epoch"),
        ("server_epoch", "e\ud83d", "bad_epoch"),
        ("device", [1, 2], "bad_device"),
    ],
)
def test_bad_envelope_fields_are_400_with_nothing_written(
    client, db, field, field_name, value, code
):
    dev = Device(client, "am1", factories.PASSWORD)
    body = push_body(dev, [check_in(dev, field["cust1"])], **{field_name: value})
    status, answer = post(dev, "/api/sync/push", body)
    assert (status, answer["error"]) == (400, code)
    assert count(db, "sync_client") == count(db, "visit") == count(db, "mutation_log") == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", True),
        ("id", 1.0),
        ("id", 2**63),
        ("id", 99999999999999999999),
        ("base_version", True),
        ("base_version", 2**64),
        ("base_version", -1),
        ("device_time", "2026-11-20T02:00:00Z\ud83d"),
        ("device_time", "2026\x00"),
    ],
)
def test_a_bool_or_an_integer_out_of_range_is_not_an_id(client, db, field, key, value):
    dev = Device(client, "am1", factories.PASSWORD)
    m = check_in(dev, field["cust1"])
    m[key] = value
    status, answer = post(dev, "/api/sync/push", push_body(dev, [m]))
    assert (status, answer["error"]) == (400, "bad_mutation")
    assert count(db, "visit") == count(db, "mutation_log") == 0


@pytest.mark.parametrize(
    "stamp", ["1:0:\ud83d", "1:0:a\x00", "\u0663:0:a", "+1:0:a", " 1:0:a", "1:0:" + "n" * 65, 5]
)
def test_a_bad_hlc_is_400(client, db, field, stamp):
    dev = Device(client, "am1", factories.PASSWORD)
    m = check_in(dev, field["cust1"])
    m["hlc"] = stamp
    status, answer = post(dev, "/api/sync/push", push_body(dev, [m]))
    assert (status, answer["error"]) == (400, "bad_hlc")


@pytest.mark.parametrize(
    "cursor",
    [
        "c:99999999999999999999",
        "c:9223372036854775808",
        "c:-1",
        "c:+5",
        "c: 5",
        "c:\u0663",
        "s:1:0:\ud83d",
        "s:99999999999999999999:0:",
        "s:1:99999:",
        True,
        7,
    ],
)
def test_an_unreadable_cursor_is_400(client, field, cursor):
    dev = Device(client, "am1", factories.PASSWORD)
    status, answer = post(dev, "/api/sync/pull", {"client_id": dev.client_id, "cursor": cursor})
    assert (status, answer["error"]) == (400, "bad_cursor")


@pytest.mark.parametrize("limit", [True, "10", 2.5])
def test_a_limit_that_is_not_an_integer_is_400(client, field, limit):
    dev = Device(client, "am1", factories.PASSWORD)
    status, answer = post(dev, "/api/sync/pull", {"client_id": dev.client_id, "limit": limit})
    assert (status, answer["error"]) == (400, "bad_limit")


def test_a_huge_limit_is_clamped(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    status, answer = post(dev, "/api/sync/pull", {"client_id": dev.client_id, "limit": 2**70})
    assert status == 200 and answer["has_more"] is False


# ---- the epoch rule --------------------------------------------------------------------


def test_only_a_client_never_seen_may_omit_the_epoch(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    status, answer = post(dev, "/api/sync/push", push_body(dev, [check_in(dev, field["cust1"])]))
    assert status == 200 and answer["results"][0]["status"] == "applied"  # never seen: fine
    db.execute("UPDATE meta SET value = 'restored0000000' WHERE key = 'server_epoch'")
    for path, body in [
        ("/api/sync/push", push_body(dev, [check_in(dev, field["cust1"])], server_epoch=None)),
        ("/api/sync/pull", {"client_id": dev.client_id, "server_epoch": None}),
        ("/api/sync/pull", {"client_id": dev.client_id}),
    ]:
        status, answer = post(dev, path, body)
        assert status == 409 and answer["reset"] is True, path
        assert answer["server_epoch"] == "restored0000000"
    assert count(db, "visit") == 1


def test_a_first_pull_without_epoch_is_fine_and_registers_the_client(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    status, answer = post(
        dev, "/api/sync/pull", {"client_id": dev.client_id, "server_epoch": None}
    )
    assert status == 200 and answer["server_epoch"]
    assert count(db, "sync_client", "client_id = ?", [dev.client_id]) == 1


# ---- nothing inside one mutation fails the push ----------------------------------------


def test_a_lone_surrogate_in_args_is_a_rejection_and_does_not_block_the_queue(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    bad = check_in(dev, field["cust1"])
    visit_id = bad["args"]["id"]
    good = dev.mutation("visit.update", {"id": visit_id, "fields": {"notes": "半个\ud83d"}})
    after = check_in(dev, field["cust1"])
    batch = [bad, good, after]
    status, answer = post(dev, "/api/sync/push", push_body(dev, batch))
    assert status == 200 and answer["last_mutation_id"] == 3
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected", "applied"]
    rejection = answer["results"][1]["result"]
    assert rejection["code"] == "bad_args" and "args.fields.notes" in rejection["message"]
    # A replay of the same batch matches what was stored: duplicates, nothing twice.
    status, again = post(dev, "/api/sync/push", push_body(dev, batch))
    assert status == 200 and [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert again["results"][1]["original"] == "rejected"
    assert count(db, "visit") == 2


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), 2**63, INT64_MIN - 1, {"k\ud83d": 1}]
)
def test_unstorable_numbers_in_args_are_a_rejection_naming_the_argument(client, db, field, value):
    dev = Device(client, "am1", factories.PASSWORD)
    m = check_in(dev, field["cust1"])
    m["args"]["accuracy"] = value
    status, answer = post(dev, "/api/sync/push", push_body(dev, [m]))
    assert status == 200 and answer["last_mutation_id"] == 1
    result = answer["results"][0]
    assert result["status"] == "rejected" and result["result"]["code"] == "bad_args"
    assert "args.accuracy" in result["result"]["message"]
    assert count(db, "visit") == 0


def test_a_mutation_name_with_a_surrogate_is_an_unknown_mutation(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    m = dev.mutation("visit.\ud83d" + "x" * 500, {})
    status, answer = post(dev, "/api/sync/push", push_body(dev, [m]))
    assert status == 200 and answer["results"][0]["result"]["code"] == "unknown_mutation"
    stored = db.execute("SELECT name FROM mutation_log").fetchone()[0]
    assert stored.startswith("visit.\\ud83d") and len(stored) <= 100


def test_the_args_hash_of_valid_mutations_is_unchanged():
    """Stored hashes must still match replays: the canonical form is what it always was."""
    cases = [
        {"name": "visit.update", "args": {"id": "a", "fields": {"notes": "客户 😀"}}},
        {"name": "visit.sign", "args": {"id": "b", "sha256": "0" * 64}, "base_version": 7},
        {"name": "x", "args": {"n": 1.5, "l": [1, None, True]}, "base_version": None},
    ]
    for m in cases:
        canonical = json.dumps(
            [m["name"], m["args"], m.get("base_version")],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert args_hash(m) == hashlib.sha256(canonical.encode()).hexdigest()


# ---- the device report -----------------------------------------------------------------

HOSTILE = [float("nan"), float("inf"), -float("inf"), 1e308, 1e30, -1e30, INT64_MIN, 2**64]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_device_figures_are_clamped_or_unknown_and_sync_health_stays_up(
    client, auth, db, field, value
):
    dev = Device(client, "am1", factories.PASSWORD)
    device = {
        k: value for k in ("storage_used", "storage_quota", "clock_offset_ms", "unsynced_count")
    }
    device["oldest_unsynced_at"] = value
    status, answer = post(dev, "/api/sync/push", push_body(dev, device=device))
    assert status == 200, answer
    row = dict(db.execute("SELECT * FROM sync_client").fetchone())
    limits = {
        "storage_used": (0, 2**53),
        "storage_quota": (0, 2**53),
        "clock_offset_ms": (-315_360_000_000, 315_360_000_000),
        "unsynced_count": (0, 1_000_000_000),
    }
    for key, (low, high) in limits.items():
        assert row[key] is None or (type(row[key]) is int and low <= row[key] <= high), key
    assert row["oldest_unsynced_at"] is None
    auth.login("sup_d1")
    assert client.get("/sync-health/").status_code == 200


def test_device_figures_in_range_are_stored_as_sent(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    device = {
        "storage_used": 18432000,
        "storage_quota": 2147483648.0,
        "clock_offset_ms": -1250,
        "unsynced_count": True,
        "oldest_unsynced_at": "2026-11-20T02:00:00.000Z",
    }
    assert post(dev, "/api/sync/push", push_body(dev, device=device))[0] == 200
    row = dict(db.execute("SELECT * FROM sync_client").fetchone())
    assert (row["storage_used"], row["storage_quota"], row["clock_offset_ms"]) == (
        18432000,
        2147483648,
        -1250,
    )
    assert row["unsynced_count"] is None  # a bool is not a count
    assert row["oldest_unsynced_at"] == "2026-11-20T02:00:00.000Z"


def test_sync_health_survives_rows_stored_before_the_checks(client, auth, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    assert post(dev, "/api/sync/push", push_body(dev))[0] == 200
    db.execute(
        "UPDATE sync_client SET clock_offset_ms = ?, unsynced_count = ?, storage_used = 'x',"
        " storage_quota = 9223372036854775807, oldest_unsynced_at = '2026-11-20T02:00:00Z'",
        [INT64_MIN, 2**63 - 1],
    )
    auth.login("sup_d1")
    resp = client.get("/sync-health/")
    assert resp.status_code == 200
    assert 'data-flag="clock"' in resp.get_data(as_text=True)
    db.execute("UPDATE sync_client SET clock_offset_ms = 9223372036854775807")
    assert client.get("/sync-health/").status_code == 200


@pytest.mark.parametrize("path", ["/api/sync/push", "/api/sync/pull"])
@pytest.mark.parametrize("data", ["[" * 5_000 + "]" * 5_000, "[1, 2]", "null", '"x"', "{"])
def test_a_body_that_is_not_an_object_is_400(client, field, path, data):
    dev = Device(client, "am1", factories.PASSWORD)
    resp = client.post(path, data=data, content_type="application/json", headers=dev.headers)
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_request"

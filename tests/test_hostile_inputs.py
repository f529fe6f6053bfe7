"""Generated hostile input (tests/hostile.py) through the real WSGI app, one area per test.

One app and one seeded database for the module (tests/hostile_world.py); the cases are
generated from the sync registry and the URL map, in a fixed order, so a run is
deterministic. Each test fails with the distinct findings, grouped. The bench with 50,000
random picks over the same cases is bench/fuzz.py.
"""

import logging

import pytest

from server import create_app
from tests import hostile, hostile_world
from tests.hostile_world import ROLES

CALLED = {"requests": 0}


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    app = create_app(hostile_world.app_config(tmp_path_factory.mktemp("hostile")))
    world = hostile_world.build(app)
    yield hostile.Fuzzer(world)
    world.db.conn.close()


@pytest.fixture(autouse=True)
def _quiet_logs():
    """Handlers log the crashes they turn into rejections; the findings say it better."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def _run(fuzzer, cases) -> hostile.Tally:
    tally = hostile.Tally()
    for case in cases:
        hostile.run(fuzzer, case, tally)
    CALLED["requests"] += tally.requests
    return tally


def _assert_clean(tally: hostile.Tally) -> None:
    assert not tally.findings, (
        f"{len(tally.findings)} findings in {tally.requests} requests:\n"
        + hostile.grouped(tally.findings)
    )


def _mutation_names():
    app = create_app({"TESTING": True, "DATABASE": ":memory:", "SECRET_KEY": "x"})
    return sorted(app.extensions["sync_registry"].mutations)


@pytest.mark.parametrize("name", _mutation_names())
def test_mutation_args(fuzzer, name):
    from tests.hostile_api import mutation_cases

    cases = [c for c in mutation_cases(fuzzer.world) if c.target == name]
    assert cases
    _assert_clean(_run(fuzzer, cases))


def test_every_mutation_has_a_base_and_its_arguments_are_found(fuzzer):
    from tests.hostile_api import BASES, CREATES, fuzzed_args

    registry = fuzzer.world.app.extensions["sync_registry"]
    assert set(registry.mutations) == set(BASES)
    for name in registry.mutations:
        found = fuzzed_args(fuzzer.world, name)
        base = BASES[name](fuzzer.world)
        assert set(base) <= set(found)
        fresh = "id" in base and base["id"] not in fuzzer.world.ids
        assert fresh == (name in CREATES), name


@pytest.mark.parametrize("path", ["/api/sync/push", "/api/sync/pull"])
def test_envelope(fuzzer, path):
    from tests.hostile_api import envelope_cases

    _assert_clean(_run(fuzzer, [c for c in envelope_cases(fuzzer.world) if c.target == path]))


@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT"])
def test_blobs(fuzzer, method):
    from tests.hostile_api import blob_cases

    cases = [c for c in blob_cases(fuzzer.world) if c.target.startswith(method)]
    _assert_clean(_run(fuzzer, cases))


def test_auth(fuzzer):
    from tests.hostile_api import auth_cases

    _assert_clean(_run(fuzzer, auth_cases(fuzzer.world)))


def test_push_api(fuzzer):
    from tests.hostile_api import push_api_cases

    _assert_clean(_run(fuzzer, push_api_cases(fuzzer.world)))


# The pages: every role walks every GET rule with valid, foreign and garbage path values;
# hostile query parameters for two roles (the widest scope and the narrowest) in `make
# test`, for every role in bench/fuzz.py.
QUERY_ROLES = ("admin", "account_manager")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_get(fuzzer, role):
    from tests.hostile_pages import page_get_cases

    cases = [
        c
        for c in page_get_cases(fuzzer.world, roles=[role])
        if not c.arg.startswith("?") or role in QUERY_ROLES
    ]
    _assert_clean(_run(fuzzer, cases))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_post(fuzzer, role):
    from tests.hostile_pages import page_post_cases

    _assert_clean(_run(fuzzer, page_post_cases(fuzzer.world, roles=[role])))


def test_at_least_2000_generated_requests(fuzzer):
    assert CALLED["requests"] >= 2000, CALLED


# ---- the page fixes, one by one ----


@pytest.mark.parametrize(
    "path", ["/admin/audit", "/inspections/", "/retention/", "/reviews/", "/customers/"]
)
def test_a_page_number_beyond_sqlite_integers_shows_the_last_page(fuzzer, path):
    from tests.hostile_pages import signed_in

    client, _ = signed_in(fuzzer, "admin")
    resp = client.get(path + "?page=99999999999999999999")
    assert resp.status_code == 200
    last = client.get(path + "?page=1000000")
    assert last.status_code == 200


def _open_conflict(world) -> str:
    """An open copy of the world's conflict (the page walk may have decided the original)."""
    import uuid

    sql = "SELECT * FROM conflict WHERE id = ?"
    row = dict(world.db.execute(sql, [world.rec["A.conflict"]]).fetchone())
    row.update(id=str(uuid.uuid4()), status="open", resolution=None, resolved_by=None)
    row.pop("resolved_at", None)
    world.db.table("conflict").insert(row)
    world.db.conn.commit()
    return row["id"]


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("decision", [None, "", "explode"])
def test_a_conflict_posted_without_a_known_decision_is_refused(fuzzer, decision, htmx):
    from tests.hostile_pages import signed_in

    client, token = signed_in(fuzzer, "supervisor")
    cid = _open_conflict(fuzzer.world)
    data = {} if decision is None else {"decision": decision}
    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
    resp = client.post(f"/reviews/conflicts/{cid}", data=data, headers=headers)
    assert resp.status_code == (200 if htmx else 409)  # htmx swaps only 2xx answers
    assert "Choose what to do" in resp.get_data(as_text=True) or "选择" in resp.get_data(
        as_text=True
    )
    row = fuzzer.world.db.execute("SELECT status FROM conflict WHERE id = ?", [cid]).fetchone()
    assert row["status"] == "open"  # nothing decided, nothing lost


def test_sync_health_survives_the_smallest_64_bit_clock_offset(fuzzer):
    """A device once reported clock_offset_ms = -2**63: abs() overflowed in SQLite."""
    from tests.hostile_pages import signed_in

    dev = fuzzer.world.devices["victim"]
    fuzzer.world.db.execute(
        "INSERT OR IGNORE INTO sync_client (client_id, user_id, created_at) VALUES (?, ?, ?)",
        [dev.client_id, fuzzer.world.rec["victim.user"], "2026-06-01T00:00:00Z"],
    )
    fuzzer.world.db.execute(
        "UPDATE sync_client SET clock_offset_ms = ? WHERE client_id = ?", [-(2**63), dev.client_id]
    )
    client, _ = signed_in(fuzzer, "admin")
    resp = client.get("/sync-health/")
    assert resp.status_code == 200

"""Sync health page: scope, the device report, highlights, sorting, filters, pagination."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.device import Device
from tests.factories import PASSWORD

ROW = re.compile(r'<tr data-user="([^"]+)" data-client="([^"]*)">(.*?)</tr>', re.S)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ago(**delta) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


def report(device: Device, mutations=(), **fields) -> dict:
    """Push (possibly nothing) with a device report, as the PWA does (pwa/sync.js)."""
    muts = [device.mutation(name, args) for name, args in mutations]
    body = {
        "client_id": device.client_id,
        "server_epoch": device.epoch,
        "schema_version": 1,
        "app_version": "2026.06.1",
        "mutations": muts,
        "device": fields,
    }
    resp = device.client.post("/api/sync/push", json=body, headers=device.headers)
    assert resp.status_code == 200, resp.get_json()
    device.epoch = resp.get_json()["server_epoch"]
    return resp.get_json()


def rows(client, **args) -> list[tuple[str, str, str]]:
    resp = client.get("/sync-health/", query_string=args)
    assert resp.status_code == 200
    return ROW.findall(resp.get_data(as_text=True))


def flags(cells: str) -> set[str]:
    return set(re.findall(r'data-flag="(\w+)"', cells))


@pytest.fixture
def fleet(app, client, db, tree):
    """Devices of am1 (two), tech1, am2 and tech_k with known reports; tech1 has one more."""
    d = {}
    d["am1_old"] = Device(client, "am1", PASSWORD, name="Huawei P40")
    report(d["am1_old"], unsynced_count=3, oldest_unsynced_at=ago(hours=30))
    d["am1_new"] = Device(client, "am1", PASSWORD, name="iPad")
    report(d["am1_new"], unsynced_count=2, oldest_unsynced_at=ago(hours=2))
    d["tech1"] = Device(client, "tech1", PASSWORD, name="Honor X9")
    report(
        d["tech1"],
        unsynced_count=0,
        storage_used=900,
        storage_quota=1000,
        clock_offset_ms=11 * 60 * 1000,
    )
    d["am2"] = Device(client, "am2", PASSWORD, name="Xiaomi 14")
    # Everything it reported went in this very push and was acknowledged: nothing is left.
    report(
        d["am2"],
        mutations=[("nothing.known", {"id": "x"})],
        unsynced_count=1,
        oldest_unsynced_at=ago(hours=40),
    )
    d["tech_k"] = Device(client, "tech_k", PASSWORD, name="Vivo")
    report(d["tech_k"], unsynced_count=0, clock_offset_ms=-1000)
    db.execute(
        "UPDATE sync_client SET last_push_at = ?, last_pull_at = NULL WHERE client_id = ?",
        [ago(days=4), d["tech_k"].client_id],
    )
    return d


def test_field_users_cannot_open_it(client, auth, tree):
    auth.login("am1")
    assert client.get("/sync-health/").status_code == 403


def test_supervisor_sees_only_their_subtree(client, auth, tree, fleet):
    auth.login("sup_d1")
    users = {u for u, _c, _cells in rows(client)}
    assert users == {"am1", "tech1"}
    auth.login("sup_k")
    assert {u for u, _c, _cells in rows(client)} == {"tech_k"}
    auth.login("admin")
    assert {u for u, _c, _cells in rows(client)} == {"am1", "tech1", "am2", "tech_k"}


def test_highlights_and_device_names(client, auth, tree, fleet):
    auth.login("admin")
    found = {c: cells for _u, c, cells in rows(client)}
    old, new = found[fleet["am1_old"].client_id], found[fleet["am1_new"].client_id]
    assert flags(old) == {"unsynced"} and "Huawei P40" in old and 'data-unsent="3"' in old
    assert flags(new) == set() and "iPad" in new
    assert flags(found[fleet["tech1"].client_id]) == {"storage", "clock"}
    assert "90%" in found[fleet["tech1"].client_id]
    assert flags(found[fleet["tech_k"].client_id]) == {"silent"}
    am2 = found[fleet["am2"].client_id]
    assert flags(am2) == set() and "2026.06.1" in am2


def test_clock_offset_corrects_the_reported_age(client, auth, tree):
    # offset = server minus device. A device 5 h fast stamps "20 h ago" what was 25 h ago;
    # one 5 h slow stamps "26 h ago" what was 21 h ago.
    phone = Device(client, "am1", PASSWORD)
    five_hours = 5 * 3600 * 1000
    report(phone, unsynced_count=1, oldest_unsynced_at=ago(hours=25), clock_offset_ms=0)
    auth.login("admin")
    assert flags(rows(client)[0][2]) == {"unsynced"}
    report(phone, unsynced_count=1, oldest_unsynced_at=ago(hours=20), clock_offset_ms=-five_hours)
    assert flags(rows(client)[0][2]) == {"unsynced", "clock"}
    report(phone, unsynced_count=1, oldest_unsynced_at=ago(hours=26), clock_offset_ms=five_hours)
    assert flags(rows(client)[0][2]) == {"clock"}
    report(phone, unsynced_count=1, oldest_unsynced_at=ago(hours=20), clock_offset_ms=0)
    assert flags(rows(client)[0][2]) == set()


def test_longest_unsent_first_then_silent_never_synced_last(client, auth, tree, fleet):
    auth.login("admin")
    order = [(u, c) for u, c, _cells in rows(client)]
    assert order[0] == ("am1", fleet["am1_old"].client_id)
    assert order[1] == ("am1", fleet["am1_new"].client_id)
    assert order[2] == ("tech_k", fleet["tech_k"].client_id)  # silent for 4 days
    assert {u for u, c in order[3:]} == {"tech1", "am2"}
    assert len(order) == 5


def test_user_without_a_device_shows_never_synced(client, auth, tree, db):
    from tests.factories import make_user

    make_user(db, tree["T1"], "technician", username="newbie")
    auth.login("sup_d1")
    found = rows(client)
    newbie = [cells for u, c, cells in found if u == "newbie"]
    assert len(newbie) == 1 and 'data-never="1"' in newbie[0]
    assert "Never synced" in newbie[0] or "从未同步" in newbie[0]


def test_open_conflicts_and_late_edits_per_user(client, auth, tree, fleet, db):
    def conflict(kind, status="open", user="am1"):
        db["conflict"].insert(
            dict(
                id=f"{kind}-{status}-{user}",
                kind=kind,
                entity="visit",
                entity_id="v1",
                mutation_name="visit.update",
                args="{}",
                client_id=fleet["am1_old"].client_id,
                mutation_id=1,
                user_id=tree[user]["id"],
                reason="stale_base",
                status=status,
                created_at=ago(hours=1),
            )
        )

    conflict("field")
    conflict("late_edit")
    conflict("field", status="resolved")
    conflict("late_edit", user="tech1")
    auth.login("sup_d1")
    by_user = {u: cells for u, _c, cells in rows(client)}
    assert 'data-conflicts="1" data-late-edits="1"' in by_user["am1"]
    assert 'data-conflicts="0" data-late-edits="1"' in by_user["tech1"]


def test_filters_role_org_problems(client, auth, tree, fleet):
    auth.login("admin")
    assert {u for u, _c, _x in rows(client, role="technician")} == {"tech1", "tech_k"}
    assert {u for u, _c, _x in rows(client, org=tree["D2"]["id"])} == {"am2"}
    problems = {c for _u, c, _x in rows(client, problems="1")}
    expected = {fleet[k].client_id for k in ("am1_old", "tech1", "tech_k")}
    assert problems == expected


def test_an_org_outside_the_scope_reveals_nothing(client, auth, tree, fleet):
    auth.login("sup_d1")
    resp = client.get("/sync-health/", query_string={"org": tree["D2"]["id"]})
    html = resp.get_data(as_text=True)
    assert 'data-error="org"' in html
    assert {u for u, _c, _x in ROW.findall(html)} == {"am1", "tech1"}


def test_pagination(app, client, auth, tree, fleet):
    app.config["PAGE_SIZE"] = 2
    auth.login("admin")
    first, second = rows(client), rows(client, page=2)
    third = rows(client, page=3)
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    assert first[0][1] == fleet["am1_old"].client_id
    assert not {c for _u, c, _x in first} & {c for _u, c, _x in second + third}


def test_htmx_request_gets_the_table_only(client, auth, tree, fleet):
    auth.login("admin")
    resp = client.get("/sync-health/", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert "<html" not in html and 'id="devices-table"' in html
    assert "HX-Request" in resp.headers["Vary"]

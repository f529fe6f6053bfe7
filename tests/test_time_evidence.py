"""Device event times as evidence: corrected by the clock offset the device reports, kept
beside the server's time, and flagged (future, before dispatch, too fast) when implausible."""

import time
from datetime import timedelta

import pytest
from geopy.distance import geodesic

from server.ids import now_utc
from server.times import from_stored as parse
from server.times import to_stored as iso
from server.work_orders import evidence
from tests import factories
from tests.device import Device

BEHIND_MS = (5 * 60 + 13) * 60_000  # 5 h 13 min = 18,780,000 ms
SITE = (30.28, 120.16)
FAR = (30.64, 120.16)  # about 40 km north of the site


class ClockDevice(Device):
    """A device whose clock is off, reporting the offset it measured (§4, §12) on each push."""

    def __init__(self, client, username, clock_offset_ms=0, reported_offset_ms=None):
        super().__init__(client, username, factories.PASSWORD, clock_offset_ms=clock_offset_ms)
        self.reported_offset_ms = reported_offset_ms

    def now(self, minutes=0) -> str:
        """The device's own clock (wrong by clock_offset_ms), `minutes` from now."""
        true = time.time() * 1000 + self.clock_offset_ms + minutes * 60_000
        return iso(parse("1970-01-01T00:00:00Z") + timedelta(milliseconds=true))

    def push(self, mutations, epoch=None):
        body = {
            "client_id": self.client_id,
            "server_epoch": epoch if epoch is not None else self.epoch,
            "schema_version": 1,
            "app_version": "test",
            "mutations": mutations,
        }
        if self.reported_offset_ms is not None:
            body["device"] = {"clock_offset_ms": self.reported_offset_ms, "unsynced_count": 1}
        resp = self.client.post("/api/sync/push", json=body, headers=self.headers)
        assert resp.status_code == 200, resp.get_json()
        self.epoch = resp.get_json()["server_epoch"]
        return resp.get_json()["results"]


@pytest.fixture
def order(db, tree):
    site = factories.make_site(db, tree["T1"], contractor=tree["K"], lat=SITE[0], lon=SITE[1])
    return factories.make_work_order(
        db, tree["T1"], assignee=tree["tech_k"], assigned_org=tree["K"], site_id=site["id"]
    )


def events(db, order_id) -> list[dict]:
    sql = "SELECT * FROM work_order_event WHERE work_order_id = ? ORDER BY rowid"
    return [dict(r) for r in db.execute(sql, [order_id]).fetchall()]


def row(db, order_id) -> dict:
    return dict(db.execute("SELECT * FROM work_order WHERE id = ?", [order_id]).fetchone())


def seconds_apart(a: str, b: str) -> float:
    return abs((parse(a) - parse(b)).total_seconds())


def test_a_device_hours_behind_is_corrected_by_the_offset_it_reports(client, db, order):
    dev = ClockDevice(client, "tech_k", clock_offset_ms=-BEHIND_MS, reported_offset_ms=BEHIND_MS)
    dev.pull()
    sent = dev.now()  # 5 h 13 min before the true time, and before the dispatch
    assert parse(sent) < parse(order["dispatched_at"]) - timedelta(hours=5)
    results = dev.push([dev.mutation("work_order.accept", {"id": order["id"], "at": sent})])
    assert results[0]["status"] == "applied" and results[0]["result"]["event_flags"] == ""
    (event,) = events(db, order["id"])
    assert event["device_at"] == sent  # what the device said, kept as said
    assert event["clock_offset_ms"] == BEHIND_MS
    assert event["corrected_at"] == iso(parse(sent) + timedelta(milliseconds=BEHIND_MS))
    assert seconds_apart(event["corrected_at"], event["server_at"]) < 1
    assert event["flags"] == ""
    stored = row(db, order["id"])
    assert stored["accepted_at"] == event["corrected_at"] and stored["time_flags"] == ""


def test_work_done_offline_keeps_its_own_time_after_the_offset_is_known(client, db, tree):
    order = dispatched_an_hour_ago(db, tree)
    dev = ClockDevice(client, "tech_k", clock_offset_ms=-BEHIND_MS, reported_offset_ms=BEHIND_MS)
    dev.push([dev.mutation("work_order.accept", {"id": order["id"], "at": dev.now()})])
    dev.reported_offset_ms = None  # a later push without the device report: the stored one holds
    travelled = dev.now(minutes=-20)  # recorded offline twenty minutes ago
    dev.push([dev.mutation("work_order.travel", {"id": order["id"], "at": travelled})])
    event = events(db, order["id"])[-1]
    assert event["clock_offset_ms"] == BEHIND_MS and event["flags"] == ""
    true_time = parse(event["server_at"]) - timedelta(minutes=20)
    assert abs((parse(event["corrected_at"]) - true_time).total_seconds()) < 1
    assert row(db, order["id"])["en_route_at"] == event["corrected_at"]


def test_a_device_days_ahead_with_no_offset_known_is_flagged_future(client, db, order):
    dev = ClockDevice(client, "tech_k", clock_offset_ms=3 * 86_400_000)
    sent = dev.now()
    results = dev.push([dev.mutation("work_order.accept", {"id": order["id"], "at": sent})])
    assert results[0]["status"] == "applied" and results[0]["result"]["event_flags"] == "future"
    (event,) = events(db, order["id"])
    assert event["device_at"] == sent and event["corrected_at"] == iso(parse(sent))
    assert event["clock_offset_ms"] == 0 and event["flags"] == "future"
    stored = row(db, order["id"])
    assert stored["accepted_at"] == event["server_at"]  # the server's time stands
    assert stored["time_flags"] == "future"


def test_a_corrected_time_well_before_dispatch_is_flagged(client, db, tree, order):
    dev = ClockDevice(client, "tech_k", reported_offset_ms=0)
    sent = iso(parse(order["dispatched_at"]) - timedelta(hours=2))
    dev.push([dev.mutation("work_order.accept", {"id": order["id"], "at": sent})])
    (event,) = events(db, order["id"])
    assert event["flags"] == "before_dispatch"
    assert row(db, order["id"])["accepted_at"] == event["server_at"]
    # within the tolerance (a clock a few minutes off) nothing is flagged
    other = factories.make_work_order(db, tree["T1"], assignee=tree["tech_k"])
    near = iso(parse(other["dispatched_at"]) - timedelta(minutes=4))
    dev.push([dev.mutation("work_order.accept", {"id": other["id"], "at": near})])
    assert events(db, other["id"])[0]["flags"] == ""
    assert row(db, other["id"])["accepted_at"] == near


def dispatched_an_hour_ago(db, tree):
    site = factories.make_site(db, tree["T1"], contractor=tree["K"], lat=SITE[0], lon=SITE[1])
    return factories.make_work_order(
        db,
        tree["T1"],
        assignee=tree["tech_k"],
        assigned_org=tree["K"],
        site_id=site["id"],
        at=iso(parse(now_utc()) - timedelta(hours=1)),
    )


def step(dev, name, oid, at, where=None):
    args = {"id": oid, "at": at}
    if where:
        args.update(lat=where[0], lon=where[1], accuracy=10)
    return dev.mutation(f"work_order.{name}", args)


def test_arriving_40_km_away_five_minutes_after_travelling_is_too_fast(client, db, tree):
    order = dispatched_an_hour_ago(db, tree)
    dev = ClockDevice(client, "tech_k", reported_offset_ms=0)
    oid = order["id"]
    dev.push(
        [step(dev, "accept", oid, dev.now(-30)), step(dev, "travel", oid, dev.now(-10), SITE)]
    )
    results = dev.push([step(dev, "arrive", oid, dev.now(-5), FAR)])
    assert results[0]["status"] == "applied" and results[0]["result"]["event_flags"] == "too_fast"
    arrive = events(db, oid)[-1]
    assert arrive["to_status"] == "on_site" and arrive["flags"] == "too_fast"
    stored = row(db, oid)
    assert stored["on_site_at"] == arrive["server_at"] and stored["time_flags"] == "too_fast"
    assert stored["accepted_at"] == events(db, oid)[0]["corrected_at"]  # earlier steps stand


def test_the_speed_is_measured_from_the_latest_position_even_within_one_push(client, db, tree):
    order = dispatched_an_hour_ago(db, tree)
    dev = ClockDevice(client, "tech_k", reported_offset_ms=0)
    oid = order["id"]
    results = dev.push(
        [
            step(dev, "accept", oid, dev.now(-45)),
            step(dev, "travel", oid, dev.now(-40), SITE),
            step(dev, "arrive", oid, dev.now(-10), FAR),  # 40 km in 30 min: plausible
            step(dev, "resolve", oid, dev.now(-9)),
            step(dev, "arrive", oid, dev.now(-8), SITE),  # back 40 km in 2 min: not
        ]
    )
    assert [r["result"]["event_flags"] for r in results] == ["", "", "", "", "too_fast"]


# ---- evidence.corrected and evidence.flags at their boundaries ------------------------------

SERVER_AT = "2026-03-10T12:00:00.000Z"
DISPATCHED = "2026-03-10T11:00:00.000Z"


def at(base: str, **delta) -> str:
    return iso(parse(base) + timedelta(**delta))


def test_corrected_adds_the_offset_and_keeps_nothing_as_nothing():
    assert evidence.corrected("2026-03-10T06:47:00Z", BEHIND_MS) == SERVER_AT
    assert evidence.corrected("2026-03-10T14:47:00+08:00", BEHIND_MS) == SERVER_AT
    assert evidence.corrected("2026-03-13T12:00:00.000Z", -3 * 86_400_000) == SERVER_AT
    assert evidence.corrected(SERVER_AT, None) == SERVER_AT
    assert evidence.corrected(None, BEHIND_MS) is None


@pytest.mark.parametrize(
    "delta, expected",
    [
        (dict(minutes=5), []),
        (dict(minutes=5, milliseconds=1), ["future"]),
        (dict(days=3), ["future"]),
        (dict(minutes=-1), []),
    ],
)
def test_future_tolerance_is_five_minutes(delta, expected):
    assert evidence.flags(at(SERVER_AT, **delta), server_at=SERVER_AT) == expected


@pytest.mark.parametrize(
    "delta, expected",
    [
        (dict(minutes=-5), []),
        (dict(minutes=-5, milliseconds=-1), ["before_dispatch"]),
        (dict(hours=-2), ["before_dispatch"]),
        (dict(), []),
    ],
)
def test_before_dispatch_tolerance_is_five_minutes(delta, expected):
    flags = evidence.flags(at(DISPATCHED, **delta), server_at=SERVER_AT, dispatched_at=DISPATCHED)
    assert flags == expected


def test_no_claimed_time_is_never_flagged():
    assert evidence.flags(None, server_at=SERVER_AT, dispatched_at="2099-01-01T00:00:00Z") == []


KM = geodesic(SITE, FAR).km


@pytest.mark.parametrize(
    "hours, where, expected",
    [
        (KM / 119, FAR, []),  # just under 120 km/h
        (KM / 121, FAR, ["too_fast"]),  # just over
        (5 / 60, FAR, ["too_fast"]),  # 40 km in five minutes
        (0, FAR, ["too_fast"]),  # no time at all to move 40 km
        (-1, FAR, ["too_fast"]),  # earlier than the previous step
        (1 / 3600, (30.288, 120.16), []),  # under a kilometre: GPS jitter, never flagged
        (5 / 60, (None, None), []),  # no position, nothing to compare
    ],
)
def test_travel_faster_than_120_kmh_is_too_fast(hours, where, expected):
    assert 39 < KM < 41
    then = "2026-03-10T11:30:00.000Z"
    flags = evidence.flags(
        at(then, seconds=hours * 3600),
        server_at=SERVER_AT,
        previous=(then, *SITE),
        position=where,
    )
    assert flags == expected


def test_all_three_flags_at_once_are_listed_in_order():
    flags = evidence.flags(
        at(SERVER_AT, days=1),
        server_at=SERVER_AT,
        dispatched_at=at(SERVER_AT, days=2),
        previous=(at(SERVER_AT, days=1, minutes=-1), *SITE),
        position=FAR,
    )
    assert flags == ["future", "before_dispatch", "too_fast"]


@pytest.mark.parametrize("report", ["abc", 10**16, -(10**13)])
def test_a_nonsense_offset_report_counts_as_unknown_and_loses_no_work(client, db, order, report):
    dev = ClockDevice(client, "tech_k", reported_offset_ms=report)
    sent = dev.now()
    results = dev.push([dev.mutation("work_order.accept", {"id": order["id"], "at": sent})])
    assert results[0]["status"] == "applied", results
    (event,) = events(db, order["id"])
    assert event["clock_offset_ms"] == 0 and event["corrected_at"] == iso(parse(sent))

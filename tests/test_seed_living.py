"""The demo as a living branch: anchored to the seeding moment, deterministic from the seed.

Open orders are due in the coming hours and days (a few breached by less than a day), the
suggested technician has an order waiting, three months of visits with follow-ups, last
month's scores with spread (a score of 0 unranked), and on the device the retention tile
counts what the retention list shows."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from server.db import connect, rows
from server.migrations import upgrade
from server.scope import Caller
from server.scores import cards
from server.seed.demo import logins, seed_demo
from server.times import from_stored, local_month, to_stored
from server.work_orders.statuses import RUNNING
from tests.browser import compile_catalogues, demo_app, sign_in
from tests.live import LiveServer

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Hangzhou, a Thursday
SEED = 5
COMPARED = ("work_order", "visit", "follow_up", "inspection_answer", "scorecard")
VOLATILE = {"created_at", "updated_at", "computed_at", "password_hash"}


def _seed(path, seed=SEED, now=NOW):
    db = connect(str(path))
    upgrade(db)
    seed_demo(db, seed, now=now)
    return db


def _dump(db) -> dict:
    out = {}
    for table in COMPARED:
        volatile = VOLATILE | ({"id"} if table == "scorecard" else set())  # uuid7 of the clock
        found = rows(db, f"SELECT * FROM {table}")
        out[table] = sorted(
            (tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in found),
            key=repr,
        )
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = _seed(tmp_path_factory.mktemp("living") / "demo.db")
    yield db
    db.conn.close()


def test_same_seed_and_moment_same_rows_another_day_moves_them(tmp_path):
    first, second = _seed(tmp_path / "a.db"), _seed(tmp_path / "b.db")
    later = _seed(tmp_path / "c.db", now=NOW + timedelta(days=9))
    try:
        dump = _dump(first)
        assert all(dump[t] for t in COMPARED)
        assert dump == _dump(second)
        moved = _dump(later)
        assert moved["work_order"] != dump["work_order"] and moved["visit"] != dump["visit"]
    finally:
        for db in (first, second, later):
            db.conn.close()


def test_open_orders_due_in_the_coming_days_a_few_breached_by_hours(seeded):
    now = to_stored(NOW)
    field = rows(
        seeded,
        f"SELECT * FROM work_order WHERE status IN ({', '.join('?' * len(RUNNING))})",
        list(RUNNING),
    )
    assert len(field) >= 10
    due = [from_stored(o["restore_due_at"]) - NOW for o in field]
    assert all(timedelta(days=-1) < d < timedelta(days=5) for d in due)
    breached = [d for d in due if d < timedelta()]
    assert 0 < len(breached) < len(field) / 2  # a few, by minutes or hours (< 1 day)
    assert sum(timedelta() < d < timedelta(hours=12) for d in due) >= 3  # due within hours
    assert all(o["dispatched_at"] < now and o["description"] for o in field)
    every = rows(seeded, "SELECT dispatched_at, description FROM work_order")
    assert all(o["dispatched_at"] < now and o["description"] for o in every)
    assert len({o["description"] for o in every}) >= 15
    assert all("\u4e00" <= o["description"][0] <= "\u9fff" for o in every)  # Chinese text
    oldest = min(from_stored(o["dispatched_at"]) for o in every)
    assert NOW - oldest > timedelta(days=60)  # finished work over the months before


def test_the_suggested_technician_has_an_order_waiting(seeded):
    first = next(u for u in logins(seeded) if u["role"] == "technician")  # demo-logins
    waiting = rows(
        seeded,
        "SELECT w.* FROM work_order w JOIN app_user u ON u.id = w.assignee_id"
        " WHERE u.username = ? AND w.status = 'dispatched'",
        [first["username"]],
    )
    assert waiting
    assert any(o["restore_due_at"] > to_stored(NOW) for o in waiting)


def test_visits_in_each_of_the_last_three_months_with_follow_ups(seeded):
    months = []
    month = local_month(to_stored(NOW))
    for _ in range(3):
        year, number = int(month[:4]), int(month[5:])
        month = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
        months.append(month)
    visits = rows(seeded, "SELECT * FROM visit WHERE check_in_at IS NOT NULL")
    per_month = Counter(local_month(v["check_in_at"]) for v in visits)
    assert all(per_month[m] >= 50 for m in months), per_month
    assert all(v["check_in_at"] <= to_stored(NOW) for v in visits)  # synced by the anchor
    statuses = Counter(v["status"] for v in rows(seeded, "SELECT status FROM visit"))
    assert statuses["approved"] and statuses["completed"] and statuses["planned"]
    assert statuses["returned"]
    on_site = [v for v in visits if v["channel"] == "on_site"]
    assert all(v["check_out_at"] and v["check_in_lat"] for v in on_site)
    assert all(json.loads(v["contacts_met"]) for v in visits)
    follow_ups = rows(seeded, "SELECT * FROM follow_up")
    today = NOW.date().isoformat()
    assert [f for f in follow_ups if f["done_at"]]
    assert [f for f in follow_ups if not f["done_at"] and f["due_date"] >= today]  # due
    assert [f for f in follow_ups if not f["done_at"] and f["due_date"] < today]  # overdue
    planned = rows(
        seeded, "SELECT * FROM visit WHERE status = 'planned' AND planned_date >= ?", [today]
    )
    managers = {
        r["id"]
        for r in rows(seeded, "SELECT id FROM app_user WHERE role = ?", ["account_manager"])
    }
    assert {p["account_manager_id"] for p in planned} == managers
    # Every class-A customer was visited on site within the last month.
    recent = to_stored(NOW - timedelta(days=31))
    unvisited = rows(
        seeded,
        "SELECT c.id FROM customer c WHERE c.customer_class = 'A' AND NOT EXISTS"
        " (SELECT 1 FROM visit v WHERE v.customer_id = c.id AND v.channel = 'on_site'"
        " AND v.check_in_at >= ?)",
        [recent],
    )
    assert len(unvisited) <= 3


def _admin(db) -> Caller:
    user = rows(db, "SELECT * FROM app_user WHERE username = 'admin'")[0]
    org = rows(db, "SELECT path, kind FROM org WHERE id = ?", [user["org_id"]])[0]
    return Caller(user["id"], user["role"], user["org_id"], org["path"], org["kind"])


def test_last_months_scores_have_spread_and_a_zero_is_not_ranked(tmp_path):
    db = _seed(tmp_path / "scores.db")
    try:
        month = "2026-11"  # the last full month before NOW
        for role in ("account_manager", "technician"):
            ranked = cards.ranking(db, _admin(db), month, role)
            scores = [c["score"] for c in ranked]
            assert len(ranked) >= 5 and all(s is not None for s in scores)
            assert len(set(scores)) >= 3, scores  # real spread, not one value for all
            assert [c["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
        # A card scored 0 (nothing applicable met) is listed last, without a rank.
        last = cards.ranking(db, _admin(db), month, "technician")[-1]
        db.execute("UPDATE scorecard SET score = 0 WHERE id = ?", [last["id"]])
        ranked = cards.ranking(db, _admin(db), month, "technician")
        assert ranked[-1]["id"] == last["id"] and ranked[-1]["rank"] is None
        assert [c["rank"] for c in ranked[:-1]] == list(range(1, len(ranked)))
    finally:
        db.conn.close()


@pytest.mark.browser
def test_retention_tile_counts_what_the_list_shows(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    try:
        # A manager with open tasks and one closed in September (server/seed/retention.py).
        manager = rows(
            db,
            "SELECT u.username, t.id AS closed_id, t.reasons FROM retention_task t"
            " JOIN app_user u ON u.id = t.assignee_id WHERE t.status = 'closed'"
            " ORDER BY u.username LIMIT 1",
        )[0]
        open_tasks = rows(
            db,
            "SELECT t.id FROM retention_task t JOIN app_user u ON u.id = t.assignee_id"
            " WHERE u.username = ? AND t.status = 'open'",
            [manager["username"]],
        )
    finally:
        db.conn.close()
    assert open_tasks
    server = LiveServer(app).start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        sign_in(page, server, manager["username"])
        tile = page.locator("[data-testid=retention-tile] b")
        tile.wait_for()
        counted = int(tile.inner_text())
        page.goto(server.url + "/m/retention")
        page.wait_for_selector("[data-testid=retention-list]")
        listed = page.locator("[data-testid=retention-list] [data-retention-task]")
        assert counted == listed.count() == len(open_tasks)
        # The closed task's contract ended: its reason says when, as of the rules' run.
        page.goto(server.url + f"/m/retention/{manager['closed_id']}")
        reason = page.locator("[data-testid=retention-reasons] [data-rule=contract_end]")
        reason.wait_for()
        fired = json.loads(manager["reasons"])["fired"][0]
        assert fired["as_of"] in reason.inner_text()
        assert fired["contract_end"] in reason.inner_text()
    finally:
        context.close()
        server.stop()

"""Demo data: deterministic, shaped like the trade (classes, grades, places), fast, idempotent."""

import json
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from server.auth.model import authenticate, caller
from server.billing import importer
from server.db import connect, rows
from server.imports import engine
from server.imports.specs import SPECS
from server.migrations import upgrade
from server.seed.demo import DEMO_PASSWORD, seed_demo
from server.seed.names import DISTRICTS

TABLES = ("org", "app_user", "customer", "site", "contact", "work_order", "public_holiday")
CHECKLIST_TABLES = (
    "checklist_template",
    "checklist_item",
    "inspection_plan",
    "inspection_answer",
    "review",
)
VOLATILE = {"created_at", "updated_at", "password_hash"}  # write time, salted hash
HANGZHOU = (30.15, 30.35, 120.05, 120.30)
# Rows the billing import and the churn rules write: their ids come from those code paths
# (uuid7 of the clock), so they are compared without ids, write times and versions.
RETENTION_TABLES = (
    "billing_month",
    "points_entry",
    "churn_warning",
    "churn_standing",
    "retention_task",
)
RETENTION_VOLATILE = VOLATILE | {
    "id",
    "import_id",
    "warning_id",
    "retention_task_id",
    "computed_at",
    "outcome_at",
    "version",
    "field_clock",
}
TODAY = date(2026, 11, 22)  # the demo birthdays are placed in the week from the seeding day


def _fresh(path, seed, today=TODAY):
    db = connect(str(path))
    upgrade(db)
    seed_demo(db, seed, today=today)
    return db


def _dump(db, tables=TABLES, volatile=VOLATILE) -> dict[str, list[tuple]]:
    dump = {}
    for table in tables:
        found = rows(db, f"SELECT * FROM {table}")
        dump[table] = sorted(
            (tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in found),
            key=repr,  # work orders have empty (None) times beside filled ones
        )
    return dump


@pytest.fixture
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return db


def test_same_seed_same_rows_ids_included(tmp_path):
    first, second = _fresh(tmp_path / "a.db", 7), _fresh(tmp_path / "b.db", 7)
    other = _fresh(tmp_path / "c.db", 8)
    assert _dump(first) == _dump(second)
    assert _dump(first)["customer"] != _dump(other)["customer"]
    ids = [r["id"] for r in rows(first, "SELECT id FROM customer")]
    assert ids == [r["id"] for r in rows(second, "SELECT id FROM customer")]
    assert all(i[14] == "7" for i in ids)  # UUIDv7-shaped


def test_seeding_is_fast(tmp_path):
    started = time.monotonic()
    _fresh(tmp_path / "fast.db", 1)
    assert time.monotonic() - started < 10


def test_org_tree_and_staff(seeded):
    kinds = Counter(r["kind"] for r in rows(seeded, "SELECT kind FROM org"))
    assert kinds == {"province": 1, "city": 1, "district": 3, "team": 6, "contractor": 2}
    names = {r["name"] for r in rows(seeded, "SELECT name FROM org WHERE kind = 'district'")}
    assert names == {"西湖区", "拱墅区", "滨江区"}
    roles = Counter(r["role"] for r in rows(seeded, "SELECT role FROM app_user"))
    assert roles == {"admin": 1, "supervisor": 6, "account_manager": 8, "technician": 9}
    contractor_techs = rows(
        seeded,
        "SELECT u.id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' AND o.kind = 'contractor'",
    )
    assert len(contractor_techs) == 5
    assert all(
        r["username"].isascii() and len(r["username"]) <= 16
        for r in rows(seeded, "SELECT username FROM app_user")
    )


def test_class_shares_and_grades(seeded):
    customers = rows(seeded, "SELECT * FROM customer")
    assert len(customers) == 300
    share = {
        k: n / len(customers) for k, n in Counter(c["customer_class"] for c in customers).items()
    }
    assert 0.03 <= share["A"] <= 0.08
    assert 0.20 <= share["B"] <= 0.30
    assert 0.62 <= share["C"] <= 0.77
    assert all(c["class_override"] is None for c in customers)  # the rule made the class
    assert {c["sla_grade"] for c in customers} == {
        "diamond",
        "gold",
        "silver",
        "bronze",
        "standard",
    }
    diamond = Counter(c["customer_class"] for c in customers if c["sla_grade"] == "diamond")
    assert diamond["A"] > diamond["C"]


def test_coordinates_inside_hangzhou_and_district(seeded):
    boxes = {d["name"]: d["box"] for d in DISTRICTS}
    for table in ("customer", "site"):
        placed = rows(
            seeded,
            f"SELECT t.lat, t.lon, d.name AS district FROM {table} t"
            " JOIN org team ON team.id = t.org_id JOIN org d ON d.id = team.parent_id",
        )
        assert len(placed) >= 200
        for row in placed:
            for lat_min, lat_max, lon_min, lon_max in (HANGZHOU, boxes[row["district"]]):
                assert lat_min <= row["lat"] <= lat_max and lon_min <= row["lon"] <= lon_max


def test_every_customer_has_an_account_manager_in_its_subtree(seeded):
    found = rows(
        seeded,
        "SELECT u.role, uo.path AS am_path, co.path AS customer_path, c.address, co.kind"
        " FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
        " JOIN org uo ON uo.id = u.org_id JOIN org co ON co.id = c.org_id",
    )
    assert len(found) == 300
    for row in found:
        assert row["role"] == "account_manager"
        assert row["am_path"].startswith(row["customer_path"])
        assert row["address"].startswith("浙江省杭州市")


def test_contacts_have_birthdays_and_key_dates(seeded):
    per_customer = rows(
        seeded, "SELECT customer_id, COUNT(*) AS n FROM contact GROUP BY customer_id"
    )
    assert len(per_customer) == 300
    assert {r["n"] for r in per_customer} <= {1, 2, 3}
    assert not rows(seeded, "SELECT id FROM contact WHERE birthday IS NULL")
    assert len(rows(seeded, "SELECT id FROM contact WHERE key_dates != '[]'")) >= 300


def test_sites(seeded):
    sites = rows(seeded, "SELECT * FROM site")
    assert len(sites) == 200
    kinds = Counter(s["site_type"] for s in sites)
    assert kinds["base_station"] > kinds["customer_premises"] > kinds["line_endpoint"] > 0
    assert all(s["contractor_id"] for s in sites)
    assert {s["inspection_cycle_days"] for s in sites} == {30, 90, 180}
    linked = [s for s in sites if s["site_type"] != "base_station"]
    assert all(s["customer_id"] for s in linked)
    assert len({s["code"] for s in sites}) == 200


def test_writes_leave_audit_and_change_log(seeded):
    audited = seeded.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    changes = seeded.execute("SELECT COUNT(*) FROM change_log").fetchone()[0]
    synced = (*TABLES, "retention_task", "task", "appointment", *CHECKLIST_TABLES)
    total = sum(seeded.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in synced)
    # Every row's creation is one write; a work order's steps past dispatch are one more, so
    # are a retention task's outcome and a demo birthday moved into the coming week.
    orders = seeded.execute(
        "SELECT COUNT(*) FROM work_order WHERE status != 'dispatched'"
    ).fetchone()[0]
    closed = seeded.execute(
        "SELECT COUNT(*) FROM retention_task WHERE status = 'closed'"
    ).fetchone()[0]
    birthdays = seeded.execute(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'contact' AND action = 'seed'"
    ).fetchone()[0]
    assert 0 < birthdays <= 8
    # A contractor supervisor's pre-check is one more write on its order.
    prechecked = seeded.execute(
        "SELECT COUNT(*) FROM work_order WHERE prechecked_at IS NOT NULL"
    ).fetchone()[0]
    # Visits and follow-ups (server/seed/visits.py; their review steps are counted above) and
    # complaints with their steps (server/seed/desk.py): every write to them (create, check-in,
    # check-out, approve, a complaint's step …) is one audit entry and one change; people's
    # scorecards are changes of their own, audited once per computed month.
    entities = "('visit', 'follow_up', 'complaint', 'complaint_step')"
    worked = seeded.execute(f"SELECT COUNT(*) FROM audit_log WHERE entity IN {entities}")
    worked = worked.fetchone()[0]
    logged = seeded.execute(f"SELECT COUNT(*) FROM change_log WHERE entity IN {entities}")
    assert worked == logged.fetchone()[0]
    cards = seeded.execute("SELECT COUNT(*) FROM change_log WHERE entity = 'scorecard'").fetchone()
    computed = seeded.execute(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'scorecard'"
    ).fetchone()
    assert cards[0] > 0 and computed[0] == 1
    assert changes == total + orders + closed + birthdays + prechecked + worked + cards[0]
    # Each billing import is audited once as a whole (its rows are not synced records).
    imports = seeded.execute("SELECT COUNT(*) FROM billing_import").fetchone()[0]
    assert imports == 4
    assert audited == changes + imports - cards[0] + computed[0]
    assert not rows(seeded, "SELECT id FROM customer WHERE version = 0")


def test_if_empty_seeds_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0 and "seeded demo data" in first.output
    before = db.execute("SELECT COUNT(*) FROM change_log").fetchone()[0]
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0 and "skipped" in second.output
    assert db.execute("SELECT COUNT(*) FROM change_log").fetchone()[0] == before
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "already has users" in again.output


def test_demo_logins_print_a_password_that_works(app, seeded):
    result = app.test_cli_runner().invoke(args=["demo-logins"])
    assert result.exit_code == 0
    assert DEMO_PASSWORD in result.output and "DEMO DATA ONLY" in result.output
    for user in rows(seeded, "SELECT username FROM app_user"):
        assert user["username"] in result.output
    assert "admin (admin)" in result.output and "sup.city (supervisor)" in result.output
    for role in ("admin", "supervisor", "account_manager", "technician"):
        user = rows(seeded, "SELECT username FROM app_user WHERE role = ? LIMIT 1", [role])[0]
        assert authenticate(seeded, user["username"], DEMO_PASSWORD)
    assert authenticate(seeded, "sup.city", "wrong password") is None


def test_demo_logins_on_an_empty_database(app, db):
    result = app.test_cli_runner().invoke(args=["demo-logins"])
    assert result.exit_code == 0 and "seed-demo" in result.output
    assert DEMO_PASSWORD not in result.output


def test_work_orders(seeded):
    from server.ids import now_utc
    from server.work_orders.sla import state

    anchor = now_utc()  # the CLI seeds around the current moment

    orders = rows(seeded, "SELECT * FROM work_order")
    assert len(orders) == 150
    assert {o["wo_type"] for o in orders} >= {"fault_repair", "on_demand", "inspection"}
    statuses = Counter(o["status"] for o in orders)
    assert statuses["closed"] > statuses["dispatched"] > 0 and statuses["cancelled"] > 0
    assert all(o["assignee_id"] and o["assigned_org_id"] and o["site_id"] for o in orders)
    assert all(o["dispatched_at"] < anchor for o in orders)
    clocks = [state(o, anchor) for o in orders]
    breached = [c for c in clocks if any(v["state"] == "breached" for v in c.values())]
    met = [c for c in clocks if c["restore_due_at"]["state"] == "met"]
    assert 0 < len(breached) < len(orders) and met
    returned = [o for o in orders if o["status"] == "returned"]
    assert all(o["return_reason"] for o in returned)


def test_every_demo_inspection_has_its_checklist_and_plans_exist(seeded):
    from server.work_orders.checklist_gate import refusal

    plans = rows(seeded, "SELECT site_type, active FROM inspection_plan")
    assert sorted(p["site_type"] for p in plans) == [
        "base_station",
        "customer_premises",
        "line_endpoint",
    ]
    inspections = rows(
        seeded,
        "SELECT w.*, s.site_type, t.site_type AS template_type FROM work_order w"
        " JOIN site s ON s.id = w.site_id"
        " LEFT JOIN checklist_template t ON t.id = w.checklist_template_id"
        " WHERE w.wo_type = 'inspection'",
    )
    assert inspections
    assert all(i["template_type"] == i["site_type"] for i in inspections)
    past = [
        i for i in inspections if i["status"] in ("resolved", "submitted", "approved", "closed")
    ]
    assert past and all(refusal(seeded, i) is None for i in past)
    waiting = [i for i in inspections if i["status"] in ("dispatched", "accepted")]
    assert all(refusal(seeded, i)[0] == "checklist_incomplete" for i in waiting)


def test_contractor_supervisors_pre_check_and_the_operator_decides(seeded):
    checked = rows(
        seeded,
        "SELECT w.status, o.kind, u.role FROM work_order w JOIN app_user u"
        " ON u.id = w.prechecked_by JOIN org o ON o.id = u.org_id",
    )
    assert checked and all(
        (c["status"], c["kind"], c["role"]) == ("submitted", "contractor", "supervisor")
        for c in checked
    )
    steps = rows(seeded, "SELECT action FROM review WHERE action = 'precheck'")
    assert len(steps) == len(checked)


def test_retention_demo_same_seed_same_figures_warnings_and_tasks(tmp_path):
    first, second = _fresh(tmp_path / "a.db", 7), _fresh(tmp_path / "b.db", 7)
    other = _fresh(tmp_path / "c.db", 8)
    dump = _dump(first, RETENTION_TABLES, RETENTION_VOLATILE)
    assert dump == _dump(second, RETENTION_TABLES, RETENTION_VOLATILE)
    assert (
        dump["billing_month"]
        != _dump(other, RETENTION_TABLES, RETENTION_VOLATILE)["billing_month"]
    )
    assert all(dump[table] for table in RETENTION_TABLES)
    for db in (first, second, other):
        db.conn.close()


def test_billing_months_imported_with_points_earned(seeded):
    from server.points.ledger import summary

    imports = rows(seeded, "SELECT * FROM billing_import ORDER BY month")
    assert [(i["month"], i["rows"], i["added"]) for i in imports] == [
        (month, 300, 300) for month in ("2026-07", "2026-08", "2026-09", "2026-10")
    ]
    assert all(i["filename"] == f"demo-billing-{i['month']}.csv" for i in imports)
    # The figures keep the customers' handset counts: no class changed by the import.
    assert all(i["class_changes"] == 0 for i in imports)
    assert not rows(
        seeded,
        "SELECT b.customer_id FROM billing_month b JOIN customer c ON c.id = b.customer_id"
        " WHERE b.handsets != c.handsets",
    )
    # Every month earned every customer's points: floor(ARPU) at 1 point per yuan.
    earned = rows(
        seeded,
        "SELECT b.month, b.arpu, p.points FROM billing_month b JOIN points_entry p"
        " ON p.customer_id = b.customer_id AND p.month = b.month AND p.kind = 'earn'",
    )
    assert len(earned) == 1200
    assert all(r["points"] == int(r["arpu"]) > 0 for r in earned)
    bundlings = Counter(
        "single" if len(json.loads(r["products"])) == 1 else "bundled"
        for r in rows(seeded, "SELECT products FROM billing_month WHERE month = '2026-10'")
    )
    assert bundlings["single"] >= 30 and bundlings["bundled"] >= 30
    customers = rows(seeded, "SELECT id, customer_class FROM customer")
    levels = Counter(summary(seeded, c["id"])["level"]["name"] for c in customers)
    assert len(levels) >= 3  # the demo shows several points levels
    assert all(summary(seeded, c["id"])["balance"] > 0 for c in customers)


def test_every_account_manager_has_open_retention_tasks(seeded):
    from server.seed.retention import RULES_AS_OF

    managers = rows(seeded, "SELECT id, username FROM app_user WHERE role = 'account_manager'")
    tasks = rows(seeded, "SELECT * FROM retention_task")
    for manager in managers:
        mine = [t for t in tasks if t["assignee_id"] == manager["id"] and t["status"] == "open"]
        assert len(mine) >= 2, manager["username"]
        assert {t["bundling"] for t in mine} == {"single", "bundled"}
    october = [t for t in tasks if t["month"] == "2026-10"]
    assert all(t["status"] == "open" for t in october)
    assert {t["due_date"] for t in october} == {
        (RULES_AS_OF["2026-10"] + timedelta(days=14)).isoformat()
    }
    fired = Counter(f["rule"] for t in october for f in json.loads(t["reasons"])["fired"])
    assert set(fired) == {"arpu_drop", "usage_drop", "contract_end"}
    assert {t["tendency"] for t in october} == {"high", "medium"}
    for task in october:  # the reasons hold the figures: a real drop of 30 % or more
        for f in json.loads(task["reasons"])["fired"]:
            if f["rule"] == "contract_end":
                assert 0 <= f["days_left"] <= 60
            else:
                assert f["drop_pct"] >= 30
    # Each customer's customer-side standing says the same as its warning.
    standings = {
        r["customer_id"]: r["tendency"] for r in rows(seeded, "SELECT * FROM churn_standing")
    }
    assert len(standings) == 300
    assert Counter(standings.values())["low"] == 300 - len(october)
    assert all(standings[t["customer_id"]] == t["tendency"] for t in october)


def test_retention_outcomes_from_the_september_run(seeded):
    closed = rows(
        seeded,
        "SELECT t.*, u.role FROM retention_task t JOIN app_user u ON u.id = t.outcome_by"
        " WHERE t.status = 'closed' ORDER BY t.outcome",
    )
    assert [t["outcome"] for t in closed] == ["downgraded", "lost", "retained"]
    assert all(t["month"] == "2026-09" and t["outcome_reason"] for t in closed)
    assert all(
        t["role"] == "account_manager" and t["outcome_by"] == t["assignee_id"] for t in closed
    )
    for task in closed:  # warned for a contract end; October no longer is at risk
        assert [f["rule"] for f in json.loads(task["reasons"])["fired"]] == ["contract_end"]
        standing = rows(
            seeded,
            "SELECT tendency FROM churn_standing WHERE customer_id = ?",
            [task["customer_id"]],
        )
        assert standing[0]["tendency"] == "low"


def test_demo_birthdays_fall_in_the_week_from_the_seeding_day(tmp_path):
    from server.care.calendar import week_ahead

    for today in (TODAY, date(2028, 2, 25)):  # the second week holds 29 February
        db = _fresh(tmp_path / f"{today}.db", 3, today=today)
        managers = rows(db, "SELECT id FROM app_user WHERE role = 'account_manager'")
        for manager in managers:
            items = week_ahead(db, manager["id"], today)
            assert any(item["kind"] == "birthday" for item in items)
        db.conn.close()


def test_the_desk_has_tasks_appointments_and_pending_uploads(seeded):
    """Every account manager has this month's task and an open appointment; the city
    supervisor and the admin each have a customer file and a billing file that check clean
    and wait to be applied (server/seed/desk.py)."""
    managers = {
        r["id"] for r in rows(seeded, "SELECT id FROM app_user WHERE role = 'account_manager'")
    }
    tasks = rows(seeded, "SELECT assignee_id, status, target_customer_ids FROM task")
    assert {t["assignee_id"] for t in tasks} == managers
    assert all(t["status"] == "open" and t["target_customer_ids"] != "[]" for t in tasks)
    booked = rows(seeded, "SELECT account_manager_id FROM appointment WHERE status = 'open'")
    assert {a["account_manager_id"] for a in booked} == managers
    uploads = rows(
        seeded,
        "SELECT u.username, b.kind, b.content FROM import_batch b JOIN app_user u"
        " ON u.id = b.user_id WHERE b.applied_at IS NULL ORDER BY u.username, b.kind",
    )
    assert [(u["username"], u["kind"]) for u in uploads] == [
        ("admin", "billing:2026-11"),
        ("admin", "customer"),
        ("sup.city", "billing:2026-11"),
        ("sup.city", "customer"),
    ]
    admin = caller(
        seeded, rows(seeded, "SELECT id FROM app_user WHERE username = 'admin'")[0]["id"]
    )
    billing = importer.import_month(seeded, admin, "2026-11", uploads[0]["content"], dry_run=True)
    assert billing.report.ok and len(billing.report.rows) == 5
    customers = engine.check(seeded, admin, SPECS["customer"], uploads[1]["content"])
    assert customers.ok and customers.count("update") == 3

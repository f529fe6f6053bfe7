"""The class rule as the documents state it, under a versioned class policy: hand-computed
boundaries of handsets and spend, overrides, versions, recomputation on import and on a
policy change, the shares report and the migration that added 'unclassified'."""

import json
import sqlite3

import pytest

from server import records
from server.auth.model import caller as caller_of
from server.billing import importer
from server.customers import class_policy
from server.customers.class_views import shares
from server.customers.model import compute_class, reclassify
from server.db import connect
from server.migrations import migrations, upgrade
from tests import factories as f

R = class_policy.DEFAULTS  # A 500 / B 100 / C 11 handsets; spend 1,000,000 / 300,000 / 30,000


@pytest.mark.parametrize(
    ("handsets", "expected"),
    [
        (0, "unclassified"),
        (10, "unclassified"),
        (11, "C"),
        (99, "C"),
        (100, "B"),
        (499, "B"),
        (500, "A"),
    ],
)
def test_handset_boundaries(handsets, expected):
    assert compute_class(handsets, "manufacturing", rules=R) == expected


@pytest.mark.parametrize(
    ("spend", "expected"),
    [
        (None, "unclassified"),
        (29_999.99, "unclassified"),
        (30_000, "C"),
        (299_999, "C"),
        (300_000, "B"),
        (999_999, "B"),
        (1_000_000, "A"),
    ],
)
def test_spend_boundaries_for_a_small_customer(spend, expected):
    # 5 handsets: only the spend can give a class.
    assert compute_class(5, "manufacturing", spend=spend, rules=R) == expected


def test_other_criteria_whatever_the_size():
    assert compute_class(3, "manufacturing", top500=True, rules=R) == "A"
    assert compute_class(3, "government", rules=R) == "A"
    assert compute_class(3, "bank", rules=R) == "A"
    assert compute_class(3, "securities", rules=R) == "B"
    assert compute_class(3, "insurance", rules=R) == "B"
    # The highest criterion wins: 50 handsets (C) with the highest spend is A.
    assert compute_class(50, "manufacturing", spend=1_000_000, rules=R) == "A"
    assert compute_class(600, "insurance", rules=R) == "A"


def test_thresholds_come_from_the_rules():
    rules = {**R, "c_handsets": 21, "b_spend": 200_000}
    assert compute_class(20, "other", rules=rules) == "unclassified"
    assert compute_class(21, "other", rules=rules) == "C"
    assert compute_class(20, "other", spend=200_000, rules=rules) == "B"
    assert compute_class(20, "other", spend=199_999, rules=rules) == "C"


HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"


def _csv(*lines) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def test_spend_is_the_average_arpu_of_the_window_times_twelve(db, tree):
    c = f.make_customer(db, tree["T1"], tree["am1"], handsets=5)
    assert c["customer_class"] == "unclassified"
    # 2,000 a month: 24,000 a year, below C's 30,000.
    importer.import_month(db, None, "2026-01", _csv(f"{c['code']},2000,1,1,5,,VOICE"))
    assert class_policy.spends(db)[c["id"]] == 24_000
    assert records.get(db, "customer", c["id"])["customer_class"] == "unclassified"
    # + 3,000 in February: average 2,500 → 30,000 a year: class C.
    outcome = importer.import_month(db, None, "2026-02", _csv(f"{c['code']},3000,1,1,5,,VOICE"))
    assert class_policy.spends(db)[c["id"]] == 30_000
    assert outcome.class_changes == 1
    row = records.get(db, "customer", c["id"])
    assert (row["computed_class"], row["customer_class"]) == ("C", "C")
    # A one-month window sees only February: 36,000.
    assert class_policy.spends(db, months=1)[c["id"]] == 36_000


def test_months_outside_the_window_do_not_count(db, tree):
    c = f.make_customer(db, tree["T1"], tree["am1"], handsets=5)
    importer.import_month(db, None, "2025-01", _csv(f"{c['code']},100000,1,1,5,,VOICE"))
    importer.import_month(db, None, "2026-01", _csv(f"{c['code']},1000,1,1,5,,VOICE"))
    # 2025-01 is 13 months before 2026-01: outside the 12-month window.
    assert class_policy.spends(db)[c["id"]] == 12_000
    assert records.get(db, "customer", c["id"])["customer_class"] == "unclassified"


def test_an_override_with_a_reason_still_wins(db, tree):
    c = f.make_customer(
        db,
        tree["T1"],
        tree["am1"],
        handsets=5,
        class_override="B",
        class_override_reason="战略客户",
    )
    assert (c["computed_class"], c["customer_class"]) == ("unclassified", "B")
    importer.import_month(db, None, "2026-01", _csv(f"{c['code']},100000,1,1,5,,VOICE"))
    row = records.get(db, "customer", c["id"])
    assert (row["computed_class"], row["customer_class"]) == ("A", "B")
    assert row["class_override_reason"] == "战略客户"


def test_policy_versions_in_force_by_day(db, tree):
    assert class_policy.in_force(db, "2099-05-01")["version"] == 1
    later = {**R, "c_handsets": 21}
    assert class_policy.save(db, tree["admin"]["id"], later, "2099-06-01", "C from 21") == 2
    assert class_policy.in_force(db, "2099-05-31")["version"] == 1
    assert class_policy.in_force(db, "2099-06-01")["version"] == 2
    assert class_policy.in_force(db, "2099-06-01")["rules"]["c_handsets"] == 21
    assert [v["version"] for v in class_policy.history(db)] == [2, 1]
    audit = db.execute(
        "SELECT after FROM audit_log WHERE entity = 'class_policy' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert json.loads(audit[0])["version"] == 2
    # Reclassifying under the day's policy: 15 handsets is C under v1, unclassified under v2.
    c = f.make_customer(db, tree["T1"], tree["am1"], handsets=15)
    assert c["customer_class"] == "C"
    assert reclassify(db, None, day="2099-05-31") == 0
    assert reclassify(db, None, day="2099-06-01") == 1
    assert records.get(db, "customer", c["id"])["customer_class"] == "unclassified"


def test_validation():
    now = "2026-05-10T02:00:00.000Z"
    form = {k: str(v) for k, v in R.items()} | {"effective_from": "2026-05-10"}
    clean, errors = class_policy.validate(form, now)
    assert errors == {} and clean["rules"] == R
    _, errors = class_policy.validate({**form, "effective_from": "2026-05-09"}, now)
    assert errors == {"effective_from": "class_policy_in_past"}
    _, errors = class_policy.validate({**form, "b_handsets": "500"}, now)
    assert errors == {"a_handsets": "thresholds_order"}
    _, errors = class_policy.validate({**form, "c_spend": "300000"}, now)
    assert errors == {"b_spend": "thresholds_order"}
    _, errors = class_policy.validate({**form, "a_spend": "x", "spend_months": "0"}, now)
    assert errors == {"a_spend": "invalid_number", "spend_months": "out_of_range"}
    _, errors = class_policy.validate({**form, "effective_from": "soon"}, now)
    assert errors == {"effective_from": "invalid_date"}


def test_policy_page_saves_and_reclassifies(db, tree, auth):
    small = f.make_customer(db, tree["T1"], tree["am1"], handsets=15)
    auth.login("sup_city")
    assert auth.client.get("/classes/policy").status_code == 200
    form = {k: str(v) for k, v in R.items()} | {"c_handsets": "16", "note": "x"}
    form["effective_from"] = "2000-01-01"
    assert auth.post("/classes/policy", data=form).status_code == 403  # admins only
    auth.logout()
    auth.login("admin")
    resp = auth.post("/classes/policy", data=form)
    assert resp.status_code == 422
    assert b'data-error="effective_from"' in resp.data
    from server.ids import now_utc

    form["effective_from"] = now_utc()[:10]
    resp = auth.post("/classes/policy", data=form)
    assert resp.status_code == 303
    assert class_policy.in_force(db)["version"] == 2
    assert records.get(db, "customer", small["id"])["customer_class"] == "unclassified"
    page = auth.client.get("/classes/policy").data.decode()
    assert 'data-version="2"' in page
    resp = auth.client.post("/classes/policy", data=form)  # no CSRF token
    assert resp.status_code in (400, 403)


def test_report_shares_in_the_callers_subtree(db, tree, auth):
    t1, t2 = tree["T1"], tree["T2"]
    f.make_customer(db, t1, tree["am1"], handsets=600)  # A
    for _ in range(3):
        f.make_customer(db, t1, tree["am1"], handsets=150)  # B
    for _ in range(16):
        f.make_customer(db, t1, tree["am1"], handsets=50)  # C
    f.make_customer(db, t1, tree["am1"], handsets=4)  # unclassified
    f.make_customer(db, t2, tree["am2"], handsets=600)  # A, outside D1
    report = shares(db, caller_of(db, tree["sup_d1"]["id"]))
    by = {r["class"]: r for r in report["rows"]}
    assert (report["total"], report["key_accounts"]) == (21, 20)
    assert [by[c]["count"] for c in ("A", "B", "C", "unclassified")] == [1, 3, 16, 1]
    # Among the 20 key accounts: 1/20 = 5 %, 3/20 = 15 %, 16/20 = 80 %.
    assert [by[c]["key_share"] for c in ("A", "B", "C")] == [5.0, 15.0, 80.0]
    assert [by[c]["gap"] for c in ("A", "B", "C")] == [0.0, -10.0, 10.0]
    assert by["unclassified"]["share"] == round(100 / 21, 1)
    assert by["unclassified"]["thumb"] is None
    auth.login("sup_d1")
    page = auth.client.get("/classes/").data.decode()
    assert 'data-class="C" data-count="16" data-share="80.0"' in page
    auth.logout()
    auth.login("am1")
    assert auth.client.get("/classes/").status_code == 403


def test_an_empty_report_does_not_divide_by_zero(db, tree):
    report = shares(db, caller_of(db, tree["sup_k"]["id"]))
    assert report["total"] == 0
    assert all(r["share"] is None for r in report["rows"])


def test_reclassify_command(app, db, tree):
    c = f.make_customer(db, tree["T1"], tree["am1"], handsets=15)
    class_policy.save(db, None, {**R, "c_handsets": 16}, "2099-06-01")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["customers", "reclassify", "--day", "2099-06-01"])
    assert result.exit_code == 0, result.output
    assert "1 customers changed class" in result.output
    assert records.get(db, "customer", c["id"])["customer_class"] == "unclassified"
    bad = runner.invoke(args=["customers", "reclassify", "--day", "June"])
    assert bad.exit_code != 0


def test_migration_keeps_every_customer_and_column(tmp_path):
    db = connect(str(tmp_path / "old.db"))
    migrations.apply(db, stop_before="m023_class_policy")
    tree = f.make_org_tree(db)
    am = f.make_user(db, tree["T1"], "account_manager", username="am_old")
    columns_before = [r[1] for r in db.execute("PRAGMA table_info(customer)")]
    indexes_before = sorted(
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customer'"
        )
    )
    now = "2026-01-01T00:00:00.000Z"
    for n, cls in enumerate(("A", "B", "C")):
        db.execute(
            "INSERT INTO customer (id, code, name, handsets, computed_class, class_override,"
            " class_override_reason, customer_class, sla_grade, account_manager_id, org_id,"
            " address, lat, lon, created_at, updated_at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'gold', ?, ?, '地址', 30.1, 120.2, ?, ?, 7)",
            [
                f"cu{n}",
                f"OLD{n}",
                f"老客户{n}",
                [600, 150, 5][n],
                cls,
                "B" if cls == "C" else None,
                "原因" if cls == "C" else None,
                "B" if cls == "C" else cls,
                am["id"],
                tree["T1"]["id"],
                now,
                now,
            ],
        )
    db.execute(
        "INSERT INTO contact (id, customer_id, name, created_at, updated_at) VALUES"
        " ('k1', 'cu2', '张三', ?, ?)",
        [now, now],
    )
    before = [tuple(r) for r in db.execute("SELECT * FROM customer ORDER BY id")]

    assert "m023_class_policy" in upgrade(db)

    assert [r[1] for r in db.execute("PRAGMA table_info(customer)")] == columns_before
    assert [tuple(r) for r in db.execute("SELECT * FROM customer ORDER BY id")] == before
    indexes_after = sorted(
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customer'"
        )
    )
    assert indexes_after == indexes_before
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT customer_id FROM contact").fetchone()[0] == "cu2"
    # The contact still points at customer: deleting its customer is refused.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM customer WHERE id = 'cu2'")
    # 'unclassified' is now allowed, anything else still refused; overrides stay A/B/C.
    db.execute("UPDATE customer SET computed_class = 'unclassified' WHERE id = 'cu2'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE customer SET customer_class = 'D' WHERE id = 'cu2'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE customer SET class_override = 'unclassified' WHERE id = 'cu2'")
    assert class_policy.in_force(db)["rules"] == R
    db.conn.close()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/work-orders/sla-policy", "every limit here is our default"),
        ("/retention/policy", "are our defaults"),
        ("/points/policy", "are our defaults"),
        ("/scores/policy", "the weights are our defaults"),
        ("/classes/policy", "The spend thresholds and the billing window are our defaults"),
    ],
)
def test_policy_pages_say_which_numbers_are_ours(tree, auth, path, words):
    auth.login("admin")
    page = auth.client.get(path)
    assert page.status_code == 200
    text = page.data.decode().replace("&#39;", "'")
    assert words in text or "我们的默认值" in text

"""Customer points: earn from billing_month at the policy's rate (idempotent, corrections
appended), adjust and redeem with reasons (never overdrawn), append-only ledger, levels,
the policy page, the customer page section and its scope and CSRF."""

import re
import sqlite3

import pytest

from server.ids import now_utc
from server.points import ledger, policy
from tests import factories
from tests import factories as f

THIS_MONTH = now_utc()[:7]


def _bill(db, customer, month, arpu, handsets=10):
    db.execute(
        "INSERT OR REPLACE INTO billing_month (customer_id, month, arpu, usage_minutes, data_mb,"
        " handsets, contract_end, products) VALUES (?, ?, ?, 100, 10.0, ?, NULL, '[\"VOICE\"]')",
        [customer["id"], month, arpu, handsets],
    )


def _earned(db, customer, month):
    return db.execute(
        "SELECT coalesce(sum(points), 0), count(*) FROM points_entry"
        " WHERE customer_id = ? AND month = ? AND kind = 'earn'",
        [customer["id"], month],
    ).fetchone()


@pytest.fixture
def field(db, tree):
    c1 = factories.make_customer(db, tree["T1"], tree["am1"], name="甲公司")
    c2 = factories.make_customer(db, tree["T2"], tree["am2"], name="乙公司")
    return {**tree, "c1": c1, "c2": c2}


def test_earn_month_is_idempotent_and_appends_corrections(db, field):
    c1, c2 = field["c1"], field["c2"]
    _bill(db, c1, "2026-03", 1234.56)
    _bill(db, c2, "2026-03", 0.29 * 100)  # 28.999999… in floating point: 29 points
    first = ledger.earn_month(db, "2026-03")
    assert first["entries"] == 2 and first["corrected"] == 0 and first["policy_version"] == 1
    assert tuple(_earned(db, c1, "2026-03")) == (1234, 1)
    assert tuple(_earned(db, c2, "2026-03")) == (29, 1)
    # the same figures again: nothing appended
    again = ledger.earn_month(db, "2026-03")
    assert again["entries"] == 0
    assert tuple(_earned(db, c1, "2026-03")) == (1234, 1)
    # a re-import lowers c1's spend and drops c2 from the month: corrections, no duplicates
    _bill(db, c1, "2026-03", 1000.0)
    db.execute("DELETE FROM billing_month WHERE customer_id = ?", [c2["id"]])
    third = ledger.earn_month(db, "2026-03")
    assert third["entries"] == 2 and third["corrected"] == 2
    assert tuple(_earned(db, c1, "2026-03")) == (1000, 2)
    assert tuple(_earned(db, c2, "2026-03")) == (0, 2)
    assert ledger.balance(db, c1["id"]) == 1000
    newest = ledger.history(db, c1["id"])[0]
    assert newest["points"] == -234 and newest["reason"] == "recomputed"
    assert newest["basis"]["arpu"] == 1000.0 and newest["basis"]["before"] == 1234
    # other months are untouched
    assert ledger.earn_month(db, "2026-04")["entries"] == 0


def test_month_earns_with_the_policy_in_force(db, field, tree):
    c1 = field["c1"]
    version = policy.save(
        db,
        tree["admin"]["id"],
        {
            "points_per_yuan": 2.5,
            "levels": [{"name": "L0", "min_points": 0}, {"name": "L1", "min_points": 100}],
            "effective_from": "2026-05",
            "note": "",
        },
    )
    assert version == 2
    _bill(db, c1, "2026-04", 100.0)
    _bill(db, c1, "2026-05", 100.0)
    ledger.earn_month(db, "2026-04")
    ledger.earn_month(db, "2026-05")
    assert _earned(db, c1, "2026-04")[0] == 100
    assert _earned(db, c1, "2026-05")[0] == 250


def test_ledger_is_append_only(db, field):
    _bill(db, field["c1"], "2026-03", 10.0)
    ledger.earn_month(db, "2026-03")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE points_entry SET points = 99")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM points_entry")


def test_redeem_cannot_overdraw_and_levels_follow_qualifying_points(db, field, tree):
    c1 = field["c1"]
    _bill(db, c1, "2026-03", 6000.0)
    ledger.earn_month(db, "2026-03")
    ledger.add(db, tree["sup_d1"]["id"], c1["id"], "redeem", 1000, "礼品")
    with pytest.raises(ledger.Overdraw):
        ledger.add(db, tree["sup_d1"]["id"], c1["id"], "redeem", 5001, "太多")
    assert ledger.balance(db, c1["id"]) == 5000
    summary = ledger.summary(db, c1["id"])
    # 6000 earned: silver (5000) reached; redeeming does not lower the level
    assert summary["qualifying"] == 6000 and summary["level"]["name"] == "银卡"
    assert summary["next_level"]["name"] == "金卡"
    ledger.add(db, tree["sup_d1"]["id"], c1["id"], "adjust", -1001, "更正")
    assert ledger.summary(db, c1["id"])["level"]["name"] == "普通"
    kinds = [r["kind"] for r in ledger.history(db, c1["id"])]
    assert kinds == ["adjust", "redeem", "earn"]
    assert [r["balance_after"] for r in ledger.history(db, c1["id"])] == [3999, 5000, 6000]


def test_level_boundaries():
    levels = policy.DEFAULTS["levels"]
    assert policy.level_of(levels, 4999)[0]["name"] == "普通"
    assert policy.level_of(levels, 5000)[0]["name"] == "银卡"
    assert policy.level_of(levels, 100000) == (levels[3], None)


def test_customer_page_shows_points_and_forms(db, auth, field):
    c1 = field["c1"]
    _bill(db, c1, "2026-03", 777.0)
    ledger.earn_month(db, "2026-03")
    auth.login("am1")
    html = auth.client.get(f"/customers/{c1['id']}").get_data(as_text=True)
    assert 'data-points-balance="777"' in html
    assert 'data-points-level="普通"' in html
    assert 'data-points-entry="earn"' in html
    assert f'action="/points/customers/{c1["id"]}/redeem"' in html
    # an account manager may redeem but not adjust
    assert f'action="/points/customers/{c1["id"]}/adjust"' not in html


def test_redeem_and_adjust_forms(db, auth, field):
    c1 = field["c1"]
    _bill(db, c1, "2026-03", 500.0)
    ledger.earn_month(db, "2026-03")
    auth.login("am1")
    url = f"/points/customers/{c1['id']}"
    over = auth.post(f"{url}/redeem", data={"points": "501", "reason": "礼品"})
    assert over.status_code == 422
    assert 'data-error="points"' in over.get_data(as_text=True)
    no_reason = auth.post(f"{url}/redeem", data={"points": "10", "reason": ""})
    assert no_reason.status_code == 422 and 'data-error="reason"' in no_reason.get_data(True)
    ok = auth.post(f"{url}/redeem", data={"points": "200", "reason": "礼品"})
    assert ok.status_code == 303
    assert ledger.balance(db, c1["id"]) == 300
    assert auth.post(f"{url}/adjust", data={"points": "5", "reason": "x"}).status_code == 403
    # without the CSRF token nothing is written
    bare = auth.client.post(f"{url}/redeem", data={"points": "1", "reason": "x"})
    assert bare.status_code == 400
    assert ledger.balance(db, c1["id"]) == 300
    auth.logout()
    auth.login("sup_d1")
    assert auth.post(f"{url}/adjust", data={"points": "0", "reason": "x"}).status_code == 422
    ok = auth.post(f"{url}/adjust", data={"points": "-50", "reason": "更正"})
    assert ok.status_code == 303
    assert ledger.balance(db, c1["id"]) == 250
    audit = db.execute(
        "SELECT count(*) FROM audit_log WHERE entity = 'points_entry' AND action = 'adjust'"
    ).fetchone()[0]
    assert audit == 1


def test_points_pages_are_scoped(db, auth, field):
    c2 = field["c2"]  # am2's customer, in D2
    for user in ("am1", "sup_d1"):
        auth.login(user)
        assert auth.client.get(f"/points/customers/{c2['id']}").status_code == 404
        r = auth.post(f"/points/customers/{c2['id']}/redeem", data={"points": "1", "reason": "x"})
        assert r.status_code == 404
        auth.logout()
    auth.login("tech1")
    assert auth.client.get(f"/points/customers/{c2['id']}").status_code == 403


def test_policy_page_saves_a_new_version(db, auth, field):
    auth.login("sup_d1")
    assert auth.client.get("/points/policy").status_code == 403
    auth.logout()
    auth.login("admin")
    page = auth.client.get("/points/policy").get_data(as_text=True)
    assert 'name="points_per_yuan"' in page and "银卡, 5000" in page
    bad = auth.post(
        "/points/policy",
        data={"points_per_yuan": "2", "levels": "A, 100\nB, 50", "effective_from": THIS_MONTH},
    )
    assert bad.status_code == 422 and 'data-error="levels"' in bad.get_data(as_text=True)
    past = auth.post(
        "/points/policy",
        data={"points_per_yuan": "2", "levels": "A, 0", "effective_from": "2000-01"},
    )
    assert past.status_code == 422 and 'data-error="effective_from"' in past.get_data(True)
    ok = auth.post(
        "/points/policy",
        data={"points_per_yuan": "2", "levels": "普通, 0\n金, 300", "effective_from": THIS_MONTH},
    )
    assert ok.status_code == 303
    now = policy.in_force(db, THIS_MONTH)
    assert now["version"] == 2 and now["rules"]["points_per_yuan"] == 2.0
    assert now["rules"]["levels"][1] == {"name": "金", "min_points": 300}


def test_billing_import_earns_points_and_a_reimport_corrects_them(db, field):
    """The contract with the billing import: each applied import earns the month's points;
    re-importing the month with another spend appends one correction, never a duplicate;
    a dry run earns nothing."""
    from server.billing import importer

    c1 = field["c1"]
    header = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"
    line = c1["code"] + ",{arpu},1000,10,20,,VOICE\n"
    dry = importer.import_month(db, None, "2026-05", header + line.format(arpu=88), dry_run=True)
    assert dry.report.ok and ledger.balance(db, c1["id"]) == 0
    assert importer.import_month(db, None, "2026-05", header + line.format(arpu=88.8)).applied
    assert tuple(_earned(db, c1, "2026-05")) == (88, 1)
    assert importer.import_month(db, None, "2026-05", header + line.format(arpu=88.8)).applied
    assert tuple(_earned(db, c1, "2026-05")) == (88, 1)
    assert importer.import_month(db, None, "2026-05", header + line.format(arpu=120)).applied
    assert tuple(_earned(db, c1, "2026-05")) == (120, 2)
    assert ledger.balance(db, c1["id"]) == 120


def test_redeem_and_adjust_double_submit_write_once(db, auth, tree):
    """Fixed: a double click on Redeem spent the points twice (no form id)."""
    customer = f.make_customer(db, tree["T1"], tree["am1"])
    ledger.add(db, tree["admin"]["id"], customer["id"], "adjust", 1000, "opening")
    auth.login("sup_d1")
    page = auth.client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    ids = dict(ENTRY.findall(page))
    assert set(ids) == {"redeem", "adjust"} and ids["redeem"] != ids["adjust"]
    for kind, points in (("redeem", "300"), ("adjust", "-50")):
        form = {"points": points, "reason": "礼品", "entry_id": ids[kind]}
        first = auth.post(f"/points/customers/{customer['id']}/{kind}", data=form)
        second = auth.post(f"/points/customers/{customer['id']}/{kind}", data=form)
        assert first.status_code in (204, 303) and second.status_code in (204, 303)
    assert ledger.balance(db, customer["id"]) == 650
    assert db.execute("SELECT count(*) FROM points_entry").fetchone()[0] == 3
    # the same id with other figures (a forged or reused form) is refused, nothing written
    form = {"points": "10", "reason": "x", "entry_id": ids["redeem"]}
    assert auth.post(f"/points/customers/{customer['id']}/redeem", data=form).status_code == 409
    assert ledger.balance(db, customer["id"]) == 650
    # a fresh page brings fresh ids
    again = dict(
        ENTRY.findall(
            auth.client.get(f"/points/customers/{customer['id']}").get_data(as_text=True)
        )
    )
    assert again["redeem"] != ids["redeem"]


def test_points_and_care_forms_are_scoped(db, auth, tree):
    mine = f.make_customer(db, tree["T1"], tree["am1"])
    contact = f.make_contact(db, mine, name="王总", birthday="1975-11-28")
    form = {"points": "1", "reason": "x"}
    for user, path, status in (
        ("am2", f"/points/customers/{mine['id']}/redeem", 404),
        ("sup_k", f"/points/customers/{mine['id']}/adjust", 404),
        ("am1", f"/points/customers/{mine['id']}/adjust", 403),
        ("tech1", f"/points/customers/{mine['id']}/redeem", 403),
        ("am1", "/points/policy", 403),
        ("sup_d1", "/care/holidays", 403),
        ("sup_d1", "/retention/run", 403),
    ):
        auth.login(user)
        assert auth.post(path, data=form).status_code == status, (user, path)
        auth.logout()
    auth.login("am2")
    key = f"birthday:{contact['id']}:2026-11-28"
    assert auth.post("/care/done", data={"key": key, "how": "call"}).status_code == 404
    assert auth.client.get(f"/care/?user={tree['am1']['id']}").status_code < 500
    auth.logout()
    auth.login("sup_k")
    assert auth.client.get(f"/care/?user={tree['am1']['id']}").status_code == 404
    assert db.execute("SELECT count(*) FROM points_entry").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM care_done").fetchone()[0] == 0


ENTRY = re.compile(r'id="points-(redeem|adjust)".*?name="entry_id" value="([^"]+)"', re.S)

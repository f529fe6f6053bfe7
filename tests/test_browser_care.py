"""Issue 8's "done when" in real Chromium: an account manager syncs, goes offline (server
stopped), sees a retention task with its reason and a care-calendar item, completes both
offline (they survive a reload while offline), reconnects; each syncs once and the
supervisor's pages show the outcome and how the care item was done. Also: the device's port
of the care-calendar rule (pwa/care.js) agrees with the server's on hand-computed cases."""

import json
from datetime import date, timedelta

import pytest

from server import records
from server.billing import importer
from server.care import calendar
from server.db import connect
from server.ids import now_utc
from server.retention import run
from server.times import local_day as iso_day_beijing
from tests.browser import DEMO_PASSWORD, compile_catalogues, demo_app, sign_in, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser
HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"

# Hand-computed: the week of 2026-11-22 (to 11-28) and of 2027-02-25 (leap-day birthday).
CASES = {
    "week": {
        "today": "2026-11-22",
        "customers": [
            {"id": "c1", "name": "甲", "account_manager_id": "me", "founded_on": "2016-11-27"},
            {"id": "c2", "name": "乙", "account_manager_id": "me", "founded_on": "2026-11-24"},
            {"id": "c3", "name": "丙", "account_manager_id": "other", "founded_on": None},
        ],
        "contacts": [
            {
                "id": "k1",
                "customer_id": "c1",
                "name": "王总",
                "birthday": "1975-11-28",
                "key_dates": json.dumps(
                    [
                        {"label": "入职", "date": "2019-11-23"},
                        {"label": "签约", "date": "2020-11-29"},
                        {"label": "未来", "date": "2027-11-25"},
                    ],
                    ensure_ascii=False,
                ),
            },
            {"id": "k2", "customer_id": "c1", "name": "李工", "birthday": "1990-11-21"},
            {"id": "k3", "customer_id": "c3", "name": "别人", "birthday": "1980-11-23"},
        ],
        "holidays": [
            {"id": "h1", "name": "测试节", "starts_on": "2026-11-28", "ends_on": "2026-11-30"},
            {"id": "h2", "name": "下周节", "starts_on": "2026-11-29", "ends_on": "2026-11-29"},
        ],
        "done": [
            {"id": "d1", "user_id": "me", "item_key": "birthday:k1:2026-11-28", "how": "gift"}
        ],
        "expected": [
            ("key_date:k1:2026-11-23:入职", None),
            ("anniversary:c1:2026-11-27", None),
            ("birthday:k1:2026-11-28", "gift"),
            ("holiday:h1:2026-11-28", None),
        ],
    },
    "leap": {
        "today": "2027-02-25",
        "customers": [{"id": "c1", "name": "甲", "account_manager_id": "me", "founded_on": None}],
        "contacts": [{"id": "k1", "customer_id": "c1", "name": "闰", "birthday": "1988-02-29"}],
        "holidays": [],
        "done": [],
        "expected": [("birthday:k1:2027-02-28", None)],
    },
}

RUN_CASES = """async (cases) => {
  const { weekAhead } = await import('/m/assets/care.js');
  const out = {};
  for (const [name, c] of Object.entries(cases)) {
    const map = (rows) => new Map(rows.map((r) => [r.id, r]));
    const done = c.done.map((d) => ({ ...d, occurs_on: d.item_key.split(':')[2] }));
    const data = { customer: map(c.customers), contact: map(c.contacts),
                   public_holiday: map(c.holidays), care_done: map(done) };
    out[name] = weekAhead(data, 'me', c.today).map((i) => [i.key, i.done ? i.done.how : null]);
  }
  return out;
}"""


def _server_side(db, case) -> list:
    """The same case through server/care/calendar.py on a real database."""
    org = db.execute("SELECT id FROM org LIMIT 1").fetchone()[0]
    users = {}
    for key in ("me", "other"):
        users[key] = db.execute(
            "SELECT id FROM app_user WHERE role = 'account_manager' ORDER BY username"
            " LIMIT 1 OFFSET ?",
            [len(users)],
        ).fetchone()[0]
    ids = {}
    for c in case["customers"]:
        row = records.insert(
            db,
            "customer",
            {
                "code": f"CASE-{c['id']}-{case['today']}",
                "name": c["name"],
                "computed_class": "C",
                "customer_class": "C",
                "sla_grade": "standard",
                "org_id": org,
                "account_manager_id": users[c["account_manager_id"]],
                "founded_on": c["founded_on"],
            },
            None,
        )
        ids[c["id"]] = row["id"]
    for k in case["contacts"]:
        row = records.insert(
            db,
            "contact",
            {
                "customer_id": ids[k["customer_id"]],
                "name": k["name"],
                "birthday": k["birthday"],
                "key_dates": k.get("key_dates", "[]"),
            },
            None,
        )
        ids[k["id"]] = row["id"]
    for h in case["holidays"]:
        values = {k: v for k, v in h.items() if k != "id"}
        ids[h["id"]] = records.insert(db, "public_holiday", values, None)["id"]
    back = {v: k for k, v in ids.items()}
    today = date.fromisoformat(case["today"])
    # only this case's rows: the demo data's own items are filtered out by the ids
    found = []
    for item in calendar.week_ahead(db, users["me"], today):
        kind, ref, rest = item["key"].split(":", 2)
        if ref in back:
            found.append(f"{kind}:{back[ref]}:{rest}")
    return found


def test_device_rule_matches_server_rule(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    try:
        for name, case in CASES.items():
            keys = _server_side(db, case)
            assert keys == [k for k, _how in case["expected"]], name
    finally:
        db.conn.close()
    with_server = LiveServer(app).start()
    try:
        context = chromium.new_context()
        page = context.new_page()
        page.goto(with_server.url + "/m/login")
        page.wait_for_selector("[data-form=login]")
        device = page.evaluate(RUN_CASES, CASES)
        context.close()
    finally:
        with_server.stop()
    for name, case in CASES.items():
        assert [tuple(x) for x in device[name]] == case["expected"], name


@pytest.fixture
def scenario(tmp_path):
    """Demo data; a churn warning for an account manager's customer (billing imported, rules
    run) and a contact of that customer whose birthday is in two days."""
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    customer = db.execute(
        "SELECT c.*, u.username FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE u.role = 'account_manager' ORDER BY u.username, c.code LIMIT 1"
    ).fetchone()
    line = customer["code"] + ",{arpu},1000,10," + str(customer["handsets"]) + ",,VOICE\n"
    for month, arpu in (("2026-01", 100), ("2026-02", 100), ("2026-03", 100), ("2026-04", 60)):
        assert importer.import_month(db, None, month, HEADER + line.format(arpu=arpu)).applied
    run.run_rules(db, "2026-04")
    task = db.execute(  # the open one: the demo may have closed an earlier task of this customer
        "SELECT * FROM retention_task WHERE customer_id = ? AND status = 'open'"
        " AND deleted_at IS NULL",
        [customer["id"]],
    ).fetchone()
    assert task is not None
    in_two_days = date.fromisoformat(iso_day_beijing(now_utc())) + timedelta(days=2)
    birthday = in_two_days.replace(year=1980)  # a leap year: 29 February works too
    contact = records.insert(
        db,
        "contact",
        {"customer_id": customer["id"], "name": "关怀测试人", "birthday": birthday.isoformat()},
        None,
    )
    key = calendar.item_key("birthday", contact["id"], in_two_days.isoformat())
    supervisor = db.execute(
        "SELECT u.username FROM app_user u JOIN org o ON o.id = u.org_id"
        " JOIN org t ON t.id = ? WHERE u.role = 'supervisor'"
        " AND t.path >= o.path AND t.path < o.path || '\uffff' ORDER BY length(o.path) DESC"
        " LIMIT 1",
        [task["org_id"]],
    ).fetchone()[0]
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, dict(customer), dict(task), key, supervisor
    server.stop()


def _wait_synced(page):
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )


def test_offline_retention_outcome_and_care_item_reach_the_supervisor(chromium, scenario):
    app, server, customer, task, key, supervisor = scenario
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, customer["username"])
    page.wait_for_selector("[data-testid=care-tile]")
    server.stop()  # offline from here

    # The care item, on the week-ahead list (served by the service worker from the replica).
    page.goto(server.url + "/m/care")
    item = page.locator(f"[data-care-item='{key}']")
    item.wait_for()
    assert (
        item.get_attribute("data-done") == "no" and item.get_attribute("data-kind") == "birthday"
    )
    assert "关怀测试人" in item.inner_text()
    item.locator("select[name=how]").select_option("gift")
    item.locator("input[name=note]").fill("送生日蛋糕")
    item.locator("button[type=submit]").click()
    page.wait_for_selector(f"[data-care-item='{key}'][data-done=yes] [data-how=gift]")

    # The retention task with its reason, and its outcome, offline.
    page.goto(server.url + "/m/retention")
    page.locator(f"[data-retention-task='{task['id']}']").wait_for()
    page.click(f"[data-retention-task='{task['id']}'] a")
    reason = page.locator("[data-testid=retention-reasons] [data-rule=arpu_drop]")
    reason.wait_for()
    assert "60" in reason.inner_text() and "40" in reason.inner_text()  # 60 vs 100: -40 %
    page.check("[data-form=retention-outcome] input[name=outcome][value=retained]")
    page.fill("[data-form=retention-outcome] textarea[name=reason]", "续签两年")
    page.click("[data-form=retention-outcome] button[type=submit]")
    page.wait_for_selector("[data-outcome-shown=retained]")

    # Both survive a reload while offline, both still waiting to be sent.
    page.reload()
    page.wait_for_selector("[data-outcome-shown=retained]")
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{key}'][data-done=yes] [data-how=gift]")
    assert page.get_attribute("#sync-status", "data-unsynced") == "2"

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_synced(page)
    db = connect(app.config["DATABASE"])
    try:
        done = [dict(r) for r in db.execute("SELECT * FROM care_done").fetchall()]
        stored = records.get(db, "retention_task", task["id"])
        pushed = db.execute(
            "SELECT count(*) FROM change_log WHERE entity = 'care_done'"
        ).fetchone()[0]
    finally:
        db.conn.close()
    assert [(d["item_key"], d["how"], d["note"]) for d in done] == [(key, "gift", "送生日蛋糕")]
    assert pushed == 1  # written once
    assert (stored["outcome"], stored["outcome_reason"]) == ("retained", "续签两年")
    # After the sync the device shows the server's rows the same way.
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{key}'][data-done=yes] [data-how=gift]")

    boss = chromium.new_context()
    web = boss.new_page()
    web.goto(server.url + "/login")
    web.fill("input[name=username]", supervisor)
    web.fill("input[name=password]", DEMO_PASSWORD)
    web.click("main form button[type=submit]")
    web.wait_for_selector("header.top nav")
    web.goto(server.url + "/retention/?status=closed")
    shown = web.locator(f"[data-retention-task='{task['id']}']")
    assert shown.get_attribute("data-outcome") == "retained"
    web.goto(server.url + f"/care/?user={done[0]['user_id']}")
    row = web.locator(f"#care-items [data-care-item='{key}']")
    assert row.get_attribute("data-done") == "yes"
    assert web.locator(f"#care-done [data-care-done='{key}']").get_attribute("data-how") == "gift"
    boss.close()
    context.close()

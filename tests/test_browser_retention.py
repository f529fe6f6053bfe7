"""A retention task in real Chromium: billing imported, the churn rules open a task for the
account manager, who syncs, goes offline (server stopped), reloads, reads why (the rule and
its figures), records the outcome offline, reconnects; the supervisor's page shows it."""

import pytest

from server import records
from server.billing import importer
from server.db import connect
from server.retention import run
from tests.browser import DEMO_PASSWORD, compile_catalogues, demo_app, sign_in, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser
HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"


@pytest.fixture
def warned(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    customer = db.execute(
        "SELECT c.*, u.username FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE u.role = 'account_manager' ORDER BY u.username, c.code LIMIT 1"
    ).fetchone()
    line = customer["code"] + ",{arpu},1000,10," + str(customer["handsets"]) + ",,VOICE;DATA\n"
    for month, arpu in (("2026-01", 100), ("2026-02", 100), ("2026-03", 100), ("2026-04", 60)):
        assert importer.import_month(db, None, month, HEADER + line.format(arpu=arpu)).applied
    run.run_rules(db, "2026-04")
    # The demo has retention tasks of its own (server/seed/retention.py): this customer's.
    task = db.execute(
        "SELECT * FROM retention_task WHERE customer_id = ? AND month = '2026-04'",
        [customer["id"]],
    ).fetchone()
    assert task is not None
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, dict(customer), dict(task)
    server.stop()


def test_retention_task_offline_outcome_reaches_supervisor(chromium, warned):
    app, server, customer, task = warned
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, customer["username"])
    page.wait_for_selector("[data-testid=retention-tile]")
    server.stop()  # offline from here
    page.goto(server.url + "/m/retention")  # served by the service worker
    row = page.locator(f"[data-retention-task='{task['id']}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "open"
    page.click(f"[data-retention-task='{task['id']}'] a")
    reasons = page.locator("[data-testid=retention-reasons] [data-rule=arpu_drop]")
    reasons.wait_for()
    assert "60" in reasons.inner_text() and "40" in reasons.inner_text()  # 60 vs 100: down 40 %
    page.check("[data-form=retention-outcome] input[name=outcome][value=retained]")
    page.fill("[data-form=retention-outcome] textarea[name=reason]", "续签两年，赠送流量包")
    page.click("[data-form=retention-outcome] button[type=submit]")
    page.wait_for_selector("[data-outcome-shown=retained]")
    page.reload()
    page.wait_for_selector("[data-outcome-shown=retained]")
    assert page.get_attribute("#sync-status", "data-unsynced") == "1"

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    db = connect(app.config["DATABASE"])
    try:
        stored = records.get(db, "retention_task", task["id"])
        supervisor = db.execute(
            "SELECT u.username FROM app_user u JOIN org o ON o.id = u.org_id"
            " JOIN org t ON t.id = ? WHERE u.role = 'supervisor'"
            " AND t.path >= o.path AND t.path < o.path || '\uffff' ORDER BY length(o.path) DESC"
            " LIMIT 1",
            [task["org_id"]],
        ).fetchone()[0]
    finally:
        db.conn.close()
    assert (stored["outcome"], stored["outcome_reason"]) == ("retained", "续签两年，赠送流量包")
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
    boss.close()
    context.close()

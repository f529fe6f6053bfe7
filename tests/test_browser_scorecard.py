"""A technician's own scorecard on the device, in real Chromium, with the server gone."""

import pytest

from server.db import connect
from server.scores import compute, months
from server.seed.demo import DEMO_PASSWORD
from tests.browser import compile_catalogues, demo_app, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_my_scorecard_offline(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    tech = db.execute(
        "SELECT assignee_id, max(resolved_at) AS at FROM work_order"
        " WHERE resolved_at IS NOT NULL AND assignee_id IS NOT NULL"
        " GROUP BY assignee_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    month = months.current(tech["at"])
    compute.compute_month(db, month)
    card = db.execute(
        "SELECT score FROM scorecard WHERE user_id = ? AND month = ?", [tech["assignee_id"], month]
    ).fetchone()
    username = db.execute(
        "SELECT username FROM app_user WHERE id = ?", [tech["assignee_id"]]
    ).fetchone()[0]
    db.conn.close()
    server = LiveServer(app).start()
    try:
        page = chromium.new_context().new_page()
        page.goto(server.url + "/m/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("[data-form=login] button[type=submit]")
        wait_for(page, "navigator.serviceWorker.controller !== null", timeout=20000)
        wait_for(page, "window.fieldbook.lastSync !== null")
    finally:
        server.stop()  # offline from here
    page.click("[data-testid=scorecard-link]")
    page.wait_for_selector("[data-testid=indicators]")
    # a technician's seven indicators (order_on_time since SLA clocks by work type)
    assert page.locator("[data-testid=indicators] tr[data-indicator]").count() == 7
    assert card["score"] is not None  # the demo technician has resolved orders this month
    assert page.locator("[data-testid=score] b").inner_text() == f"{card['score']:.1f}"
    assert month in page.locator("h1").inner_text()

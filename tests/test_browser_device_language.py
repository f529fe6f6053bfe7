"""The language switched on the device, offline, reaches the server with the next sync."""

import pytest

from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from tests.browser import compile_catalogues, demo_app, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_language_switched_offline_is_stored_on_the_server(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    user = db.execute(
        "SELECT id, username, locale FROM app_user WHERE role = 'account_manager'"
        " AND active = 1 ORDER BY username LIMIT 1"
    ).fetchone()
    db.conn.close()
    assert user["locale"] != "en"
    server = LiveServer(app).start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/m/")
        page.fill("input[name=username]", user["username"])
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("[data-form=login] button[type=submit]")
        wait_for(page, "navigator.serviceWorker.controller !== null", timeout=20000)
        wait_for(page, "window.fieldbook.lastSync !== null")
        assert page.get_attribute("html", "lang") == "zh-CN"
        server.stop()  # offline from here

        page.goto(server.url + "/m/sync")
        page.click("[data-action=language]")
        wait_for(page, "document.documentElement.lang === 'en'")
        wait_for(page, "document.querySelector('#sync-status').dataset.unsynced === '1'")
        page.reload()  # the choice and the queued write survive a reload offline
        wait_for(page, "document.documentElement.lang === 'en'")
        wait_for(page, "document.querySelector('#sync-status').dataset.unsynced === '1'")

        server.start()
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_for(
            page, "document.querySelector('#sync-status').dataset.unsynced === '0'", timeout=30000
        )
    finally:
        context.close()
        server.stop()
    db = connect(app.config["DATABASE"])
    try:
        stored = db.execute("SELECT locale FROM app_user WHERE id = ?", [user["id"]]).fetchone()
    finally:
        db.conn.close()
    assert stored[0] == "en"

"""The field app backs off from a busy server and sends the same batch again (Chromium)."""

import json

import pytest

from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from tests.browser import an_account_manager, compile_catalogues, demo_app, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser

BUSY = {
    "last_mutation_id": 0,
    "results": [],
    "stopped": {"id": 1, "code": "database_busy", "retry_after": 1},
    "server_time": "2026-11-22T02:30:30.842Z",
}


@pytest.fixture
def field_app(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    server = LiveServer(app).start()
    yield app, server
    server.stop()


def test_stopped_and_503_are_waited_out_and_the_same_batch_applies_once(chromium, field_app):
    app, server = field_app
    who = an_account_manager(app)
    db = connect(app.config["DATABASE"])
    visits_before = db.execute(
        "SELECT count(*) FROM visit WHERE customer_id = ?", [who["id"]]
    ).fetchone()[0]
    context = chromium.new_context(
        geolocation={"latitude": who["lat"], "longitude": who["lon"], "accuracy": 12},
        permissions=["geolocation"],
        service_workers="block",  # so that the page's own fetches meet the route below
    )
    sent, states = [], []

    def busy_twice(route):
        sent.append(json.loads(route.request.post_data))
        if len(sent) == 1:  # the documented busy answer
            route.fulfill(status=200, content_type="application/json", body=json.dumps(BUSY))
        elif len(sent) == 2:  # an HTML 503 from a proxy in front of the server
            route.fulfill(status=503, headers={"Retry-After": "1"}, body="<h1>busy</h1>")
        else:
            route.continue_()

    page = context.new_page()
    page.route("**/api/sync/push", busy_twice)
    page.goto(server.url + "/m/")
    page.wait_for_selector("[data-form=login]")
    page.fill("input[name=username]", who["username"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("[data-form=login] button[type=submit]")
    wait_for(
        page,
        "window.fieldbook.lastSync && document.querySelector('#sync-status').dataset.state"
        " === 'idle'",
        timeout=20000,
    )
    page.goto(f"{server.url}/m/customers/{who['id']}")
    page.click("[data-action=start-visit]")
    wait_for(
        page, "document.querySelector('#sync-status').dataset.state === 'waiting'", timeout=20000
    )
    states.append(page.get_attribute("#sync-status", "data-unsynced"))
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    context.close()
    assert states == ["1"]  # while waiting, the change stays on the device, not failed
    assert len(sent) == 3
    assert sent[0]["mutations"] == sent[1]["mutations"] == sent[2]["mutations"]
    visits = db.execute("SELECT count(*) FROM visit WHERE customer_id = ?", [who["id"]])
    assert visits.fetchone()[0] == visits_before + 1
    logged = db.execute("SELECT count(*) FROM mutation_log WHERE name = 'visit.check_in'")
    assert logged.fetchone()[0] == 1
    db.conn.close()

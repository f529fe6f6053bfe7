"""Issue 14 item 3 in real Chromium: with the server stopped, an account manager logs a phone
call to an overdue C customer from the customer screen (and another after tapping the
contact's tel: link), reloads offline, reconnects; the server holds each call once, without
GPS evidence, and the customer is no longer overdue on the device.

The C customer was visited on site 60 days ago (within the 90 of our defaults) and has had no
call for longer than 30: overdue only for the call."""

from datetime import UTC, datetime, timedelta

import pytest

from server import records
from server.db import connect
from tests.browser import compile_catalogues, demo_app, sign_in, unsynced, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def scene(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    am = db.execute(
        "SELECT id, username, org_id FROM app_user WHERE role = 'account_manager'"
        " ORDER BY username LIMIT 1"
    ).fetchone()
    customer = records.insert(
        db,
        "customer",
        {
            "code": "CALL-C-1",
            "name": "电话客户",
            "computed_class": "C",
            "customer_class": "C",
            "sla_grade": "standard",
            "org_id": am["org_id"],
            "account_manager_id": am["id"],
            "lat": 30.27,
            "lon": 120.15,
        },
        None,
    )
    values = {"customer_id": customer["id"], "name": "赵总", "phone": "13900000000"}
    contact = records.insert(db, "contact", values, None)
    sixty_days_ago = _iso(datetime.now(UTC) - timedelta(days=60))
    records.insert(
        db,
        "visit",
        {
            "customer_id": customer["id"],
            "account_manager_id": am["id"],
            "org_id": am["org_id"],
            "status": "approved",
            "channel": "on_site",
            "check_in_at": sixty_days_ago,
            "check_in_device_at": sixty_days_ago,
            "check_in_flag": "ok",
        },
        None,
    )
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, dict(am), customer, contact
    server.stop()


def test_offline_call_to_a_c_customer_syncs_once_and_clears_overdue(chromium, scene):
    app, server, am, customer, contact = scene
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, am["username"])
    page.goto(server.url + f"/m/customers/{customer['id']}")
    page.wait_for_selector("[data-testid=log-contact]")
    assert page.locator("[data-testid=customer-overdue]").count() == 1
    server.stop()  # offline from here

    page.fill("[data-form=log-contact] input[name=notes]", "月度电话回访")
    page.click("[data-action=log-call]")
    page.wait_for_selector("[data-channel=phone]")
    assert page.locator("[data-testid=customer-overdue]").count() == 0

    # A tap on the contact's number (the dialler itself is not opened in the test) offers to
    # log that call too.
    page.evaluate(
        "document.querySelector('a[data-action=tel]')"
        ".addEventListener('click', (e) => e.preventDefault())"
    )
    page.click("a[data-action=tel]")
    page.click("[data-testid=tel-prompt] [data-action=log-call-after-tel]")
    wait_for(page, "document.querySelectorAll('[data-channel=phone]').length === 2")

    page.reload()  # offline: served by the service worker from the replica and outbox
    page.wait_for_selector("[data-testid=log-contact]")
    assert page.locator("[data-channel=phone]").count() == 2
    assert page.locator("[data-testid=customer-overdue]").count() == 0
    assert unsynced(page) == 2

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    page.reload()
    page.wait_for_selector("[data-testid=log-contact]")
    assert page.locator("[data-channel=phone]").count() == 2
    assert page.locator("[data-testid=customer-overdue]").count() == 0
    context.close()

    db = connect(app.config["DATABASE"])
    try:
        calls = db.execute(
            "SELECT channel, status, notes, contact_id, check_in_flag, check_in_lat FROM visit"
            " WHERE customer_id = ? AND channel != 'on_site' ORDER BY notes",
            [customer["id"]],
        ).fetchall()
    finally:
        db.conn.close()
    assert [tuple(c) for c in calls] == [
        ("phone", "completed", "", contact["id"], None, None),
        ("phone", "completed", "月度电话回访", None, None, None),
    ]

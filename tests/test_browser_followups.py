"""Follow-ups due on the device's home, in real Chromium: closed with the server stopped,
still closed after an offline reload, synced once on reconnecting (server/visits/followups.py,
pwa/followups.js)."""

from datetime import UTC, datetime, timedelta

import pytest

from server import records
from server.db import connect
from tests.browser import compile_catalogues, demo_app, sign_in, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser
ROWS = "[data-testid=follow-ups-due] [data-follow-up]"


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=8, days=days)).date().isoformat()


@pytest.fixture
def due(tmp_path):
    """An account manager of the demo data with a completed visit and two open follow-ups:
    one overdue (due yesterday), one due next week."""
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    customer = db.execute(
        "SELECT c.*, u.username FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE u.role = 'account_manager' ORDER BY u.username, c.code LIMIT 1"
    ).fetchone()
    am = customer["account_manager_id"]
    visit = records.insert(
        db,
        "visit",
        dict(
            customer_id=customer["id"],
            account_manager_id=am,
            org_id=customer["org_id"],
            status="completed",
            check_in_at="2026-03-01T02:00:00.000Z",
        ),
        None,
    )
    made = {}
    for key, days, action in (("later", 7, "下周回访"), ("overdue", -1, "补发报价单")):
        made[key] = records.insert(
            db,
            "follow_up",
            dict(
                visit_id=visit["id"],
                customer_id=customer["id"],
                account_manager_id=am,
                action=action,
                due_date=_day(days),
            ),
            None,
        )["id"]
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, customer["username"], made
    server.stop()


def shown(page) -> list[tuple[str, str]]:
    return [
        (el.get_attribute("data-follow-up"), el.get_attribute("data-overdue"))
        for el in page.query_selector_all(ROWS)
    ]


def test_a_follow_up_closed_offline_stays_closed_and_syncs_once(chromium, due):
    app, server, username, made = due
    page = chromium.new_context().new_page()
    sign_in(page, server, username)
    page.wait_for_selector(f"[data-follow-up='{made['overdue']}']")
    rows = shown(page)
    ids = [r[0] for r in rows]
    assert ids.index(made["overdue"]) < ids.index(made["later"])
    flags = [r[1] for r in rows]
    assert flags == sorted(flags, key=lambda f: f != "true")  # overdue ones first

    server.stop()  # offline from here
    page.click(f"[data-action=follow-up-done][data-id='{made['overdue']}']")
    page.wait_for_selector(f"[data-follow-up='{made['overdue']}']", state="detached")
    assert made["later"] in [r[0] for r in shown(page)]
    assert page.get_attribute("#sync-status", "data-unsynced") == "1"

    page.reload()  # offline reload: the shell from the service worker, the close from the outbox
    page.wait_for_selector(f"[data-follow-up='{made['later']}']")
    assert made["overdue"] not in [r[0] for r in shown(page)]

    server.start()  # back on the same port
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    db = connect(app.config["DATABASE"])
    try:
        row = records.get(db, "follow_up", made["overdue"])
        assert row["done_at"] and row["done_device_at"]
        closes = db.execute(
            "SELECT count(*) FROM audit_log WHERE entity = 'follow_up' AND entity_id = ?"
            " AND action = 'done'",
            [made["overdue"]],
        ).fetchone()[0]
        assert closes == 1
        assert records.get(db, "follow_up", made["later"])["done_at"] is None
    finally:
        db.conn.close()
    page.reload()  # after the sync, from the server's rows: still closed
    page.wait_for_selector(f"[data-follow-up='{made['later']}']")
    assert made["overdue"] not in [r[0] for r in shown(page)]
    page.context.close()

"""Issue 14 item 2 in real Chromium: an account manager, with the server stopped, fixes a
contact's phone and adds a birthday, sets the customer's location here and edits its notes;
everything shows at once (the care calendar too) and survives an offline reload; on
reconnecting the server holds each edit once and the care page shows the birthday."""

from datetime import date, timedelta

import pytest

from server.db import connect
from server.ids import now_utc
from server.times import local_day as iso_day_beijing
from tests.browser import compile_catalogues, demo_app, sign_in, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _writes(db, *ids) -> dict:
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT entity, count(*) FROM change_log WHERE entity_id IN ({marks}) GROUP BY entity"
    return dict(db.execute(sql, ids).fetchall())


@pytest.fixture
def scenario(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    row = db.execute(
        "SELECT k.id AS contact_id, k.name AS contact_name, c.id AS customer_id, c.lat, c.lon,"
        " u.username FROM contact k JOIN customer c ON c.id = k.customer_id"
        " JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE u.role = 'account_manager' AND k.deleted_at IS NULL AND c.lat IS NOT NULL"
        " ORDER BY u.username, c.code, k.name LIMIT 1"
    ).fetchone()
    row = {**dict(row), "writes_before": _writes(db, row["contact_id"], row["customer_id"])}
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, row
    server.stop()


def _wait_synced(page):
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )


def test_offline_contact_fix_and_birthday_reach_the_server_once(chromium, scenario):
    app, server, row = scenario
    near = {"latitude": row["lat"] + 0.0004, "longitude": row["lon"], "accuracy": 7}  # ~45 m
    context = chromium.new_context(geolocation=near, permissions=["geolocation"])
    page = context.new_page()
    sign_in(page, server, row["username"])
    server.stop()  # offline from here

    in_two_days = date.fromisoformat(iso_day_beijing(now_utc())) + timedelta(days=2)
    birthday = in_two_days.replace(year=1980).isoformat()  # 1980 is a leap year
    key = f"birthday:{row['contact_id']}:{in_two_days.isoformat()}"

    page.goto(server.url + f"/m/customers/{row['customer_id']}")
    box = page.locator(f"[data-contact='{row['contact_id']}']")
    box.wait_for()
    box.locator("[data-testid=edit-contact] summary").click()
    form = box.locator(f"[data-form=contact][data-id='{row['contact_id']}']")
    form.locator("input[name=phone]").fill("0571-88886666")
    form.locator("input[name=birthday]").fill(birthday)
    form.locator("button[type=submit]").click()
    shown = f"[data-contact='{row['contact_id']}'] [data-testid=contact-phone]"
    wait_for(page, f"document.querySelector(\"{shown}\").textContent === '0571-88886666'")
    assert birthday in box.locator("[data-testid=contact-dates]").inner_text()

    # Customer details: notes, and "set location here" (the phone's GPS, ~45 m away).
    page.locator("[data-testid=edit-customer] summary").click()
    page.fill("[data-form=customer] textarea[name=notes]", "前台在二楼")
    page.click("[data-form=customer] button[type=submit]")
    page.wait_for_selector("[data-testid=customer-notes]")
    page.click("[data-action=set-location]")
    wait_for(
        page,
        "document.querySelector('[data-testid=customer-location]').textContent.includes('± 7 m')",
    )

    # The care calendar has the new birthday at once, from the overlay.
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{key}'][data-kind=birthday]")

    # All of it survives a reload while offline, still waiting to be sent.
    page.reload()
    page.wait_for_selector(f"[data-care-item='{key}']")
    page.goto(server.url + f"/m/customers/{row['customer_id']}")
    page.wait_for_selector(shown)
    assert page.locator(shown).inner_text() == "0571-88886666"
    assert "前台在二楼" in page.locator("[data-testid=customer-notes]").inner_text()
    assert page.get_attribute("#sync-status", "data-unsynced") == "3"

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_synced(page)
    db = connect(app.config["DATABASE"])
    try:
        contact = dict(
            db.execute("SELECT * FROM contact WHERE id = ?", [row["contact_id"]]).fetchone()
        )
        customer = dict(
            db.execute("SELECT * FROM customer WHERE id = ?", [row["customer_id"]]).fetchone()
        )
        writes = _writes(db, row["contact_id"], row["customer_id"])
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM mutation_log WHERE name IN ('contact.update', 'customer.update')"
                " ORDER BY mutation_id"
            ).fetchall()
        ]
    finally:
        db.conn.close()
    assert (contact["phone"], contact["birthday"]) == ("0571-88886666", birthday)
    assert customer["notes"] == "前台在二楼" and customer["location_accuracy"] == 7
    assert abs(customer["lat"] - near["latitude"]) < 1e-9
    assert names == ["contact.update", "customer.update", "customer.update"]  # each once
    before = row["writes_before"]
    assert writes == {"contact": before["contact"] + 1, "customer": before["customer"] + 2}
    # After the sync the device's care page shows the birthday from the server's rows.
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{key}'][data-done=no]")
    context.close()

"""Issue 14's account-manager day in real Chromium, with the server stopped: log a phone call
to a C customer, fix a contact's phone and add a birthday, close two follow-ups, reload
offline, reconnect. The server holds each change once, the customer is no longer overdue
(device and server), the birthday is on the care page, and the month's `follow_ups_on_time`
counts both follow-ups as met.

The C customer was visited on site 60 days ago (within the 90 of our default policy) and has
had no call for longer than 30: overdue only for the call. The follow-ups belong to a
completed (not yet approved) visit of another of the manager's customers, both due today.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from server import records
from server.db import connect
from server.ids import now_utc
from server.scores.account_managers import follow_ups_on_time
from server.times import local_day as iso_day_beijing
from server.visits import policy
from tests.browser import compile_catalogues, demo_app, sign_in, unsynced, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def day(tmp_path):
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
            "code": "DAY-C-1",
            "name": "一天客户",
            "computed_class": "C",
            "customer_class": "C",
            "handsets": 40,
            "sla_grade": "standard",
            "org_id": am["org_id"],
            "account_manager_id": am["id"],
            "lat": 30.27,
            "lon": 120.15,
        },
        None,
    )
    contact = records.insert(
        db,
        "contact",
        {"customer_id": customer["id"], "name": "钱经理", "phone": "13900001111"},
        None,
    )
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
    other = db.execute(
        "SELECT * FROM customer WHERE account_manager_id = ? AND id != ? ORDER BY code LIMIT 1",
        [am["id"], customer["id"]],
    ).fetchone()
    yesterday = _iso(datetime.now(UTC) - timedelta(days=1))
    visit = records.insert(
        db,
        "visit",
        {
            "customer_id": other["id"],
            "account_manager_id": am["id"],
            "org_id": other["org_id"],
            "status": "completed",
            "check_in_at": yesterday,
            "check_in_device_at": yesterday,
        },
        None,
    )
    today = iso_day_beijing(now_utc())
    follow_ups = [
        records.insert(
            db,
            "follow_up",
            {
                "visit_id": visit["id"],
                "customer_id": other["id"],
                "account_manager_id": am["id"],
                "action": action,
                "due_date": today,
            },
            None,
        )["id"]
        for action in ("寄送资费方案", "确认专线开通时间")
    ]
    assert policy.overdue_ids(db, [customer["id"]]) == {customer["id"]}
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, dict(am), customer, contact, follow_ups
    server.stop()


def _wait_synced(page):
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )


def test_an_account_managers_day_offline(chromium, day):
    app, server, am, customer, contact, follow_ups = day
    in_two_days = date.fromisoformat(iso_day_beijing(now_utc())) + timedelta(days=2)
    birthday = in_two_days.replace(year=1980).isoformat()  # a leap year: 29 February works
    care_key = f"birthday:{contact['id']}:{in_two_days.isoformat()}"
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, am["username"])
    for fid in follow_ups:
        page.wait_for_selector(f"[data-testid=follow-ups-due] [data-follow-up='{fid}']")
    server.stop()  # offline from here to the end of the day

    # 1. A phone call to the C customer, logged from the customer screen.
    page.goto(server.url + f"/m/customers/{customer['id']}")
    page.wait_for_selector("[data-testid=log-contact]")
    assert page.locator("[data-testid=customer-overdue]").count() == 1
    page.fill("[data-form=log-contact] input[name=notes]", "月度电话回访：续约意向")
    page.click("[data-action=log-call]")
    page.wait_for_selector("[data-channel=phone]")
    assert page.locator("[data-testid=customer-overdue]").count() == 0

    # 2. The contact's phone fixed and a birthday added.
    box = page.locator(f"[data-contact='{contact['id']}']")
    box.locator("[data-testid=edit-contact] summary").click()
    form = box.locator(f"[data-form=contact][data-id='{contact['id']}']")
    form.locator("input[name=phone]").fill("0571-87654321")
    form.locator("input[name=birthday]").fill(birthday)
    form.locator("button[type=submit]").click()
    shown = f"[data-contact='{contact['id']}'] [data-testid=contact-phone]"
    wait_for(page, f"document.querySelector(\"{shown}\").textContent === '0571-87654321'")

    # 3. Two follow-ups closed from the home screen.
    page.goto(server.url + "/m/")
    for fid in follow_ups:
        page.click(f"[data-action=follow-up-done][data-id='{fid}']")
        page.wait_for_selector(f"[data-follow-up='{fid}']", state="detached")
    assert unsynced(page) == 4

    # 4. All of it survives a reload while offline.
    page.reload()
    page.wait_for_selector("nav.tiles")
    for fid in follow_ups:
        assert page.locator(f"[data-follow-up='{fid}']").count() == 0
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{care_key}'][data-kind=birthday]")
    page.goto(server.url + f"/m/customers/{customer['id']}")
    page.wait_for_selector(shown)
    assert page.locator(shown).inner_text() == "0571-87654321"
    assert page.locator("[data-channel=phone]").count() == 1
    assert page.locator("[data-testid=customer-overdue]").count() == 0
    assert unsynced(page) == 4

    # 5. Back in signal: everything goes up once.
    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_synced(page)
    page.reload()  # now from the server's rows
    page.wait_for_selector("[data-testid=log-contact]")
    assert page.locator("[data-testid=customer-overdue]").count() == 0
    assert page.locator(shown).inner_text() == "0571-87654321"
    page.goto(server.url + "/m/care")
    page.wait_for_selector(f"[data-care-item='{care_key}'][data-done=no]")
    context.close()

    db = connect(app.config["DATABASE"])
    try:
        names = sorted(
            r[0]
            for r in db.execute(
                "SELECT name FROM mutation_log WHERE name IN"
                " ('visit.log_contact', 'contact.update', 'follow_up.done')"
            ).fetchall()
        )
        calls = db.execute(
            "SELECT channel, status, notes FROM visit WHERE customer_id = ?"
            " AND channel != 'on_site'",
            [customer["id"]],
        ).fetchall()
        row = records.get(db, "contact", contact["id"])
        closes = db.execute(
            "SELECT count(*) FROM audit_log WHERE entity = 'follow_up' AND action = 'done'"
            " AND entity_id IN (?, ?)",
            follow_ups,
        ).fetchone()[0]
        overdue = policy.overdue_ids(db, [customer["id"]])
        month = iso_day_beijing(now_utc())[:7]
        _value, found = follow_ups_on_time(db, am["id"], month)
    finally:
        db.conn.close()
    assert names == ["contact.update", "follow_up.done", "follow_up.done", "visit.log_contact"]
    assert [tuple(c) for c in calls] == [("phone", "completed", "月度电话回访：续约意向")]
    assert (row["phone"], row["birthday"]) == ("0571-87654321", birthday)
    assert closes == 2
    assert overdue == set()
    rules = {r["record_id"]: r["rule"] for r in found}
    assert [rules.get(fid) for fid in follow_ups] == ["closed_on_time", "closed_on_time"]

"""Review of reports, push subscriptions and reminders as a hostile or careless user would
use them: out-of-range months, overflowing times, JSON that is not an object, and a phone
signed out (or lost and revoked) that must get no more reminders."""

import io
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from bench import pdfworld
from server import records
from server.reminders import engine
from server.reports import fetcher
from tests import factories
from tests.browser import wait_for
from tests.conftest import Auth
from tests.device import Device
from tests.pushservice import PushService

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: no quiet hours


def signed_in(app, username):
    client = app.test_client()
    assert Auth(client).login(username).status_code in (302, 303)
    return client


# Reports ----------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12", "2026-13", "2026-1", "abc"])
def test_a_scorecard_pdf_for_a_month_that_is_not_one_is_a_400_with_the_reason(app, tree, month):
    """0000-01 and 9999-12 crashed the month parser (500); 2026-13 printed last month's card
    under the reader's request. Both are now a 400 that says what a month looks like."""
    client = signed_in(app, "sup_d1")
    for path in (
        f"/reports/scores/people/{tree['am1']['id']}.pdf?month={month}",
        f"/reports/scores/orgs/{tree['T1']['id']}.pdf?month={month}",
    ):
        resp = client.get(path)
        assert resp.status_code == 400, (path, resp.status_code)
        assert b"YYYY-MM" in resp.get_data()
    # The scores pages share the parser: an out-of-range month is no longer a 500.
    page = client.get(f"/scores/people/{tree['am1']['id']}?month={month}")
    assert page.status_code < 500


def test_a_scorecard_pdf_without_a_month_is_last_months_and_scope_still_applies(app, tree):
    client = signed_in(app, "sup_d1")
    resp = client.get(f"/reports/scores/people/{tree['am1']['id']}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert client.get(f"/reports/scores/people/{tree['am2']['id']}.pdf").status_code == 404
    assert client.get(f"/reports/scores/orgs/{tree['K']['id']}.pdf").status_code == 404
    assert (
        signed_in(app, "am1").get(f"/reports/scores/orgs/{tree['T1']['id']}.pdf").status_code
        == 403
    )


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_the_monthly_batch_refuses_an_out_of_range_month_as_a_usage_error(app, month):
    result = app.test_cli_runner().invoke(args=["reports", "monthly", "--month", month])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "YYYY-MM" in result.output


# Quiet hours -------------------------------------------------------------------------


def test_an_overflowing_quiet_hour_is_a_form_error_that_keeps_what_was_typed(
    push_app, client, auth, db, tree
):
    auth.login("am1")
    resp = auth.post(
        "/account/notifications/quiet-hours",
        data={"quiet_start": "99999999999999999999999:00", "quiet_end": "06:45"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'data-error="quiet_start"' in html and 'data-error="quiet_end"' not in html
    assert 'value="06:45"' in html  # the valid half the user typed is still there
    assert db.execute("SELECT count(*) FROM reminder_preference").fetchone()[0] == 0


# Subscriptions API ---------------------------------------------------------------------


@pytest.mark.parametrize("body", ["x", [1, 2], 7, ["endpoint"]])
def test_json_that_is_not_an_object_is_a_400_or_404_not_a_500(push_app, client, tree, body):
    phone = Device(client, "tech1", factories.PASSWORD)
    made = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert made.status_code == 400 and made.get_json()["error"] == "invalid_subscription"
    gone = client.post("/api/push/unsubscribe", json=body, headers=phone.headers)
    assert gone.status_code == 404 and gone.get_json()["error"] == "not_found"


def _subscribe_phone(client, service, username, name):
    phone = Device(client, username, factories.PASSWORD, name=name)
    endpoint = service.new_endpoint()
    body = endpoint.subscription(service.base) | {"device_name": name}
    made = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert made.status_code == 201
    return phone, endpoint


def test_a_phone_whose_token_is_revoked_gets_no_more_reminders(push_app, client, db, tree):
    """A lost phone signed out from the web (or signed out offline, so its browser never
    unsubscribed) kept its subscription: reminders with customer and order names still
    reached it. Now only phones with a live token (or the web page's own) are sent to."""
    with PushService() as service:
        lost, lost_endpoint = _subscribe_phone(client, service, "tech1", "lost phone")
        _kept, kept_endpoint = _subscribe_phone(client, service, "tech1", "new phone")
        assert client.post("/api/auth/revoke", headers=lost.headers).status_code == 200
        factories.make_work_order(db, tree["T1"], assignee=tree["tech1"], title="基站退服 西湖9号")
        with push_app.app_context():
            counts = engine.run(push_app, db, NOW)
        assert counts["pushes"] == 1 and counts["reminders_sent"] == 1
        assert len(service.received(kept_endpoint.token)) == 1
        assert service.received(lost_endpoint.token) == []


def test_a_disabled_users_queued_reminder_reaches_none_of_their_phones(push_app, client, db, tree):
    with PushService() as service:
        _phone, endpoint = _subscribe_phone(client, service, "tech1", "phone")
        factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
        night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: quiet hours
        db.execute("UPDATE work_order SET sla_grade = 'bronze'")  # not urgent: held
        with push_app.app_context():
            held = engine.run(push_app, db, night)
        assert held["held"] == 1, held
        # Disabled overnight, token revoked with it, then the morning run.
        db.execute("UPDATE app_user SET active = 0 WHERE id = ?", [tree["tech1"]["id"]])
        with push_app.app_context():
            morning = engine.run(push_app, db, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # 08:00
        assert morning["held"] == 0 and morning["expired"] == 0, morning
        assert morning["no_device"] == 1 and morning["pushes"] == 0, morning
        assert service.received(endpoint.token) == []


# The blob fetcher --------------------------------------------------------------------


def _huge_png(side: int) -> bytes:
    """A tiny file that decodes to side x side pixels (one bit each, so cheap to make)."""
    out = io.BytesIO()
    Image.new("1", (side, side), 1).save(out, "PNG")
    return out.getvalue()


def test_a_photo_that_decodes_to_too_many_pixels_is_refused_not_decoded():
    """A 250 KB PNG of 9000 x 9000 px took about 350 MB of memory to shrink for print."""
    data = _huge_png(8000)
    assert len(data) < 100_000
    with pytest.raises(fetcher.RefusedURL):
        fetcher.downscale(data)
    body, mime = fetcher.downscale(_huge_png(1200))  # an ordinary one still prints
    assert mime.startswith("image/") and body


def test_a_visit_with_a_pixel_bomb_photo_still_prints_without_it(app, db, tree, tmp_path):
    customer = factories.make_customer(db, tree["T1"], tree["am1"], name="滨江测试客户")
    visit = pdfworld.visit(db, app.config["BLOB_DIR"], customer, tree["am1"], photos=1)
    bomb = pdfworld.store_blob(
        db, app.config["BLOB_DIR"], _huge_png(8000), "image/png", tree["am1"]["id"]
    )
    # Written as its uploader (audited): a photo shows only what its author holds (scope.py).
    photo = db.execute("SELECT id FROM visit_photo WHERE visit_id = ?", [visit["id"]]).fetchone()
    records.update(db, "visit_photo", photo["id"], {"sha256": bomb}, tree["am1"]["id"])
    refused = []
    real = fetcher.downscale

    def watching(data, edge=fetcher.PRINT_EDGE):
        try:
            return real(data, edge)
        except fetcher.RefusedURL as exc:
            refused.append(str(exc))
            raise

    fetcher.downscale = watching
    try:
        resp = signed_in(app, "sup_d1").get(f"/reports/visits/{visit['id']}.pdf")
    finally:
        fetcher.downscale = real
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert refused and "8000" in refused[0]


# The device's Notifications screen ----------------------------------------------------


@pytest.mark.browser
def test_a_subscription_the_server_refuses_is_not_left_on_in_the_browser(chromium, tmp_path):
    """The server refused the subscription, yet the browser stayed subscribed: the screen said
    "on" (offering only "off") while no reminder could ever come. Now the browser
    unsubscribes again and the screen says off, with the error."""
    from server.db import connect
    from server.seed.demo import DEMO_PASSWORD
    from tests.browser import compile_catalogues, demo_app, serving
    from tests.test_browser_push import STUB

    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    app.config["PUSH_VAPID_KEY_FILE"] = str(tmp_path / "vapid.pem")
    db = connect(app.config["DATABASE"])
    tech = db.execute(
        "SELECT username FROM app_user WHERE role = 'technician' AND active = 1"
        " ORDER BY username LIMIT 1"
    ).fetchone()
    refused = {  # what a broken browser or push service might hand over: bad keys
        "endpoint": "http://127.0.0.1:9/push/x",
        "keys": {"p256dh": "AAAA", "auth": "AAAA"},
    }
    with serving(app) as server:
        context = chromium.new_context()
        try:
            context.grant_permissions(["notifications"], origin=server.url)
            context.add_init_script(STUB % json.dumps(refused))
            page = context.new_page()
            page.goto(server.url + "/m/")
            page.fill("input[name=username]", tech["username"])
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("[data-form=login] button[type=submit]")
            wait_for(page, "navigator.serviceWorker.controller !== null", timeout=20000)
            wait_for(page, "window.fieldbook.lastSync !== null", timeout=20000)
            page.click("#sync-status")
            page.click("[data-testid=notifications-link]")
            page.click("[data-action=push-enable]")
            wait_for(
                page, "document.querySelector('[data-role=push-error]')?.textContent.trim() !== ''"
            )
            assert page.evaluate("window.__unsubscribed") == 1
            assert page.locator("[data-push-state=off]").count() == 1
            assert page.locator("[data-action=push-enable]").count() == 1
            assert db.execute("SELECT count(*) FROM push_subscription").fetchone()[0] == 0
        finally:
            context.close()
    db.conn.close()


def test_a_reminder_with_a_very_long_title_still_fits_a_push_message(push_app, client, db, tree):
    """A push service takes at most 4096 bytes (3993 of plaintext once encrypted): a work
    order titled with a pasted fault description made the reminder undeliverable."""
    title = "基站退服" * 500  # 2,000 characters, 6,000 bytes in UTF-8
    with PushService() as service:
        _phone, endpoint = _subscribe_phone(client, service, "tech1", "phone")
        factories.make_work_order(db, tree["T1"], assignee=tree["tech1"], title=title)
        with push_app.app_context():
            assert engine.run(push_app, db, NOW)["pushes"] == 1
        [message] = service.received(endpoint.token)
        payload = message["payload"]
        assert len(json.dumps(payload, ensure_ascii=False).encode()) <= 3993
        assert payload["body"].startswith("基站退服基站退服") and payload["body"].endswith("…")


class _Internal(BaseHTTPRequestHandler):
    """A stand-in for a server inside the operator's network, not a push service."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"INTERNAL-SECRET db_password=hunter2"
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_what_an_endpoints_server_answers_is_not_shown_back_to_the_device(
    push_app, client, db, tree
):
    """A device may register any http(s) URL as its endpoint, so the reminder run posts to
    it; the answer's body was kept in last_error and listed back to that device, so a
    hostile user could read what a server inside the network answers. Only the status is
    kept now."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Internal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        phone = Device(client, "tech1", factories.PASSWORD)
        keys = PushService()  # not started: only its key material is used
        keys.server.server_close()
        body = keys.new_endpoint().subscription(f"http://127.0.0.1:{server.server_port}")
        assert (
            client.post("/api/push/subscriptions", json=body, headers=phone.headers).status_code
            == 201
        )
        factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
        with push_app.app_context():
            assert engine.run(push_app, db, NOW)["failed"] == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    [device] = client.get("/api/push/subscriptions", headers=phone.headers).get_json()[
        "subscriptions"
    ]
    assert device["last_error"] == "HTTP 403"  # the status only, never the answer's body
    assert "SECRET" not in json.dumps(device)


def test_a_user_keeps_at_most_ten_devices_the_newest(push_app, client, db, tree):
    """Every registered endpoint is posted to on every reminder: a device could register
    thousands. The eleventh subscription pushes out the oldest."""
    from server.push import subscriptions

    keys = PushService()  # not started: only its key material is used
    keys.server.server_close()
    phone = Device(client, "tech1", factories.PASSWORD)
    made = []
    for n in range(subscriptions.MAX_PER_USER + 2):
        body = keys.new_endpoint().subscription(keys.base) | {"device_name": f"phone {n}"}
        resp = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
        assert resp.status_code == 201
        made.append(resp.get_json()["subscription"]["id"])
    other = Device(client, "am1", factories.PASSWORD)
    body = keys.new_endpoint().subscription(keys.base)
    assert (
        client.post("/api/push/subscriptions", json=body, headers=other.headers).status_code == 201
    )
    listed = client.get("/api/push/subscriptions", headers=phone.headers).get_json()
    assert {s["id"] for s in listed["subscriptions"]} == set(made[2:])
    assert db.execute("SELECT count(*) FROM push_subscription").fetchone()[0] == 11

"""Push in real Chromium: notifications are turned on by a tap (never prompted on load), the
subscription goes to the server with the device token, a reminder run pushes through the
loopback push service, the service worker shows the decrypted message as a notification,
tapping it opens the order's screen, and sign-out unsubscribes."""

import base64
import json
import time

import pytest

from server.db import connect
from server.push import vapid
from server.reminders import engine
from server.seed.demo import DEMO_PASSWORD
from server.work_orders.model import create_order
from tests.browser import compile_catalogues, demo_app, serving, wait_for
from tests.pushservice import PushService

pytestmark = pytest.mark.browser

# The browser's push service (FCM) is out of reach: PushManager.subscribe returns the
# subscription of our loopback stand-in instead, with its real keys. Permission prompts are
# counted, to show none happens before the user taps.
STUB = """
(() => {
  const sub = %s;
  window.__asked = 0;
  window.__unsubscribed = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = () => { window.__asked += 1; return ask(); };
  let current = null;
  const make = () => ({ endpoint: sub.endpoint, toJSON: () => sub,
    unsubscribe: async () => { current = null; window.__unsubscribed += 1; return true; } });
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeKey = Array.from(new Uint8Array(options.applicationServerKey));
    current = make();
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def wait_until(page, predicate, timeout=10.0):
    """Poll predicate, letting Playwright deliver events meanwhile (time.sleep would not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


def test_a_pushed_reminder_is_shown_and_opens_its_screen(chromium, tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    app.config["PUSH_VAPID_KEY_FILE"] = str(tmp_path / "vapid.pem")
    db = connect(app.config["DATABASE"])
    tech = db.execute(
        "SELECT u.id, u.username, u.org_id FROM app_user u WHERE u.role = 'technician'"
        " AND u.active = 1 ORDER BY u.username LIMIT 1"
    ).fetchone()
    db.execute(  # no quiet hours for this user, whatever the time of the test run
        "INSERT INTO reminder_preference VALUES (?, '00:00', '00:00', '2026-01-01')", [tech["id"]]
    )
    order = create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=tech["org_id"],
        assignee_id=tech["id"],
        title="推送测试 基站退服",
    )
    with PushService() as service, serving(app) as server:
        endpoint = service.new_endpoint()
        context = chromium.new_context()
        try:
            context.grant_permissions(["notifications"], origin=server.url)
            context.add_init_script(STUB % json.dumps(endpoint.subscription(service.base)))
            page = context.new_page()
            page.goto(server.url + "/m/")
            page.fill("input[name=username]", tech["username"])
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("[data-form=login] button[type=submit]")
            wait_for(page, "navigator.serviceWorker.controller !== null", timeout=20000)
            wait_for(page, "window.fieldbook.lastSync !== null", timeout=20000)
            assert page.evaluate("window.__asked") == 0  # nothing asked before a tap

            page.click("#sync-status")
            page.click("[data-testid=notifications-link]")
            page.click("[data-action=push-enable]")
            page.wait_for_selector("[data-push-state=on]")
            assert page.evaluate("window.__asked") == 1
            key = bytes(page.evaluate("window.__subscribeKey"))
            with app.app_context():
                server_key = vapid.application_server_key(vapid.load_or_create(app))
            assert key == base64.urlsafe_b64decode(server_key + "=" * (-len(server_key) % 4))
            stored = db.execute(
                "SELECT user_id FROM push_subscription WHERE endpoint = ?",
                [endpoint.subscription(service.base)["endpoint"]],
            ).fetchone()
            assert stored["user_id"] == tech["id"]
            page.wait_for_selector("[data-testid=push-devices] li[data-subscription]")

            with app.app_context():
                engine.run(app, db)
            url = f"/m/orders/{order['id']}"
            [message] = [m for m in service.received(endpoint.token) if m["payload"]["url"] == url]
            payload = message["payload"]

            worker = (
                context.service_workers[0]
                if context.service_workers
                else (context.wait_for_event("serviceworker"))
            )
            cdp = context.new_cdp_session(page)
            registrations = []
            cdp.on(
                "ServiceWorker.workerRegistrationUpdated",
                lambda event: registrations.extend(event["registrations"]),
            )
            cdp.send("ServiceWorker.enable")
            wait_until(page, lambda: any(r["scopeURL"].endswith("/m/") for r in registrations))
            registration_id = next(
                r["registrationId"] for r in registrations if r["scopeURL"].endswith("/m/")
            )
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {
                    "origin": server.url,
                    "registrationId": registration_id,
                    "data": json.dumps(payload, ensure_ascii=False),
                },
            )
            shown = wait_until(
                page,
                lambda: worker.evaluate(
                    "self.registration.getNotifications().then(ns => ns.map(n =>"
                    " ({title: n.title, body: n.body, url: n.data.url, tag: n.tag})))"
                ),
            )
            assert shown == [
                {
                    "title": payload["title"],
                    "body": "推送测试 基站退服",
                    "url": url,
                    "tag": payload["tag"],
                }
            ]
            assert order["code"] in shown[0]["title"]

            assert not page.url.endswith(url)
            worker.evaluate(
                "self.registration.getNotifications().then(([n]) =>"
                " self.dispatchEvent(new NotificationEvent('notificationclick',"
                " {notification: n})))"
            )
            page.wait_for_url(f"**{url}")
            page.wait_for_selector(f"text={order['code']}")
            assert (
                worker.evaluate("self.registration.getNotifications().then(ns => ns.length)") == 0
            )
            cdp.detach()

            page.click("#sync-status")
            page.click("[data-action=sign-out]")
            page.wait_for_url("**/m/login")
            assert (
                db.execute(
                    "SELECT count(*) FROM push_subscription WHERE user_id = ?", [tech["id"]]
                ).fetchone()[0]
                == 0
            )
        finally:
            context.close()
    db.conn.close()


@pytest.mark.browser
def test_a_subscription_the_server_refuses_is_not_left_on_in_the_browser(chromium, tmp_path):
    """The server refused the subscription, yet the browser stayed subscribed: the screen said
    "on" (offering only "off") while no reminder could ever come. Now the browser
    unsubscribes again and the screen says off, with the error."""
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

"""Web Push: VAPID keys, device subscriptions (bearer API and the CSRF-protected page), and
delivery to a loopback push service that decrypts every message (RFC 8291) and checks its
VAPID signature (RFC 8292) and TTL."""

import json
import os
import time

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from server.push import subscriptions, vapid
from server.reminders import engine
from tests import factories
from tests.device import Device
from tests.pushservice import NOW, PushService, subscribe


def dispatch(db, tree, **over):
    """A fault dispatched to tech1 now (the reminder run sees it as a new order)."""
    return factories.make_work_order(db, tree["T1"], assignee=tree["tech1"], **over)


def run(app, db, now=NOW):
    with app.app_context():
        return engine.run(app, db, now)


def test_the_vapid_key_is_made_once_and_kept(push_app, tmp_path):
    path = tmp_path / "vapid.pem"
    assert not path.exists()
    first = vapid.application_server_key(vapid.load_or_create(push_app))
    assert path.exists() and (os.stat(path).st_mode & 0o777) == 0o600
    push_app.extensions.pop("push_vapid")
    assert vapid.application_server_key(vapid.load_or_create(push_app)) == first
    assert len(first) == 87  # 65 bytes, base64url


def test_a_device_subscribes_lists_and_unsubscribes_with_its_token(push_app, client, tree):
    service = PushService()  # not started: only its key material is used
    phone = Device(client, "tech1", factories.PASSWORD)
    key = client.get("/api/push/key", headers=phone.headers).get_json()["public_key"]
    assert key == vapid.application_server_key(vapid.load_or_create(push_app))
    body = service.new_endpoint().subscription(service.base) | {"device_name": "Pixel"}
    assert client.post("/api/push/subscriptions", json=body).status_code == 401
    made = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert made.status_code == 201
    again = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    listed = client.get("/api/push/subscriptions", headers=phone.headers).get_json()
    assert [s["id"] for s in listed["subscriptions"]] == [made.get_json()["subscription"]["id"]]
    assert again.get_json()["subscription"]["id"] == made.get_json()["subscription"]["id"]
    gone = client.post(
        "/api/push/unsubscribe", json={"endpoint": body["endpoint"]}, headers=phone.headers
    )
    assert gone.status_code == 200
    assert client.get("/api/push/subscriptions", headers=phone.headers).get_json() == {
        "subscriptions": []
    }
    service.server.server_close()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"endpoint": "ftp://push.example/x"}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "c2VjcmV0c2VjcmV0MTIzNA"}}, "p256dh"),
        ({"keys": {"p256dh": None, "auth": "short"}}, "auth"),
    ],
)
def test_a_bad_subscription_is_refused_with_the_field(push_app, client, tree, change, field):
    phone = Device(client, "tech1", factories.PASSWORD)
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "x", "auth": "y"}}
    body |= change
    resp = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert resp.status_code == 400 and field in resp.get_json()["fields"]


def test_another_users_device_is_a_404(push_app, client, db, tree):
    service = PushService()
    _endpoint, theirs = subscribe(db, tree["am1"], service)
    phone = Device(client, "tech1", factories.PASSWORD)
    resp = client.delete(f"/api/push/subscriptions/{theirs['id']}", headers=phone.headers)
    assert resp.status_code == 404
    assert subscriptions.get(db, tree["am1"]["id"], theirs["id"]) is not None
    service.server.server_close()


def test_my_notification_devices_page_removes_only_with_csrf(push_app, client, auth, db, tree):
    service = PushService()
    _endpoint, mine = subscribe(db, tree["am1"], service)
    _other, theirs = subscribe(db, tree["am2"], service)
    auth.login("am1")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert f'data-subscription="{mine["id"]}"' in page and theirs["id"] not in page
    assert client.post(f"/account/notifications/{mine['id']}/remove").status_code == 400
    assert auth.post(f"/account/notifications/{theirs['id']}/remove").status_code == 404
    resp = auth.post(f"/account/notifications/{mine['id']}/remove")
    assert resp.status_code == 200 and 'data-empty="devices"' in resp.get_data(as_text=True)
    assert subscriptions.list_for(db, tree["am1"]["id"]) == []
    assert len(subscriptions.list_for(db, tree["am2"]["id"])) == 1
    service.server.server_close()


def test_quiet_hours_form_validates_and_saves(push_app, client, auth, db, tree):
    auth.login("am1")
    bad = auth.post("/account/notifications/quiet-hours", data={"quiet_start": "25:99"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert 'data-error="quiet_start"' in html and 'data-error="quiet_end"' in html
    ok = auth.post(
        "/account/notifications/quiet-hours", data={"quiet_start": "21:30", "quiet_end": "6:45"}
    )
    assert ok.status_code == 200
    row = db.execute("SELECT quiet_start, quiet_end FROM reminder_preference").fetchone()
    assert tuple(row) == ("21:30", "06:45")


def test_a_reminder_arrives_encrypted_signed_with_its_ttl(push_app, db, tree, service):
    endpoint, _sub = subscribe(db, tree["tech1"], service)
    order = dispatch(db, tree, title="基站退服 西湖1号")
    counts = run(push_app, db)
    assert counts["pushes"] == 1
    [message] = service.received(endpoint.token)
    assert "error" not in message
    assert message["ttl"] == "86400" and message["encoding"] == "aes128gcm"
    assert message["key"] == vapid.application_server_key(vapid.load_or_create(push_app))
    assert message["claims"]["aud"] == service.base
    payload = message["payload"]
    assert payload["url"] == f"/m/orders/{order['id']}"
    assert payload["kind"] == "work_order_assigned" and payload["body"] == "基站退服 西湖1号"
    with push_app.test_request_context(), force_locale("zh_CN"):
        assert payload["title"] == _("Work order %(code)s is yours", code=order["code"])


def test_messages_are_in_the_users_language(push_app, db, tree, service):
    db.execute("UPDATE app_user SET locale = 'en' WHERE id = ?", [tree["tech1"]["id"]])
    endpoint, _sub = subscribe(db, tree["tech1"], service)
    order = dispatch(db, tree)
    push_app.config["PUSH_TTL_SECONDS"] = 3600
    run(push_app, db)
    [message] = service.received(endpoint.token)
    assert message["ttl"] == "3600"
    with push_app.test_request_context(), force_locale("en"):
        expected = _("Work order %(code)s is yours", code=order["code"])
    assert message["payload"]["title"] == expected and order["code"] in expected


@pytest.mark.parametrize("mode", ["gone", "missing"])  # 410, 404
def test_410_or_404_deletes_the_subscription(push_app, db, tree, service, mode):
    _gone, sub = subscribe(db, tree["tech1"], service, mode=mode)
    live, _live_sub = subscribe(db, tree["tech1"], service)
    dispatch(db, tree)
    counts = run(push_app, db)
    assert counts["gone"] == 1 and counts["pushes"] == 1
    assert subscriptions.get(db, tree["tech1"]["id"], sub["id"]) is None
    assert len(service.received(live.token)) == 1
    status = db.execute("SELECT status FROM reminder").fetchone()[0]
    assert status == "sent"


def test_each_push_service_gets_its_own_audience(push_app, db, tree, service):
    """pywebpush writes aud into the claims it is given: every send needs a fresh copy."""
    with PushService() as other:
        first, _sub = subscribe(db, tree["tech1"], service)
        second, _sub2 = subscribe(db, tree["tech1"], other)
        dispatch(db, tree)
        factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
        push_app.config["PUSH_SEND_WORKERS"] = 1  # one session, one claims dict if shared
        assert run(push_app, db)["pushes"] == 4
        audiences = {m["claims"]["aud"] for m in service.received(first.token)}
        assert audiences == {service.base}
        assert {m["claims"]["aud"] for m in other.received(second.token)} == {other.base}
        assert all("error" not in m for m in service.received() + other.received())


def test_a_hanging_push_service_does_not_hold_up_the_run(push_app, db, tree, service):
    hung, _sub = subscribe(db, tree["tech1"], service, mode="hang")
    others = [subscribe(db, tree["am1"], service)[0] for _ in range(3)]
    dispatch(db, tree)
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    factories.make_contact(db, customer, birthday="1980-03-05")  # in three days
    started = time.monotonic()
    counts = run(push_app, db)
    elapsed = time.monotonic() - started
    # PUSH_TIMEOUT_SECONDS = 1; the endpoint would hang for 30 s (slack for a loaded machine)
    assert elapsed < 1 + 4, elapsed
    assert all(len(service.received(e.token)) >= 1 for e in others)
    assert counts["retry"] == 1
    row = db.execute(
        "SELECT status, attempts, next_attempt_at FROM reminder WHERE user_id = ?",
        [tree["tech1"]["id"]],
    ).fetchone()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] > "2026-03-02T02:00:00.000Z"
    assert hung.token not in [m["token"] for m in service.received()]


@pytest.mark.parametrize("failures", [[503], [429, 500]])
def test_429_and_5xx_are_retried_with_back_off(push_app, db, tree, service, failures):
    endpoint, _sub = subscribe(db, tree["tech1"], service, failures=failures)
    dispatch(db, tree)
    counts = run(push_app, db)
    assert counts["pushes"] == 1 and len(service.received(endpoint.token)) == 1


def test_a_service_still_failing_is_tried_on_a_later_run_only_for_that_device(
    push_app, db, tree, service
):
    flaky, _sub = subscribe(db, tree["tech1"], service, failures=[503, 503, 503])
    steady, _sub2 = subscribe(db, tree["tech1"], service)
    dispatch(db, tree)
    assert run(push_app, db)["retry"] == 1
    assert len(service.received(steady.token)) == 1 and service.received(flaky.token) == []
    assert run(push_app, db)["pushes"] == 0  # not due yet: back-off
    later = run(push_app, db, NOW.replace(minute=5))
    assert later["pushes"] == 1
    assert len(service.received(steady.token)) == 1 and len(service.received(flaky.token)) == 1
    payload = service.received(flaky.token)[0]["payload"]
    assert json.loads(json.dumps(payload))["kind"] == "work_order_assigned"


@pytest.mark.parametrize(
    "endpoint, accepted",
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),
        ("https://db5p.notify.windows.com/w/?token=abc", True),
        ("http://fcm.googleapis.com/fcm/send/abc", False),  # https only
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://10.0.0.5/internal", False),  # an address inside the network
        ("http://127.0.0.1:8080/admin", False),  # loopback is not listed by default
        ("https://evilfcm.googleapis.com.example/x", False),
    ],
)
def test_only_known_push_services_are_accepted_by_default(
    push_app, client, tree, endpoint, accepted
):
    from server.config import DEFAULTS

    push_app.config["PUSH_ENDPOINT_HOSTS"] = DEFAULTS["PUSH_ENDPOINT_HOSTS"]
    service = PushService()  # not started: only its key material is used
    body = service.new_endpoint().subscription(service.base) | {"endpoint": endpoint}
    service.server.server_close()
    phone = Device(client, "tech1", factories.PASSWORD)
    resp = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    if accepted:
        assert resp.status_code == 201
    else:
        assert resp.status_code == 400
        assert resp.get_json()["fields"] == {"endpoint": "unknown_push_service"}

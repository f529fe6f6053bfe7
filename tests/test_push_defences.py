"""Push delivery under hostile or broken subscriptions: keys off the curve, a crash mid-batch,
endpoints built to slip past the allowlist, addresses inside the network, and last_error
that must not work as a reachability probe (docs/push.md)."""

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.config import DEFAULTS
from server.push import endpoints, sender, subscriptions
from server.reminders import engine
from tests import factories
from tests.device import Device
from tests.pushservice import NOW, PushService, b64url, subscribe

LATER = NOW + timedelta(minutes=16)  # past the 15-minute lease of a run that died


def run(app, db, now=NOW):
    with app.app_context():
        return engine.run(app, db, now)


def store_raw(db, user, endpoint, p256dh, auth="c2VjcmV0c2VjcmV0MTIzNA") -> str:
    """A subscription row as an older server accepted it, bypassing today's checks."""
    sub_id = f"raw-{endpoint[-6:]}-{p256dh[-4:]}"
    db.execute(
        "INSERT INTO push_subscription (id, user_id, endpoint, p256dh, auth, device_name,"
        " created_at) VALUES (?, ?, ?, ?, ?, 'old', '2026-01-01T00:00:00.000Z')",
        [sub_id, user["id"], endpoint, p256dh, auth],
    )
    return sub_id


OFF_CURVE = b64url(b"\x04" + b"\x01" * 64)  # 65 bytes starting 0x04, not a P-256 point


def last_error(db, sub_id):
    return db.execute(
        "SELECT last_error FROM push_subscription WHERE id = ?", [sub_id]
    ).fetchone()[0]


def test_a_key_off_the_curve_or_a_short_secret_is_refused(push_app, client, tree, service):
    phone = Device(client, "tech1", factories.PASSWORD)
    good = service.new_endpoint().subscription(service.base)
    for keys, field in [
        ({"p256dh": OFF_CURVE}, "p256dh"),
        ({"p256dh": good["keys"]["p256dh"] + "!!"}, "p256dh"),  # junk the decoder would drop
        ({"auth": b64url(b"x" * 15)}, "auth"),
        ({"auth": b64url(b"x" * 17)}, "auth"),
    ]:
        body = good | {"keys": good["keys"] | keys}
        resp = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
        assert resp.status_code == 400, keys
        assert resp.get_json()["fields"] == {field: "invalid"}
    assert (
        client.post("/api/push/subscriptions", json=good, headers=phone.headers).status_code == 201
    )


def test_one_bad_subscription_does_not_stop_or_repeat_the_others(push_app, db, tree, service):
    mine, _sub = subscribe(db, tree["tech1"], service)
    theirs, _sub2 = subscribe(db, tree["am1"], service)
    bad_id = store_raw(
        db, tree["tech1"], service.new_endpoint().subscription(service.base)["endpoint"], OFF_CURVE
    )
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    factories.make_contact(db, customer, birthday="1980-03-05")  # a key date for am1
    counts = run(push_app, db)  # exited 1 with ValueError: Invalid EC key
    theirs_due = db.execute(
        "SELECT count(*) FROM reminder WHERE user_id = ?", [tree["am1"]["id"]]
    ).fetchone()[0]
    assert theirs_due >= 1 and counts["pushes"] == 1 + theirs_due and counts["failed"] == 0
    assert len(service.received(mine.token)) == 1
    assert len(service.received(theirs.token)) == theirs_due
    assert last_error(db, bad_id) == "invalid subscription"
    delivered = db.execute("SELECT count(*) FROM reminder_delivery").fetchone()[0]
    assert delivered == 1 + theirs_due
    statuses = {r[0] for r in db.execute("SELECT status FROM reminder")}
    assert statuses == {"sent"}
    run(push_app, db, LATER)
    assert len(service.received(mine.token)) == 1
    assert len(service.received(theirs.token)) == theirs_due


class Crash(BaseException):
    """A process dying mid-batch (kill -9 cannot be caught; neither is this)."""


def test_a_crash_mid_batch_sends_nothing_twice(push_app, db, tree, service, monkeypatch):
    endpoint, _sub = subscribe(db, tree["tech1"], service)
    orders = [factories.make_work_order(db, tree["T1"], assignee=tree["tech1"]) for _ in range(5)]
    push_app.config["PUSH_SEND_WORKERS"] = 1
    real, calls = sender.send_one, []

    def dies_on_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise Crash
        return real(*args)

    monkeypatch.setattr(sender, "send_one", dies_on_the_third)
    with pytest.raises(Crash):
        run(push_app, db)
    assert len(service.received(endpoint.token)) == 2
    monkeypatch.setattr(sender, "send_one", real)
    run(push_app, db, LATER)
    urls = [m["payload"]["url"] for m in service.received(endpoint.token)]
    assert sorted(urls) == sorted(f"/m/orders/{o['id']}" for o in orders)  # each once
    assert [r[0] for r in db.execute("SELECT status FROM reminder")] == ["sent"] * 5
    statuses = [r[0] for r in db.execute("SELECT status FROM reminder")]
    assert statuses == ["sent"] * 5


@pytest.mark.parametrize(
    "endpoint, problem",
    [
        ("https://127.0.0.1\\@fcm.googleapis.com/x", "invalid"),  # urllib3 connects to 127.0.0.1
        ("https://user@fcm.googleapis.com/x", "invalid"),
        ("https://127.0.0.1%2f@fcm.googleapis.com/x", "invalid"),
        ("https://fcm.googleapis.com:8443/x", "unknown_push_service"),
        ("https://fcm.googleapis.com:443/x", "unknown_push_service"),
        ("https://fcm.googleapis.com /x", "invalid"),
        ("https://fcm.googleapis.com\t/x", "invalid"),
        ("https://fcm.googleapis.com\u3002evil.example/x", "invalid"),
        ("http://fcm.googleapis.com/x", "unknown_push_service"),
        ("https://142.250.0.1/x", "unknown_push_service"),
        ("https://[::1]/x", "unknown_push_service"),
        ("//fcm.googleapis.com/x", "invalid"),
        ("https://fcm.googleapis.com/fcm/send/abc", None),
    ],
)
def test_endpoints_are_read_as_the_sender_reads_them(endpoint, problem):
    assert endpoints.check(endpoint, DEFAULTS["PUSH_ENDPOINT_HOSTS"]) == problem


def test_the_backslash_endpoint_is_refused_at_subscription(push_app, client, tree, service):
    push_app.config["PUSH_ENDPOINT_HOSTS"] = DEFAULTS["PUSH_ENDPOINT_HOSTS"]
    body = service.new_endpoint().subscription(service.base)
    body["endpoint"] = "https://127.0.0.1\\@fcm.googleapis.com/x"
    phone = Device(client, "tech1", factories.PASSWORD)
    resp = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert resp.status_code == 400 and resp.get_json()["fields"] == {"endpoint": "invalid"}


def test_loopback_needs_the_test_only_setting(push_app, client, tree, service):
    body = service.new_endpoint().subscription(service.base)  # http://127.0.0.1:port
    phone = Device(client, "tech1", factories.PASSWORD)
    push_app.config["PUSH_ALLOW_PRIVATE_ADDRESSES"] = False
    refused = client.post("/api/push/subscriptions", json=body, headers=phone.headers)
    assert refused.get_json()["fields"] == {"endpoint": "unknown_push_service"}
    push_app.config["PUSH_ALLOW_PRIVATE_ADDRESSES"] = True
    assert (
        client.post("/api/push/subscriptions", json=body, headers=phone.headers).status_code == 201
    )


@pytest.mark.parametrize(
    "address, public",
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 (an address under test, not a bind)
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_connected_to(address, public):
    assert endpoints.public_address(address) is public


@pytest.fixture
def listener():
    """A TCP port that counts the connections it is offered."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_a_listed_name_resolving_inside_the_network_is_not_connected_to(
    push_app, db, tree, listener, monkeypatch
):
    """The name passes every URL rule; only its address (here, loopback) is wrong."""
    port, accepted = listener
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "push.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    push_app.config.update(
        PUSH_ENDPOINT_HOSTS=["example.test"], PUSH_ALLOW_PRIVATE_ADDRESSES=False
    )
    key = PushService()
    keys = key.new_endpoint().subscription(key.base)["keys"]
    key.server.server_close()
    sub_id = store_raw(
        db, tree["tech1"], "https://push.example.test/x", keys["p256dh"], keys["auth"]
    )
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    counts = run(push_app, db)
    assert counts["pushes"] == 0 and counts["retry"] == 1
    assert accepted == []
    assert last_error(db, sub_id) == "unreachable"


def test_last_error_says_unreachable_not_why(push_app, db, client, tree):
    """A closed port and a dropped connection read the same: the device list is no probe."""
    closed = PushService()  # never started: its port is closed once server_close runs
    body = closed.new_endpoint().subscription(closed.base)
    closed.server.server_close()
    clean, _errors = subscriptions.validate(body)
    sub = subscriptions.save(db, tree["tech1"]["id"], None, clean)
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    assert run(push_app, db)["retry"] == 1
    assert last_error(db, sub["id"]) == "unreachable"  # was: ConnectionError
    phone = Device(client, "tech1", factories.PASSWORD)
    listed = client.get("/api/push/subscriptions", headers=phone.headers).get_json()
    assert [d["last_error"] for d in listed["subscriptions"]] == ["unreachable"]


def test_a_refusal_is_kept_as_its_status_alone(push_app, db, tree, service):
    """A push service's 4xx is kept as `HTTP <status>`: no exception name, no body text."""
    _endpoint, sub = subscribe(db, tree["tech1"], service, failures=[403])
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    counts = run(push_app, db)
    assert counts["failed"] == 1 and counts["pushes"] == 0
    assert last_error(db, sub["id"]) == "HTTP 403"


@pytest.mark.parametrize("header", ["²", "١٢", " 3 ", "soon", ""])
def test_a_push_services_retry_after_of_any_text_is_read_safely(header):
    """'²' passed isdigit() and then failed float(); any header gives a bounded delay."""
    from types import SimpleNamespace

    from server.push.sender import _retry_delay

    settings = SimpleNamespace(backoff=1.0, max_delay=30.0)
    answer = SimpleNamespace(headers={"Retry-After": header})
    delay = _retry_delay(settings, answer, attempt=2)
    assert delay == (3.0 if header.strip() == "3" else 4.0)


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

    def do_POST(self):
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

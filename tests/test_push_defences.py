"""Push delivery under hostile or broken subscriptions: keys off the curve, a crash mid-batch,
endpoints built to slip past the allowlist, addresses inside the network, and last_error
that must not work as a reachability probe (docs/push.md)."""

import socket
import threading
from datetime import timedelta

import pytest

from server.config import DEFAULTS
from server.push import endpoints, sender, subscriptions
from server.reminders import engine
from tests import factories
from tests.device import Device
from tests.pushservice import PushService, b64url
from tests.test_push import NOW, subscribe

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

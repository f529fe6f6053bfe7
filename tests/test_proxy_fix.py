"""PROXY_FIX_HOPS: the app believes exactly that many proxies' X-Forwarded-For entries, so
sign-in records, audit rows and rate-limit buckets see the real client, and an entry the
client wrote itself (one more than the hops) is never believed."""

import pytest

from tests import factories
from tests.conftest import Auth, make_app

PROXY = "127.0.0.1"  # the socket peer: the TLS proxy on the same machine
EDGE = "10.0.0.2"  # a second proxy (a load balancer) in front of it


def sign_in_from(app, xff: str, username="am1"):
    """A web sign-in whose request came from PROXY carrying X-Forwarded-For."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)
    return Auth(client).login(username)


def last_sign_in(db) -> tuple[str, str]:
    audit = db.execute(
        "SELECT ip FROM audit_log WHERE action = 'sign_in' ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    session = db.execute("SELECT ip FROM web_session ORDER BY created_at DESC LIMIT 1").fetchone()
    return audit, session[0]


@pytest.fixture
def tree_db(tmp_path):
    def build(**config):
        app = make_app(tmp_path, **config)
        from server.db import connect

        db = connect(app.config["DATABASE"])
        t = factories.make_org_tree(db)
        factories.make_user(db, t["T1"], "account_manager", username="am1")
        return app, db

    return build


def test_one_hop_believes_the_proxy_and_not_the_client(tree_db):
    app, db = tree_db(PROXY_FIX_HOPS=1, SESSION_COOKIE_SECURE=False)
    assert sign_in_from(app, "203.0.113.7").status_code == 302
    assert last_sign_in(db) == ("203.0.113.7", "203.0.113.7")
    # The client wrote its own X-Forwarded-For; the proxy appended the real address.
    assert sign_in_from(app, "198.51.100.1, 203.0.113.8").status_code == 302
    assert last_sign_in(db) == ("203.0.113.8", "203.0.113.8")


def test_two_hops_and_one_too_many(tree_db):
    app, db = tree_db(PROXY_FIX_HOPS=2, SESSION_COOKIE_SECURE=False)
    # client -> EDGE -> PROXY -> app: EDGE wrote the client, PROXY wrote EDGE.
    assert sign_in_from(app, f"203.0.113.9, {EDGE}").status_code == 302
    assert last_sign_in(db) == ("203.0.113.9", "203.0.113.9")
    # A spoofed extra entry in front: the third from the right is not believed.
    assert sign_in_from(app, f"6.6.6.6, 203.0.113.10, {EDGE}").status_code == 302
    assert last_sign_in(db) == ("203.0.113.10", "203.0.113.10")


def test_no_hops_believes_nothing(tree_db):
    app, db = tree_db(SESSION_COOKIE_SECURE=False)
    assert sign_in_from(app, "203.0.113.11").status_code == 302
    assert last_sign_in(db) == (PROXY, PROXY)


def test_rate_limit_buckets_are_per_real_client(tree_db):
    app, _db = tree_db(
        PROXY_FIX_HOPS=1, SESSION_COOKIE_SECURE=False, LOGIN_RATE_LIMIT="2 per minute"
    )
    first = [sign_in_from(app, "203.0.113.20", "nobody").status_code for _ in range(3)]
    assert first == [401, 401, 429]
    # Another client behind the same proxy has a bucket of its own ...
    assert sign_in_from(app, "203.0.113.21", "nobody").status_code == 401
    # ... and spoofing an extra entry does not buy the first one a new bucket.
    assert sign_in_from(app, "1.1.1.1, 203.0.113.20", "nobody").status_code == 429


def test_bad_hops_stop_the_start(tmp_path):
    with pytest.raises(ValueError, match="PROXY_FIX_HOPS"):
        make_app(tmp_path, PROXY_FIX_HOPS=-1)

"""Fixtures: a real SQLite file per test, the app, a client, CSRF and sign-in helpers."""

import re

import pytest
from argon2 import PasswordHasher, profiles

from server import create_app
from server.auth import passwords
from server.db import connect
from server.migrations import upgrade
from tests import factories

# argon2 is slow on purpose (about 0.12 s a hash or check here, more on a loaded machine),
# and the suite signs in thousands of times. In this process only, hash and check with
# argon2-cffi's CHEAPEST profile, which its docs give for tests; the hashes stay argon2id.
# Servers started as their own processes (gunicorn, the CLI) keep the real parameters, and
# test_security checks that a fresh process hashes with them.
passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
passwords._DUMMY = passwords._hasher.hash("not a real password")


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "fieldbook.db"),
            "BLOB_DIR": str(tmp_path / "blobs"),
            "BACKUP_DIR": str(tmp_path / "backups"),
            "SECRET_KEY": "test-secret",
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],  # the push service stand-in
            "PUSH_ALLOW_PRIVATE_ADDRESSES": True,  # ... on loopback, over http (docs/push.md)
        }
    )
    upgrade(connect(app.config["DATABASE"]))
    return app


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    """Read the CSRF token from a page's meta tag, as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username, password=factories.PASSWORD):
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path, data=None, **kwargs):
        """POST with the CSRF header htmx would send."""
        headers = {"X-CSRFToken": csrf_token(self.client, "/"), **kwargs.pop("headers", {})}
        return self.client.post(path, data=data or {}, headers=headers, **kwargs)


def signed_in(app, username, password=factories.PASSWORD) -> Auth:
    """A new browser (test client) signed in on the web as username; .client is the client."""
    auth = Auth(app.test_client())
    resp = auth.login(username, password)
    assert resp.status_code == 302, (username, resp.status_code)
    return auth


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def tree(db):
    """A small org tree with a user of every role at known places.

    province P ─ city C ─ district D1 ─ team T1
                        └ district D2 ─ team T2
                        └ contractor K
    """
    f = factories
    t = f.make_org_tree(db)
    t["admin"] = f.make_user(db, t["P"], "admin", username="admin")
    t["sup_city"] = f.make_user(db, t["C"], "supervisor", username="sup_city")
    t["sup_d1"] = f.make_user(db, t["D1"], "supervisor", username="sup_d1")
    t["sup_k"] = f.make_user(db, t["K"], "supervisor", username="sup_k")
    t["am1"] = f.make_user(db, t["T1"], "account_manager", username="am1")
    t["am2"] = f.make_user(db, t["T2"], "account_manager", username="am2")
    t["tech1"] = f.make_user(db, t["T1"], "technician", username="tech1")
    t["tech_k"] = f.make_user(db, t["K"], "technician", username="tech_k")
    return t


# One Playwright driver and one Chromium for the whole run: the sync API allows one
# driver at a time, so every browser test module shares these.
@pytest.fixture(scope="session")
def playwright():
    from tests.browser import start_playwright

    with start_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright):
    from tests.browser import launch_chromium

    with launch_chromium(playwright) as browser:
        yield browser


@pytest.fixture
def service():
    """The loopback push service stand-in (tests/pushservice.py): it decrypts what it gets."""
    from tests.pushservice import PushService

    with PushService() as running:
        yield running


@pytest.fixture
def push_app(app, tmp_path):
    """The app with its own VAPID key and short push timeouts, no retry back-off."""
    app.config.update(
        PUSH_VAPID_KEY_FILE=str(tmp_path / "vapid.pem"),
        PUSH_TIMEOUT_SECONDS=2,
        PUSH_RETRY_BACKOFF_SECONDS=0,
    )
    return app


@pytest.fixture
def field(db, tree):
    """The tree with a customer of am1's (cust1, at a known spot) and one of am2's (cust2)."""
    t = dict(tree)
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], lat=30.2741, lon=120.1551)
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"])
    return t


def fetch(client, path):
    """GET and close (send_file keeps the file open until the response is closed)."""
    resp = client.get(path)
    resp.get_data()
    resp.close()
    return resp


def make_app(tmp_path, **overrides):
    """An app like conftest's, with some settings changed (rate limit, cookie flags)."""
    config = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "fieldbook.db"),
        "BLOB_DIR": str(tmp_path / "blobs"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "SECRET_KEY": "test-secret",
        **overrides,
    }
    app = create_app(config)
    upgrade(connect(app.config["DATABASE"]))
    return app

"""Every failure has a documented answer: busy and full databases, oversized and malformed
bodies, and JSON errors under /api/ (server/errors.py, docs/operations.md)."""

import sqlite3
import threading
import time

import pytest

from server import create_app
from server.db import connect
from server.migrations import upgrade
from tests import factories
from tests.conftest import Auth

PASSWORD = factories.PASSWORD


def _app(tmp_path, **config):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "fieldbook.db"),
            "BLOB_DIR": str(tmp_path / "blobs"),
            "SECRET_KEY": "test-secret",
            "SESSION_COOKIE_SECURE": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            **config,
        }
    )
    upgrade(connect(app.config["DATABASE"]))
    return app


@pytest.fixture
def world(tmp_path):
    """An app with a 200 ms busy timeout, a supervisor with a customer and an account manager."""
    app = _app(tmp_path, DATABASE_BUSY_TIMEOUT_MS=200)
    db = connect(app.config["DATABASE"])
    org = factories.make_org(db, "district", name="西湖区")
    sup = factories.make_user(db, org, "supervisor", username="sup")
    am = factories.make_user(db, org, "account_manager", username="am")
    customer = factories.make_customer(db, org, am)
    db.conn.close()
    return {"app": app, "sup": sup, "am": am, "customer": customer}


def _hold_lock(path: str) -> sqlite3.Connection:
    """Another writer holding the write lock (as a long push or a backup would)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta (key, value) VALUES ('held', 'x')")
    return other


def _count(path: str, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_sign_in_waits_for_a_writer_instead_of_failing(world):
    """Another connection commits writes all the time; sign-ins wait for the lock each time.

    Before every write took the lock up front, a sign-in's transaction read the table's
    shape first and then failed at once with "database is locked" (500)."""
    app, path = world["app"], world["app"].config["DATABASE"]
    app.config["DATABASE_BUSY_TIMEOUT_MS"] = 5000
    stop = threading.Event()

    def writer():
        conn = sqlite3.connect(path, isolation_level=None, timeout=5)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('tick', ?)", [time.time()]
            )
            time.sleep(0.002)
            conn.execute("COMMIT")
            time.sleep(0.003)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    statuses = []
    try:
        client = app.test_client()
        for _ in range(40):
            resp = client.post("/api/auth/token", json={"username": "am", "password": PASSWORD})
            statuses.append(resp.status_code)
    finally:
        stop.set()
        thread.join()
    assert statuses == [200] * 40
    assert _count(path, "api_token") == 40


def test_lock_held_past_the_timeout_is_503_json_for_the_api(world):
    app, path = world["app"], world["app"].config["DATABASE"]
    other = _hold_lock(path)
    try:
        resp = app.test_client().post(
            "/api/auth/token", json={"username": "am", "password": PASSWORD}
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503
    assert resp.get_json()["error"] == "database_busy"
    assert int(resp.headers["Retry-After"]) > 0
    assert _count(path, "api_token") == 0  # nothing half-written


def test_lock_held_past_the_timeout_is_a_503_page_for_a_form(world):
    app, path = world["app"], world["app"].config["DATABASE"]
    client = app.test_client()
    auth = Auth(client)
    assert auth.login("sup").status_code == 302
    customer_id = world["customer"]["id"]
    before = _count(path, "contact")
    other = _hold_lock(path)
    try:
        resp = auth.post(f"/customers/{customer_id}/contacts", data={"name": "张伟"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]
    assert "text/html" in resp.content_type
    assert _count(path, "contact") == before
    # once the lock is free, the same form goes through
    resp = auth.post(f"/customers/{customer_id}/contacts", data={"name": "张伟"})
    assert resp.status_code in (200, 302, 303)
    assert _count(path, "contact") == before + 1


def test_a_full_disk_is_503_storage_full_and_healthz_says_so(world, monkeypatch):
    """SQLite refuses to grow the file (max_page_count at its current size): every write that
    needs a new page fails SQLITE_FULL. Sign-ins answer 503 storage_full, never 500, and
    /healthz reports the database as not writable."""
    import server.db

    app = world["app"]
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    monkeypatch.setattr(server.db, "PRAGMAS", (*server.db.PRAGMAS, "PRAGMA max_page_count=1"))
    app.config["DATABASE_KEEP_CONNECTIONS"] = False  # each request opens one with the limit
    statuses = set()
    for i in range(300):
        name = f"phone {i} " + "x" * 70
        resp = client.post(
            "/api/auth/token",
            json={"username": "am", "password": PASSWORD, "device_name": name},
        )
        statuses.add(resp.status_code)
        if resp.status_code == 503:
            assert resp.get_json()["error"] == "storage_full"
            assert resp.headers["Retry-After"]
            break
    assert 503 in statuses and statuses <= {200, 503}
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "storage full" in health.get_json()["database"]


def test_healthz_is_503_when_the_disk_is_nearly_full(world):
    app = world["app"]
    app.config["HEALTH_MIN_FREE_BYTES"] = 1 << 60
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"].startswith("storage full")


def test_a_huge_sign_in_body_is_refused_before_it_is_read(world):
    client = world["app"].test_client()
    body = b'{"username": "' + b"a" * (100 * 1024 * 1024) + b'"}'
    started = time.monotonic()
    resp = client.post("/api/auth/token", data=body, content_type="application/json")
    elapsed = time.monotonic() - started
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request_entity_too_large"
    assert elapsed < 1.0  # 100 MB were not parsed (it took ~3.5 s of a worker)


def test_a_push_over_its_size_limit_is_413_json(world):
    app = world["app"]
    app.config["PUSH_MAX_BYTES"] = 1024
    client = app.test_client()
    token = client.post(
        "/api/auth/token", json={"username": "am", "password": PASSWORD}
    ).get_json()["access_token"]
    body = {"client_id": "c" * 16, "mutations": [], "pad": "x" * 2000}
    resp = client.post("/api/sync/push", json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request_entity_too_large"


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "42",
        '"am"',
        "null",
        "[" * 3000 + "]" * 3000,  # deeper than the parser's recursion limit, under 16 KB
        '{"F": NaN}',
        '{"F": -Infinity}',
        '{"F": 1e999}',
        '{"F": "\\ud83d"}',
        '{"F": "p\\u0000"}',
        '{"F": ["am"]}',
        '{"F": {"a": 1}}',
        '{"F": true}',
        '{"F": "' + "a" * 5000 + '"}',
        "{not json",
    ],
    ids=lambda b: b[:24],
)
@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/auth/token", "username"),
        ("/api/auth/token", "password"),
        ("/api/auth/token", "device_name"),
        ("/api/auth/refresh", "refresh_token"),
    ],
)
def test_malformed_auth_bodies_are_400_json(world, path, field, body):
    body = body.replace('"F"', f'"{field}"')
    if field != "username" and path.endswith("token"):
        body = body.replace("{", '{"username": "am", ', 1) if body.startswith('{"') else body
    resp = world["app"].test_client().post(path, data=body, content_type="application/json")
    assert resp.status_code == 400, resp.get_data(as_text=True)[:200]
    answer = resp.get_json()
    assert answer["error"] == "bad_request" and answer["message"]


def test_rate_limited_answers_are_json_with_retry_after(tmp_path):
    app = _app(tmp_path, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    answers = [
        client.post("/api/auth/token", json={"username": "x", "password": "y"}) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[2].get_json()["error"] == "too_many_requests"
    assert int(answers[2].headers["Retry-After"]) > 0


def test_api_errors_are_json(world):
    app = world["app"]
    app.config["PROPAGATE_INTERNAL_ERRORS"] = False

    @app.get("/api/test-crash")
    def crash():
        raise RuntimeError("boom")

    client = app.test_client()
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong = client.get("/api/auth/token")
    assert wrong.status_code == 405 and wrong.get_json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    unauthorised = client.post("/api/sync/push", json={})
    assert unauthorised.status_code == 401 and unauthorised.get_json()["error"]
    crashed = client.get("/api/test-crash")
    assert crashed.status_code == 500
    assert crashed.get_json() == {
        "error": "internal_error",
        "message": "server error; it has been logged",
    }


def test_token_checked_requests_do_not_wait_on_a_held_lock(world):
    """A device's read (pull, /me) while another writer holds the lock: the token's
    last-used note is skipped after a short wait, never a 500 or the whole busy timeout."""
    app, path = world["app"], world["app"].config["DATABASE"]
    app.config["DATABASE_BUSY_TIMEOUT_MS"] = 3000
    client = app.test_client()
    token = client.post(
        "/api/auth/token", json={"username": "am", "password": PASSWORD}
    ).get_json()["access_token"]
    with sqlite3.connect(path) as conn:  # last used long ago: this request notes it
        conn.execute("UPDATE api_token SET last_used_at = '2026-01-01T00:00:00.000Z'")
    other = _hold_lock(path)
    try:
        started = time.monotonic()
        resp = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 200
    assert elapsed < 1.5

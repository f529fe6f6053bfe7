"""Passwords (ASVS 5.0 §6.2), changing one's own, forced changes, the per-account lockout,
the audit of every sign-in, and boolean settings."""

import pytest

from server import create_app
from server.db import connect
from server.ids import now_utc
from tests import factories
from tests.conftest import Auth, csrf_token, make_app

HX = {"HX-Request": "true"}
NEW = "lantern over the river"


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("aaaaaaaa", "password_too_common"),
        ("12345678", "password_too_common"),
        ("password", "password_too_common"),
        (" PassWord ", "password_too_common"),
        ("woaini1314", "password_too_common"),
        ("1234567", "too_short"),
        ("x" * 129, "password_too_long"),
        ("my-am1-pass", "password_has_username"),
        ("MY-AM1-PASS", "password_has_username"),
        ("x" * 64, None),
        ("y" * 128, None),
        ("外勤通的密码很长", None),  # 8 Chinese characters
        ("correct horse battery staple", None),
        ("aB3$", "too_short"),  # no composition rule makes a short one good
        ("alllowercaseletters", None),  # and none makes a long one bad
    ],
)
def test_the_password_rule(password, problem):
    from server.auth.passwords import password_problem

    assert password_problem(password, "am1") == problem


def test_admin_forms_refuse_common_passwords_beside_the_field(tree, auth, db):
    auth.login("admin")
    url = f"/admin/users/{tree['am1']['id']}/password"
    body = html(auth.post(url, {"password": "12345678"}, headers=HX))
    assert 'data-error="password"' in body
    new = {
        "username": "wang",
        "display_name": "王",
        "role": "technician",
        "org_id": tree["T1"]["id"],
        "password": "wang2026pass",
    }
    body = html(auth.post("/admin/users/new", new, headers=HX))
    assert 'data-error="password"' in body
    assert db.execute("SELECT count(*) FROM app_user WHERE username = 'wang'").fetchone()[0] == 0


# --- changing one's own password ------------------------------------------------------------


def change(auth, current=factories.PASSWORD, new=NEW, again=None, headers=None):
    form = {"current_password": current, "password": new, "password_again": again or new}
    token = csrf_token(auth.client, "/account/password")  # "/" may send to this page
    headers = {"X-CSRFToken": token, **(headers or {})}
    return auth.client.post("/account/password", data=form, headers=headers)


def test_change_password_needs_the_current_one_and_a_good_new_one(tree, auth, db):
    auth.login("am1")
    assert "current_password" in html(auth.client.get("/account/password"))
    cases = [
        ({"current": "wrong one"}, "current_password"),
        ({"new": "password"}, "password"),
        ({"new": "am1-and-more"}, "password"),
        ({"again": "something else"}, "password_again"),
        ({"new": factories.PASSWORD}, "password"),  # the same as now
    ]
    for kwargs, field in cases:
        response = change(auth, **kwargs, headers=HX)
        assert response.status_code == 200, kwargs
        assert f'data-error="{field}"' in html(response), kwargs
    response = change(auth)  # a plain form post
    assert response.status_code == 303
    assert Auth(auth.client.application.test_client()).login("am1", NEW).status_code == 302


def test_change_password_needs_csrf_and_sign_in(tree, client, auth):
    form = {"current_password": factories.PASSWORD, "password": NEW, "password_again": NEW}
    assert client.post("/account/password", data=form).status_code == 400  # no token
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("am1")
    assert client.post("/account/password", data=form).status_code == 400
    bad = {**form, "csrf_token": "forged"}
    assert client.post("/account/password", data=bad).status_code == 400
    assert Auth(client.application.test_client()).login("am1").status_code == 302  # unchanged


def test_an_admin_forces_a_change_at_the_next_sign_in(tree, app, auth, db):
    user = Auth(app.test_client())
    user.login("am1")
    auth.login("admin")
    url = f"/admin/users/{tree['am1']['id']}/require-password-change"
    assert 'data-testid="must-change">' in html(auth.post(url, headers=HX))
    # An open session goes to the change page before anything else, and so does a new one.
    for response in (user.client.get("/customers/"), user.login("am1")):
        assert response.status_code == 302
        assert "/account/password" in response.headers["Location"]
    assert user.client.get("/account/password").status_code == 200
    device = app.test_client().post(
        "/api/auth/token", json={"username": "am1", "password": factories.PASSWORD}
    )
    assert device.status_code == 403
    assert change(user).status_code == 303
    assert user.client.get("/customers/").status_code == 200
    assert (
        db.execute("SELECT must_change_password FROM app_user WHERE username = 'am1'").fetchone()[
            0
        ]
        == 0
    )


# --- lockout ----------------------------------------------------------------------------


def wrong(client, username="victim", password="guess-guess"):  # noqa: S107
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def test_the_lockout_is_shared_by_every_worker_and_backs_off(tmp_path):
    """Two app instances on one database stand for two worker processes."""
    workers = [make_app(tmp_path, SESSION_COOKIE_SECURE=False) for _ in range(2)]
    db = connect(workers[0].config["DATABASE"])
    victim = factories.make_user(db, factories.make_org(db, "province"), username="victim")
    clients = [w.test_client() for w in workers]
    threshold = workers[0].config["LOGIN_LOCKOUT_THRESHOLD"]
    codes = [wrong(clients[i % 2]).status_code for i in range(threshold)]
    assert codes == [401] * threshold
    right = Auth(clients[1]).login("victim")
    assert right.status_code == 429 and int(right.headers["Retry-After"]) <= 60
    device = clients[0].post(
        "/api/auth/token", json={"username": "victim", "password": factories.PASSWORD}
    )
    assert device.status_code == 429 and device.get_json()["error"] == "account_locked"
    row = db.execute("SELECT * FROM sign_in_lockout").fetchone()
    assert row["failures"] == threshold

    db.execute("UPDATE sign_in_lockout SET locked_until = ?", [now_utc(-1)])
    assert wrong(clients[0]).status_code == 401  # one more failure: twice the wait
    assert 100 < int(Auth(clients[0]).login("victim").headers["Retry-After"]) <= 120

    db.execute("UPDATE sign_in_lockout SET locked_until = ?", [now_utc(-1)])
    assert Auth(clients[1]).login("victim").status_code == 302
    assert db.execute("SELECT count(*) FROM sign_in_lockout").fetchone()[0] == 0  # cleared
    assert victim["id"]
    db.conn.close()


def test_unknown_usernames_lock_the_same_way(tree, client, app):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for name in ("am2", "nobody-here"):
        codes = [wrong(client, name).status_code for _ in range(threshold + 1)]
        assert codes == [401] * threshold + [429], name


def test_admins_see_and_clear_the_lockout(tree, app, auth, db):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    other = app.test_client()
    for _ in range(threshold):
        wrong(other, "am1")
    auth.login("admin")
    page = html(auth.client.get(f"/admin/users/{tree['am1']['id']}"))
    assert f'data-testid="failures">{threshold}' in page
    assert 'data-testid="locked">' in page and 'data-testid="locked">否' not in page
    body = html(auth.post(f"/admin/users/{tree['am1']['id']}/unlock", headers=HX))
    assert 'data-testid="failures">0' in body
    assert Auth(other).login("am1").status_code == 302


def test_every_sign_in_is_audited_web_and_device(tree, app, db):
    client = app.test_client()
    wrong(client, "am1")
    Auth(client).login("am1")
    client.post("/api/auth/token", json={"username": "am1", "password": "nope-nope"})
    client.post("/api/auth/token", json={"username": "am1", "password": factories.PASSWORD})
    wrong(client, "nobody-here")
    entries = db.execute(
        "SELECT action, entity_id, after, ip FROM audit_log WHERE action LIKE 'sign_in%'"
        " ORDER BY id"
    ).fetchall()
    got = [(e["action"], '"device"' in e["after"], e["entity_id"]) for e in entries]
    am1 = tree["am1"]["id"]
    assert got == [
        ("sign_in_failed", False, am1),
        ("sign_in", False, am1),
        ("sign_in_failed", True, am1),
        ("sign_in", True, am1),
        ("sign_in_failed", False, None),
    ]
    assert all(e["ip"] == "127.0.0.1" for e in entries)
    assert "nobody-here" in entries[-1]["after"]
    assert all("nope-nope" not in e["after"] for e in entries)


# --- boolean settings -------------------------------------------------------------------


@pytest.fixture
def env_app(tmp_path, monkeypatch):
    """create_app as `flask run` calls it: settings from FIELDBOOK_* variables."""
    monkeypatch.setenv("FIELDBOOK_DATABASE", str(tmp_path / "env.db"))
    monkeypatch.setenv("FIELDBOOK_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("FIELDBOOK_SECRET_KEY", "env-secret")

    def build(**env):
        for key, value in env.items():
            monkeypatch.setenv(f"FIELDBOOK_{key}", value)
        return create_app()

    return build


@pytest.mark.parametrize(
    ("raw", "value"),
    [("0", False), ("1", True), ("false", False), ("Yes", True), ("off", False), ("on", True)],
)
def test_boolean_settings_read_as_booleans(env_app, raw, value):
    app = env_app(SESSION_COOKIE_SECURE=raw, TESTING="true")
    assert app.config["SESSION_COOKIE_SECURE"] is value


def test_make_runs_cookie_setting_sends_no_secure_attribute(env_app):
    app = env_app(SESSION_COOKIE_SECURE="0", TESTING="1")
    upgrade_db(app)
    response = app.test_client().get("/login")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "secure" not in cookie.lower()


def upgrade_db(app):
    from server.migrations import upgrade

    db = connect(app.config["DATABASE"])
    upgrade(db)
    db.conn.close()


@pytest.mark.parametrize("raw", ["2", "maybe", "[]", "0.5"])
def test_a_boolean_setting_that_is_no_boolean_stops_the_start(env_app, raw):
    with pytest.raises(ValueError, match="SESSION_COOKIE_SECURE must be a boolean"):
        env_app(SESSION_COOKIE_SECURE=raw)

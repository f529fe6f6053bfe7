"""Security behaviour: CSRF, login rate limits, disabling users, cookies, device tokens,
password hashes."""

import subprocess
import sys

import pytest

from server.db import connect
from tests import factories
from tests.conftest import CSRF_META, Auth, csrf_token, make_app

HX = {"HX-Request": "true"}


def one_user(app, role="account_manager", username="someone"):
    db = connect(app.config["DATABASE"])
    org = factories.make_org(db, "province")
    user = factories.make_user(db, org, role, username=username)
    db.conn.close()
    return user


def issue(client, username, password=factories.PASSWORD, device="测试手机"):
    body = {"username": username, "password": password, "device_name": device}
    return client.post("/api/auth/token", json=body)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- CSRF -------------------------------------------------------------------------------


@pytest.fixture
def admin_edit(tree, auth):
    """The admin signed in, and a valid edit of am1 to post."""
    auth.login("admin")
    url = f"/admin/users/{tree['am1']['id']}/edit"
    data = {"display_name": "改名", "role": "account_manager", "org_id": tree["T1"]["id"]}
    return url, data


def test_form_post_without_csrf_token_is_rejected(admin_edit, client, db, tree):
    url, data = admin_edit
    assert client.post(url, data=data).status_code == 400
    name = db.execute("SELECT display_name FROM app_user WHERE id = ?", [tree["am1"]["id"]])
    assert name.fetchone()[0] != "改名"


def test_htmx_post_without_csrf_header_is_rejected(admin_edit, client):
    url, data = admin_edit
    assert client.post(url, data=data, headers=HX).status_code == 400
    bad = {**HX, "X-CSRFToken": "forged"}
    assert client.post(url, data=data, headers=bad).status_code == 400


def test_htmx_post_with_csrf_header_is_accepted(admin_edit, auth, db, tree):
    url, data = admin_edit
    response = auth.post(url, data, headers=HX)
    assert response.status_code == 204
    name = db.execute("SELECT display_name FROM app_user WHERE id = ?", [tree["am1"]["id"]])
    assert name.fetchone()[0] == "改名"


def test_form_post_with_csrf_field_is_accepted(admin_edit, client):
    url, data = admin_edit
    token = csrf_token(client, url)
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 303


def test_login_form_needs_csrf(tree, client):
    response = client.post("/login", data={"username": "am1", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


# --- rate limits ------------------------------------------------------------------------


def test_login_is_rate_limited(tmp_path):
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=False, LOGIN_RATE_LIMIT="3 per minute")
    one_user(app, username="victim")
    client = app.test_client()
    token = csrf_token(client)
    wrong = {"username": "victim", "password": "guess", "csrf_token": token}
    assert [client.post("/login", data=wrong).status_code for _ in range(3)] == [401] * 3
    assert client.post("/login", data=wrong).status_code == 429
    right = {**wrong, "password": factories.PASSWORD}
    assert client.post("/login", data=right).status_code == 429  # even the right one waits
    assert client.get("/login").status_code == 200  # only POST is limited


def test_device_token_endpoint_is_rate_limited(tmp_path):
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=False, LOGIN_RATE_LIMIT="3 per minute")
    one_user(app, username="victim")
    client = app.test_client()
    codes = [issue(client, "victim", "guess").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert issue(client, "victim").status_code == 429


# --- disabling a user -------------------------------------------------------------------


def test_disabling_a_user_ends_their_sessions_and_devices_at_once(app, tree):
    user_client = app.test_client()
    user = Auth(user_client)
    assert user.login("am1").status_code == 302
    assert user_client.get("/").status_code == 200
    pair = issue(user_client, "am1").get_json()
    assert user_client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 200

    admin = Auth(app.test_client())
    admin.login("admin")
    url = f"/admin/users/{tree['am1']['id']}/active"
    assert admin.post(url, {"active": "0"}, headers=HX).status_code == 200

    response = user_client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert user_client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 401
    refreshed = user_client.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert user.login("am1").status_code == 401
    assert issue(user_client, "am1").status_code == 401
    assert user_client.get("/").status_code == 302


def test_reenabled_user_signs_in_but_old_devices_stay_signed_out(app, tree):
    user_client = app.test_client()
    pair = issue(user_client, "tech1").get_json()
    admin = Auth(app.test_client())
    admin.login("admin")
    url = f"/admin/users/{tree['tech1']['id']}/active"
    admin.post(url, {"active": "0"}, headers=HX)
    admin.post(url, {"active": "1"}, headers=HX)
    assert Auth(user_client).login("tech1").status_code == 302
    assert user_client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 401


# --- cookies ----------------------------------------------------------------------------


def test_session_cookie_is_secure_httponly_and_samesite_lax(tmp_path):
    app = make_app(tmp_path)  # the default config: SESSION_COOKIE_SECURE is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    one_user(app, username="cookie")
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    data = {"username": "cookie", "password": factories.PASSWORD, "csrf_token": token}
    https = {"base_url": "https://localhost"}
    # Over HTTPS, Flask-WTF also wants a same-origin Referer.
    assert client.post("/login", data=data, **https).status_code == 400
    foreign = {"Referer": "https://evil.example/login"}
    assert client.post("/login", data=data, headers=foreign, **https).status_code == 400
    own = {"Referer": "https://localhost/login"}
    response = client.post("/login", data=data, headers=own, **https)
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    flags = [part.strip() for part in cookies[0].split(";")]
    assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags
    assert client.get("/", base_url="https://localhost").status_code == 200


# --- device tokens ----------------------------------------------------------------------


def test_token_issue_use_and_refresh_rotation(tree, client):
    assert issue(client, "am1", "wrong").status_code == 401
    pair = issue(client, "am1").get_json()
    me = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.get_json()["user"]["username"] == "am1"
    assert "password_hash" not in me.get_json()["user"]
    assert client.get("/api/auth/me").status_code == 401

    new = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert new.status_code == 200
    new = new.get_json()
    assert new["token_id"] == pair["token_id"]
    assert new["refresh_token"] != pair["refresh_token"]
    assert client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 401
    assert client.get("/api/auth/me", headers=bearer(new["access_token"])).status_code == 200
    again = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401  # the old refresh token is spent
    # ... and presenting it again revokes the family (tests/test_accounts.py)
    assert client.get("/api/auth/me", headers=bearer(new["access_token"])).status_code == 401


def test_revoking_a_device_from_the_account_page(tree, app, client, auth):
    mine = issue(client, "am1", device="我的手机").get_json()
    theirs = issue(client, "am2", device="别人的手机").get_json()
    auth.login("am1")
    page = client.get("/account/devices").get_data(as_text=True)
    assert "我的手机" in page and "别人的手机" not in page

    other = auth.post(f"/account/devices/{theirs['token_id']}/revoke", headers=HX)
    assert other.status_code == 404
    assert client.get("/api/auth/me", headers=bearer(theirs["access_token"])).status_code == 200

    response = auth.post(f"/account/devices/{mine['token_id']}/revoke", headers=HX)
    assert response.status_code == 200 and 'id="devices"' in response.get_data(as_text=True)
    assert client.get("/api/auth/me", headers=bearer(mine["access_token"])).status_code == 401
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert refreshed.status_code == 401


def test_revoke_without_csrf_header_is_rejected(tree, client, auth):
    mine = issue(client, "am1").get_json()
    auth.login("am1")
    response = client.post(f"/account/devices/{mine['token_id']}/revoke", headers=HX)
    assert response.status_code == 400
    assert client.get("/api/auth/me", headers=bearer(mine["access_token"])).status_code == 200


# --- password hashes --------------------------------------------------------------------


def test_a_server_process_hashes_with_argon2s_recommended_parameters():
    """The suite hashes cheaply in its own process (conftest); a server never does."""
    code = (
        "from server.auth.passwords import hash_password, verify_password;"
        "h = hash_password('x' * 12); assert verify_password(h, 'x' * 12); print(h)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    # argon2-cffi's default: RFC 9106's low-memory choice (64 MiB, 3 passes, 4 lanes).
    assert out.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), out


def test_password_hashes_are_argon2id_and_never_reach_the_audit_log(tree, auth, client, db):
    auth.login("admin")
    new = {
        "username": "hashcheck",
        "display_name": "哈希",
        "role": "technician",
        "org_id": tree["T1"]["id"],
        "password": "first password",
    }
    assert auth.post("/admin/users/new", new, headers=HX).status_code == 204
    user_id = db.execute("SELECT id FROM app_user WHERE username = 'hashcheck'").fetchone()[0]
    auth.post(f"/admin/users/{user_id}/password", {"password": "second password"}, headers=HX)
    auth.post(f"/admin/users/{user_id}/active", {"active": "0"}, headers=HX)

    hashes = [r[0] for r in db.execute("SELECT password_hash FROM app_user")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    actions = {
        r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity_id = ?", [user_id])
    }
    assert {"create", "set_password", "disable"} <= actions
    for before, after in db.execute("SELECT before, after FROM audit_log"):
        for text in (before or "", after or ""):
            assert "$argon2" not in text and "password_hash" not in text
    page = client.get("/admin/audit", query_string={"entity_id": user_id}).get_data(as_text=True)
    assert "set_password" in page and "$argon2" not in page

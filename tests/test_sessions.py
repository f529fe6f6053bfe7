"""Sessions and device tokens end when they should: logout, password change and reset,
disabling; idle and absolute lifetimes; refresh-token reuse revokes the token family."""

from server.db import connect
from server.ids import now_utc
from tests import factories
from tests.conftest import Auth, signed_in

HX = {"HX-Request": "true"}
NEW_PASSWORD = "a brand new passphrase"


def issue(client, username, password=factories.PASSWORD):
    body = {"username": username, "password": password, "device_name": "测试手机"}
    return client.post("/api/auth/token", json=body)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def copy_of(app, auth: Auth):
    """Another browser holding a copy of the session cookie (stolen, or a second tab)."""
    thief = app.test_client()
    thief.set_cookie("session", auth.client.get_cookie("session").value, domain="localhost")
    return thief


def sees_home(client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def device_works(client, pair) -> tuple[bool, bool]:
    """Whether the access token answers, and whether the refresh token still rotates."""
    me = client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    return me == 200, refreshed.status_code == 200


# --- ending sessions -----------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_logout(app, tree):
    auth = signed_in(app, "sup_city")
    thief = copy_of(app, auth)
    assert sees_home(thief)
    assert auth.logout().status_code == 302
    assert not sees_home(auth.client)
    assert not sees_home(thief)  # the server ended the session, not just the browser


def test_logout_is_audited_and_the_session_row_ended(app, db, tree):
    auth = signed_in(app, "sup_city")
    auth.logout()
    row = db.execute("SELECT ended_at, ended_reason FROM web_session").fetchone()
    assert row["ended_at"] and row["ended_reason"] == "logout"
    actions = [
        r[0]
        for r in db.execute(
            "SELECT action FROM audit_log WHERE entity_id = ?", [tree["sup_city"]["id"]]
        )
    ]
    assert actions[-2:] == ["sign_in", "sign_out"]


def test_an_idle_session_ends(app, db, tree):
    auth = signed_in(app, "sup_city")
    idle = app.config["SESSION_IDLE_MINUTES"]
    db.execute("UPDATE web_session SET last_seen_at = ?", [now_utc(-(idle + 1) * 60)])
    assert not sees_home(auth.client)
    assert db.execute("SELECT ended_reason FROM web_session").fetchone()[0] == "idle"


def test_a_session_in_use_ends_at_its_absolute_lifetime(app, db, tree):
    auth = signed_in(app, "sup_city")
    hours = app.config["SESSION_MAX_HOURS"]
    db.execute("UPDATE web_session SET created_at = ?", [now_utc(-(hours * 3600 + 60))])
    assert not sees_home(auth.client)
    assert db.execute("SELECT ended_reason FROM web_session").fetchone()[0] == "expired"


def test_last_seen_is_written_at_most_once_a_minute(app, db, tree):
    auth = signed_in(app, "sup_city")
    first = db.execute("SELECT last_seen_at FROM web_session").fetchone()[0]
    for _ in range(5):
        assert sees_home(auth.client)
    assert db.execute("SELECT last_seen_at FROM web_session").fetchone()[0] == first
    db.execute("UPDATE web_session SET last_seen_at = ?", [now_utc(-61)])
    assert sees_home(auth.client)
    assert db.execute("SELECT last_seen_at FROM web_session").fetchone()[0] > first


def test_lifetimes_are_settings(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, SESSION_COOKIE_SECURE=False, SESSION_IDLE_MINUTES=1)
    db = connect(app.config["DATABASE"])
    factories.make_user(db, factories.make_org(db, "province"), "supervisor", username="desk")
    auth = signed_in(app, "desk")
    db.execute("UPDATE web_session SET last_seen_at = ?", [now_utc(-90)])
    assert not sees_home(auth.client)
    db.conn.close()


# --- password change and reset end sessions and device tokens -----------------------------


def test_admin_reset_ends_sessions_and_revokes_device_tokens(app, db, tree):
    user = signed_in(app, "am1")
    pair = issue(user.client, "am1").get_json()
    assert device_works(user.client, pair) == (True, True)
    pair = issue(user.client, "am1").get_json()  # a fresh pair: the check above rotated it
    admin = signed_in(app, "admin")
    url = f"/admin/users/{tree['am1']['id']}/password"
    form = {"password": NEW_PASSWORD, "must_change": "1"}  # the box is ticked by default
    assert admin.post(url, form, headers=HX).status_code == 200
    assert not sees_home(user.client)
    assert device_works(user.client, pair) == (False, False)
    assert issue(user.client, "am1").status_code == 401
    refused = issue(user.client, "am1", NEW_PASSWORD)  # right, but it must be changed first
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "password_change_required"
    assert sees_home(admin.client)  # the admin's own session is untouched


def test_own_password_change_signs_out_other_sessions_and_devices(app, db, tree):
    me = signed_in(app, "am1")
    other = signed_in(app, "am1")
    pair = issue(me.client, "am1").get_json()
    form = {
        "current_password": factories.PASSWORD,
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    response = me.post("/account/password", form)
    assert response.status_code == 303
    assert sees_home(me.client)  # this browser goes on, with a new session
    assert not sees_home(other.client)
    assert device_works(me.client, pair) == (False, False)
    assert issue(me.client, "am1", NEW_PASSWORD).status_code == 200
    ended = db.execute("SELECT ended_reason FROM web_session WHERE ended_at IS NOT NULL")
    assert {r[0] for r in ended} == {"password_changed"}


def test_disabling_ends_the_server_side_sessions(app, db, tree):
    user = signed_in(app, "am1")
    thief = copy_of(app, user)
    admin = signed_in(app, "admin")
    admin.post(f"/admin/users/{tree['am1']['id']}/active", {"active": "0"}, headers=HX)
    admin.post(f"/admin/users/{tree['am1']['id']}/active", {"active": "1"}, headers=HX)
    assert not sees_home(user.client) and not sees_home(thief)  # enabling revives none


# --- refresh-token reuse ------------------------------------------------------------------


def test_reusing_a_rotated_refresh_token_revokes_the_family_and_is_audited(app, db, tree):
    client = app.test_client()
    stolen = issue(client, "am1").get_json()
    other_device = issue(client, "am1").get_json()
    legit = client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    legit = legit.get_json()
    assert client.get("/api/auth/me", headers=bearer(legit["access_token"])).status_code == 200

    reuse = client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert reuse.status_code == 401 and reuse.get_json()["error"] == "invalid_refresh"
    assert device_works(client, legit) == (False, False)  # the whole family is revoked
    assert device_works(client, other_device) == (True, True)  # another sign-in is not
    entry = db.execute(
        "SELECT * FROM audit_log WHERE action = 'refresh_reuse' AND entity_id = ?",
        [stolen["token_id"]],
    ).fetchone()
    assert entry is not None and entry["ip"] == "127.0.0.1"
    assert '"family_revoked": true' in entry["after"]


def test_reuse_of_an_older_token_of_the_family_is_detected_too(app, db, tree):
    client = app.test_client()
    first = issue(client, "am1").get_json()
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    third = client.post(
        "/api/auth/refresh", json={"refresh_token": second.get_json()["refresh_token"]}
    )
    third = third.get_json()
    client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert device_works(client, third) == (False, False)


def test_an_unknown_refresh_token_is_refused_without_side_effects(app, db, tree):
    client = app.test_client()
    pair = issue(client, "am1").get_json()
    unknown = client.post("/api/auth/refresh", json={"refresh_token": "x" * 40})
    assert unknown.status_code == 401
    assert device_works(client, pair) == (True, True)
    assert (
        db.execute("SELECT count(*) FROM audit_log WHERE action = 'refresh_reuse'").fetchone()[0]
        == 0
    )

"""A phone with unsynced work while its user's password is reset, changed, or they sign out
on the web (Chromium): sessions and tokens end, nothing unsynced is lost, the phone asks to
sign in again and then syncs its outbox once (issue 13)."""

from pathlib import Path

import pytest
import requests

from server.auth.model import set_password
from server.auth.passwords import verify_password
from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from tests.browser import compile_catalogues, demo_app, sign_in, translations, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long field phrase 42"
TEMP_PASSWORD = "temporary phrase 7 from the admin"
CASES = ["admin_reset", "own_change", "web_logout"]

AGAIN_FORM = "form[data-form=login][data-again='1']"
IDLE = "document.querySelector('#sync-status').dataset.state === 'idle'"

# The phone's outbox read straight from IndexedDB (not through the app's own code).
OUTBOX = """async (userId) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open(`fieldbook-user-${userId}`);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const rows = await new Promise((resolve, reject) => {
    const r = db.transaction(["outbox"]).objectStore("outbox").getAll();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return rows.filter((m) => m.status === "pending").map((m) => ({ name: m.name, id: m.args.id }));
}"""


@pytest.fixture(scope="module")
def field_app(tmp_path_factory):
    directory = tmp_path_factory.mktemp("resignin")
    app = demo_app(directory, compile_catalogues(directory / "translations"))
    # Each case signs in several times from 127.0.0.1 (phone, web, admin, phone again).
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    server = LiveServer(app).start()
    yield app, server
    server.stop()


def account_managers(app) -> list[dict]:
    """One account manager per test (each changes its user's password), with a customer."""
    db = connect(app.config["DATABASE"])
    rows = db.execute(
        "SELECT u.id AS user_id, u.username, min(c.id) AS customer_id, c.lat, c.lon"
        " FROM app_user u JOIN customer c ON c.account_manager_id = u.id"
        " WHERE u.role = 'account_manager' AND u.active = 1"
        " GROUP BY u.id ORDER BY u.username LIMIT 4"
    ).fetchall()
    db.conn.close()
    assert len(rows) == 4
    return [dict(r) for r in rows]


def web_sign_in(context, server, username, password=DEMO_PASSWORD):
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def cookie_copy(context, server) -> requests.Session:
    """A copy of a browser's cookies in another client: what a stolen cookie could do."""
    copy = requests.Session()
    for c in context.cookies(server.url):
        copy.cookies.set(c["name"], c["value"], domain=c["domain"], path=c["path"])
    return copy


def signed_in(copy: requests.Session, server) -> bool:
    response = copy.get(server.url + "/", allow_redirects=False, timeout=10)
    if response.status_code == 200:
        return True
    assert response.status_code in (302, 303), response.status_code
    assert "/login" in response.headers["Location"]
    return False


def token_works(server, access_token) -> bool:
    headers = {"Authorization": f"Bearer {access_token}"}
    response = requests.get(server.url + "/api/auth/me", headers=headers, timeout=10)
    assert response.status_code in (200, 401), response.status_code
    return response.status_code == 200


def refresh_works(server, refresh_token) -> bool:
    body = {"refresh_token": refresh_token}
    response = requests.post(server.url + "/api/auth/refresh", json=body, timeout=10)
    assert response.status_code in (200, 401), response.status_code
    return response.status_code == 200


def server_counts(app, visit_id, client_id) -> tuple[int, int]:
    db = connect(app.config["DATABASE"])
    visits = db.execute("SELECT count(*) FROM visit WHERE id = ?", [visit_id]).fetchone()[0]
    logged = db.execute(
        "SELECT count(*) FROM mutation_log WHERE client_id = ? AND name = 'visit.check_in'",
        [client_id],
    ).fetchone()[0]
    db.conn.close()
    return visits, logged


@pytest.mark.parametrize("case", CASES)
def test_unsynced_work_survives_the_end_of_sessions_and_tokens(chromium, field_app, case):
    app, server = field_app
    who = account_managers(app)[CASES.index(case)]
    phone = chromium.new_context(
        geolocation={"latitude": who["lat"], "longitude": who["lon"], "accuracy": 12},
        permissions=["geolocation"],
    )
    web = chromium.new_context()
    admin = chromium.new_context()
    try:
        page = phone.new_page()
        sign_in(page, server, who["username"])
        session = page.evaluate("window.fieldbook.session")
        assert token_works(server, session["access_token"])

        web_page = web_sign_in(web, server, who["username"])
        old_cookie = cookie_copy(web, server)
        assert signed_in(old_cookie, server)

        # Offline, the phone checks in at a customer: the change waits in its outbox.
        phone.set_offline(True)
        page.evaluate(f"window.fieldbook.go('/m/customers/{who['customer_id']}')")
        page.click("[data-action=start-visit]")
        wait_for(
            page,
            "document.querySelector('#sync-status').dataset.unsynced === '1'"
            " && document.querySelector('#sync-status').dataset.state === 'offline'",
        )
        pending = page.evaluate(OUTBOX, who["user_id"])
        assert [m["name"] for m in pending] == ["visit.check_in"]
        visit_id = pending[0]["id"]

        if case == "admin_reset":
            admin_page = web_sign_in(admin, server, "admin")
            admin_page.goto(f"{server.url}/admin/users/{who['user_id']}")
            # As an admin usually does: a temporary password, to be changed at next sign-in.
            admin_page.fill("#user-password input[name=password]", TEMP_PASSWORD)
            assert admin_page.is_checked("#user-password input[name=must_change]")
            admin_page.click("#user-password button[type=submit]")
            admin_page.wait_for_selector("#user-password .flash")
        elif case == "own_change":
            web_page.goto(server.url + "/account/password")
            web_page.fill("input[name=current_password]", DEMO_PASSWORD)
            web_page.fill("input[name=password]", NEW_PASSWORD)
            web_page.fill("input[name=password_again]", NEW_PASSWORD)
            web_page.click("#password-form button[type=submit]")
            web_page.wait_for_url(lambda url: "/account/password" not in url)
            # The browser that changed it stays signed in, on a new session.
            assert signed_in(cookie_copy(web, server), server)
        else:
            web_page.click("form.logout button[type=submit]")
            web_page.wait_for_url(lambda url: "/login" in url)

        # The web session is over for any copy of its cookie, in every case.
        assert not signed_in(old_cookie, server)
        tokens_end = case != "web_logout"  # signing out on the web ends that session only
        assert token_works(server, session["access_token"]) is not tokens_end
        assert server_counts(app, visit_id, session["client_id"]) == (0, 0)

        phone.set_offline(False)
        if not tokens_end:
            wait_for(
                page, f"{IDLE} && document.querySelector('#sync-status').dataset.unsynced === '0'"
            )
            assert page.query_selector(AGAIN_FORM) is None
            assert server_counts(app, visit_id, session["client_id"]) == (1, 1)
            return

        # Back online, the phone's sync meets 401 (refresh too): it asks for the password.
        page.wait_for_selector(AGAIN_FORM)
        username = page.locator(f"{AGAIN_FORM} input[name=username]")
        assert username.input_value() == who["username"]
        assert username.get_attribute("readonly") is not None
        assert page.get_attribute("#sync-status", "data-state") == "signin"
        assert page.get_attribute("#sync-status", "data-unsynced") == "1"
        assert not refresh_works(server, session["refresh_token"])

        # A reload on that form keeps the form and the outbox.
        page.reload()
        page.wait_for_selector(AGAIN_FORM)
        assert page.evaluate(OUTBOX, who["user_id"]) == pending
        assert page.get_attribute("#sync-status", "data-unsynced") == "1"
        assert server_counts(app, visit_id, session["client_id"]) == (0, 0)
        # ... offline too: the phone remembers that its tokens were refused.
        phone.set_offline(True)
        page.reload()
        page.wait_for_selector(AGAIN_FORM)
        assert page.evaluate(OUTBOX, who["user_id"]) == pending
        phone.set_offline(False)

        if case == "admin_reset":
            # The temporary password is not enough on the phone: it says to change it first,
            # on the website (a forced change there), then to sign in here with the new one.
            page.fill(f"{AGAIN_FORM} input[name=password]", TEMP_PASSWORD)
            page.click(f"{AGAIN_FORM} button[type=submit]")
            zh = translations(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]), "zh_CN")
            change_first = zh.gettext(
                "Your password must be changed first: sign in on the website to choose a new"
                " one, then sign in here with it."
            )
            page.wait_for_selector(f"{AGAIN_FORM} .error:not(:empty)")
            assert page.text_content(f"{AGAIN_FORM} .error") == change_first
            assert change_first.startswith("需要")  # translated
            assert page.evaluate(OUTBOX, who["user_id"]) == pending
            web_page = web_sign_in(web, server, who["username"], TEMP_PASSWORD)
            assert "/account/password" in web_page.url
            web_page.fill("input[name=current_password]", TEMP_PASSWORD)
            web_page.fill("input[name=password]", NEW_PASSWORD)
            web_page.fill("input[name=password_again]", NEW_PASSWORD)
            web_page.click("#password-form button[type=submit]")
            web_page.wait_for_url(lambda url: "/account/password" not in url)

        # A sync trigger (the timer, `online`, the app coming back into view) while the user
        # types the password does not redraw the form and wipe it.
        page.fill(f"{AGAIN_FORM} input[name=password]", "half-typ")
        page.evaluate("window.fieldbook.sync.schedule({ now: true })")
        assert page.input_value(f"{AGAIN_FORM} input[name=password]") == "half-typ"

        # Signed in again with the new password: same device, same outbox, synced once.
        page.fill(f"{AGAIN_FORM} input[name=password]", NEW_PASSWORD)
        page.click(f"{AGAIN_FORM} button[type=submit]")
        wait_for(
            page, f"{IDLE} && document.querySelector('#sync-status').dataset.unsynced === '0'"
        )
        assert page.query_selector("form[data-form=login]") is None
        again = page.evaluate("window.fieldbook.session")
        assert again["client_id"] == session["client_id"]
        assert again["access_token"] != session["access_token"]
        assert token_works(server, again["access_token"])
        assert page.evaluate(OUTBOX, who["user_id"]) == []
        assert server_counts(app, visit_id, session["client_id"]) == (1, 1)
    finally:
        admin.close()
        web.close()
        phone.close()


def test_a_busy_refresh_is_waited_out_not_taken_for_a_refusal(chromium, field_app):
    """A 401 on sync then a 503 (a proxy) or 429 (the sign-in limiter) on refresh: the
    tokens were not refused, so the phone waits and tries again; it does not ask to sign in."""
    app, server = field_app
    who = account_managers(app)[0]
    context = chromium.new_context(service_workers="block")  # so that routes see the fetches
    refreshes = []

    def expired_once(route):
        if not refreshes:
            route.fulfill(status=401, content_type="application/json", body='{"error": "x"}')
        else:
            route.continue_()

    def busy_once(route):
        refreshes.append(route.request.url)
        if len(refreshes) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1"}, body="<h1>busy</h1>")
        else:
            route.continue_()

    try:
        page = context.new_page()
        page.goto(server.url + "/m/")
        page.fill("input[name=username]", who["username"])
        page.fill("input[name=password]", current_password(app, who))
        page.click("[data-form=login] button[type=submit]")
        wait_for(page, f"window.fieldbook.lastSync && {IDLE}")
        page.route("**/api/sync/pull", expired_once)
        page.route("**/api/auth/refresh", busy_once)
        page.evaluate("window.fieldbook.sync.schedule({ now: true })")
        wait_for(page, "document.querySelector('#sync-status').dataset.state === 'waiting'")
        wait_for(page, f"{IDLE}", timeout=15000)
        assert len(refreshes) == 1  # the retry found the token good: no second refresh
        assert page.query_selector("form[data-form=login]") is None
        assert not page.evaluate("window.fieldbook.session.signin_needed")
    finally:
        context.close()


def current_password(app, who) -> str:
    """The demo password, or the new one if a case above already changed it."""
    db = connect(app.config["DATABASE"])
    row = db.execute("SELECT password_hash FROM app_user WHERE id = ?", [who["user_id"]])
    hashed = row.fetchone()[0]
    db.conn.close()
    return DEMO_PASSWORD if verify_password(hashed, DEMO_PASSWORD) else NEW_PASSWORD


def test_a_form_open_when_the_tokens_end_is_kept_then_saved_and_synced(chromium, field_app):
    """Tokens revoked while the user types in a form: the form is not replaced (what was typed
    stays); once saved, the phone asks to sign in, then syncs the saved change."""
    app, server = field_app
    who = account_managers(app)[3]
    phone = chromium.new_context(
        geolocation={"latitude": who["lat"], "longitude": who["lon"], "accuracy": 12},
        permissions=["geolocation"],
    )
    try:
        page = phone.new_page()
        sign_in(page, server, who["username"])
        page.evaluate(f"window.fieldbook.go('/m/customers/{who['customer_id']}')")
        page.click("[data-action=start-visit]")
        page.wait_for_selector("[data-form=visit] textarea[name=notes]")
        wait_for(
            page, f"{IDLE} && document.querySelector('#sync-status').dataset.unsynced === '0'"
        )
        visit_id = page.url.rsplit("/", 1)[1]

        phone.set_offline(True)
        notes = "Met the buyer; wants a quote by Friday"
        page.fill("[data-form=visit] textarea[name=notes]", notes)
        with app.app_context():
            db = connect(app.config["DATABASE"])
            admin_id = db.execute("SELECT id FROM app_user WHERE username = 'admin'").fetchone()[0]
            set_password(db, admin_id, who["user_id"], NEW_PASSWORD, reason="reset")
            db.conn.close()
        phone.set_offline(False)
        wait_for(page, "document.querySelector('#sync-status').dataset.state === 'signin'")
        assert page.query_selector(AGAIN_FORM) is None  # the open form is not replaced
        assert page.input_value("[data-form=visit] textarea[name=notes]") == notes

        page.click("[data-form=visit] button[type=submit]")
        page.wait_for_selector(AGAIN_FORM)
        assert [m["name"] for m in page.evaluate(OUTBOX, who["user_id"])] == ["visit.update"]
        page.fill(f"{AGAIN_FORM} input[name=password]", NEW_PASSWORD)
        page.click(f"{AGAIN_FORM} button[type=submit]")
        wait_for(
            page, f"{IDLE} && document.querySelector('#sync-status').dataset.unsynced === '0'"
        )
        db = connect(app.config["DATABASE"])
        row = db.execute("SELECT notes FROM visit WHERE id = ?", [visit_id]).fetchone()
        db.conn.close()
        assert row[0] == notes
    finally:
        phone.close()

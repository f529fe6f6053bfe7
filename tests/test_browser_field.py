"""The field app in real Chromium: installable, offline visits with photos, safe updates."""

import hashlib
import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from server.db import connect
from tests.browser import (
    an_account_manager,
    compile_catalogues,
    demo_app,
    jpeg_file,
    sign_in,
    unsynced,
    wait_for,
)
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def field_app(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    server = LiveServer(app).start()
    yield app, server
    server.stop()


def test_offline_visit_with_gps_and_photos_survives_reload_and_syncs_once(
    chromium, field_app, tmp_path
):
    app, server = field_app
    who = an_account_manager(app)
    context = chromium.new_context(
        geolocation={"latitude": who["lat"] + 0.0005, "longitude": who["lon"], "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    sign_in(page, server, who["username"])
    page.click("a[href='/m/customers']")
    page.click(f"a[href='/m/customers/{who['id']}']")
    page.wait_for_selector("[data-action=start-visit]")

    server.stop()  # the server is gone: connection refused from here on
    page.click("[data-action=start-visit]")
    page.wait_for_selector("[data-testid=check-in]")
    # An approximate distance (~56 m) is shown at once, before any server has seen the visit.
    assert re.search(r"\b5\d\b", page.inner_text("[data-testid=check-in]"))
    visit_url = page.url
    page.fill("textarea[name=notes]", "地下室无信号，离线记录")
    page.check("input[name=satisfaction][value='5']")
    page.click("[data-form=visit] button[type=submit]")
    photos = [jpeg_file(tmp_path / f"p{i}.jpg", i) for i in (1, 2)]
    page.set_input_files("input[data-input=photos]", [str(p) for p in photos])
    wait_for(page, "document.querySelectorAll('figure.photo').length === 2")
    page.click("[data-action=check-out]")
    # check-in, the record, two photos, check-out: five changes waiting on the device
    wait_for(page, "document.querySelector('#sync-status').dataset.unsynced === '5'")
    page.wait_for_selector("[data-action=check-out]", state="detached")

    page.reload()  # offline reload: the service worker serves the shell, the replica the data
    page.wait_for_selector("[data-testid=check-in]")
    assert page.url == visit_url
    assert page.input_value("textarea[name=notes]") == "地下室无信号，离线记录"
    assert page.locator("figure.photo").count() == 2
    assert unsynced(page) == 5
    assert page.locator("[data-testid=visit-status] .badge.pending").count() == 1
    device_hashes = sorted(
        page.eval_on_selector_all("figure.photo", "els => els.map(e => e.dataset.sha)")
    )

    server.start()  # back on the same port
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    deadline = time.time() + 20
    db = connect(app.config["DATABASE"])
    while time.time() < deadline:
        done = db.execute("SELECT count(*) FROM blob WHERE state = 'complete'").fetchone()[0]
        if done == 2:
            break
        time.sleep(0.2)
    visits = db.execute("SELECT * FROM visit WHERE customer_id = ?", [who["id"]]).fetchall()
    assert len(visits) == 1
    visit = visits[0]
    assert visit["status"] == "completed" and visit["notes"] == "地下室无信号，离线记录"
    assert visit["satisfaction"] == 5 and visit["check_in_flag"] == "ok"
    assert 40 < visit["check_in_distance_m"] < 70
    rows = db.execute("SELECT sha256 FROM visit_photo WHERE visit_id = ?", [visit["id"]])
    server_hashes = sorted(r[0] for r in rows)
    assert server_hashes == device_hashes and len(set(server_hashes)) == 2
    for sha in server_hashes:
        stored = Path(app.config["BLOB_DIR"]) / sha[:2] / sha
        data = stored.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        with Image.open(io.BytesIO(data)) as img:
            assert max(img.size) == 1600  # compressed on the device
    db.conn.close()
    context.close()


def test_the_app_is_installable(playwright, field_app, tmp_path):
    app, server = field_app
    # A real profile: Chromium never offers installation in an incognito context.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )
    page = context.new_page()
    page.goto(server.url + "/m/")
    wait_for(page, "navigator.serviceWorker.controller !== null", timeout=20000)
    cdp = context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == []
    manifest = page.evaluate("fetch('/m/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    assert manifest["short_name"] == "外勤通"
    context.close()


def test_an_update_waits_while_the_outbox_is_not_empty(chromium, field_app):
    app, server = field_app
    who = an_account_manager(app)
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, who["username"])
    old = page.get_attribute("meta[name=fieldbook-version]", "content")
    # Pushes cannot get through (a dead spot), so the plan stays in the outbox.
    page.route("**/api/sync/push", lambda route: route.abort())
    page.click("a[href='/m/customers']")
    page.click(f"a[href='/m/customers/{who['id']}']")
    page.click("[data-form=plan] button[type=submit]")
    wait_for(page, "document.querySelector('#sync-status').dataset.unsynced === '1'")

    app.config["PWA_VERSION"] = "next-version"  # the server now ships a new app version
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_for(page, "!document.getElementById('banner').hidden", timeout=20000)
    assert page.get_attribute("#banner", "data-blocked") == "true"
    assert page.locator("#banner [data-action=apply-update]").count() == 0
    page.reload()
    page.wait_for_selector("#sync-status[data-unsynced='1']")
    assert page.get_attribute("meta[name=fieldbook-version]", "content") == old

    page.unroute("**/api/sync/push")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#banner [data-action=apply-update]", timeout=20000)
    page.click("#banner [data-action=apply-update]")
    wait_for(
        page,
        "document.querySelector('meta[name=fieldbook-version]').content === 'next-version'",
        timeout=20000,
    )
    context.close()


def test_sign_out_refuses_with_unsynced_work_then_clears_the_device(chromium, field_app):
    app, server = field_app
    who = an_account_manager(app)
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, server, who["username"])
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto(server.url + f"/m/customers/{who['id']}")
    page.click("[data-form=plan] button[type=submit]")
    page.wait_for_selector("#sync-status[data-unsynced='1']")
    page.click("#sync-status")
    page.click("[data-action=sign-out]")
    wait_for(page, "document.querySelector('[data-role=sign-out-error]').textContent.length > 0")
    assert page.locator("[data-form=login]").count() == 0  # still signed in, work kept
    page.unroute("**/api/sync/push")
    page.click("[data-action=sync-now]")
    page.wait_for_selector("#sync-status[data-unsynced='0']")
    page.click("[data-action=sign-out]")
    page.wait_for_selector("[data-form=login]")
    names = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert not [n for n in names if n.startswith("fieldbook-user-")]
    db = connect(app.config["DATABASE"])
    planned = "SELECT count(*) FROM visit WHERE status = 'planned' AND customer_id = ?"
    assert db.execute(planned, [who["id"]]).fetchone()[0] == 1
    db.conn.close()
    # Another user on the same phone sees only their own customers.
    db = connect(app.config["DATABASE"])
    other = db.execute(
        "SELECT username, id FROM app_user WHERE role = 'account_manager' AND username != ?"
        " ORDER BY username LIMIT 1",
        [who["username"]],
    ).fetchone()
    db.conn.close()
    sign_in(page, server, other["username"])
    page.click("a[href='/m/customers']")
    page.wait_for_selector("[data-testid=customer-list] li")
    assert page.locator(f"a[href='/m/customers/{who['id']}']").count() == 0
    context.close()


def test_photos_are_refused_when_storage_is_short(chromium, field_app, tmp_path):
    app, server = field_app
    who = an_account_manager(app)
    context = chromium.new_context(
        geolocation={"latitude": who["lat"], "longitude": who["lon"], "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    sign_in(page, server, who["username"])
    page.goto(server.url + f"/m/customers/{who['id']}")
    page.click("[data-action=start-visit]")
    page.wait_for_selector("input[data-input=photos]", state="attached")
    # The browser reports 1 MB left of its quota.
    page.evaluate(
        "navigator.storage.estimate = async () => ({usage: 99 * 1048576, quota: 100 * 1048576})"
    )
    page.set_input_files("input[data-input=photos]", [str(jpeg_file(tmp_path / "x.jpg", 3))])
    wait_for(page, "document.querySelector('[data-role=photo-error]').textContent.length > 0")
    assert page.locator("figure.photo").count() == 0
    context.close()

"""The field app on a 360×640 phone in real Chromium (issue 17): every tap target at least
44×44 px on the main screens, no page or console error, no horizontal overflow, each screen
opening at its top (a sync's re-render keeps the place), finished work as a read-only
summary, a failed sign-in that keeps the username, a language switch on the sign-in and the
home header, a back control, an honest offline bar, human names on the Sync page."""

import json
import re

import pytest

from server.db import connect
from server.inspections.checklists import ensure_default_templates, items_of
from server.seed.demo import DEMO_PASSWORD
from server.work_orders.model import create_order
from tests.browser import (
    SMALL_TARGETS,
    compile_catalogues,
    demo_app,
    serving,
    sign_in,
    synced,
    wait_for,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
MIN = 44
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
MUTATION_NAME = re.compile(
    r"\b(visit|work_order|contact|customer|care|task|inspection)\.[a-z_]+\b"
)


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone")
    app = demo_app(folder, compile_catalogues(folder / "translations"))
    db = connect(app.config["DATABASE"])
    other = db.execute(
        "SELECT username FROM app_user WHERE role = 'account_manager' ORDER BY username DESC"
    ).fetchone()[0]
    am = db.execute(
        "SELECT u.username, c.id AS customer_id, c.lat, c.lon FROM app_user u"
        " JOIN customer c ON c.account_manager_id = u.id"
        " JOIN contact k ON k.customer_id = c.id AND k.phone != ''"
        " WHERE u.role = 'account_manager' ORDER BY u.username, c.code LIMIT 1"
    ).fetchone()
    tech = db.execute(
        "SELECT u.id, u.username, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' AND o.kind = 'contractor' ORDER BY u.username LIMIT 1"
    ).fetchone()
    site = db.execute(
        "SELECT * FROM site WHERE contractor_id = ? ORDER BY code LIMIT 1", [tech["org_id"]]
    ).fetchone()
    order = create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=site["org_id"],
        site_id=site["id"],
        title="基站退服",
        sla_grade="gold",
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    ensure_default_templates(db)
    template = db.execute(
        "SELECT id FROM checklist_template WHERE site_type = ?", [site["site_type"]]
    ).fetchone()[0]
    inspection = create_order(
        db,
        None,
        wo_type="inspection",
        org_id=site["org_id"],
        site_id=site["id"],
        title="月度巡检",
        checklist_template_id=template,
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    items = items_of(db, template)
    db.conn.close()
    with serving(app) as server:
        yield dict(
            app=app,
            server=server,
            am=dict(am),
            other=other,
            tech=dict(tech),
            site=dict(site),
            order=order,
            inspection=inspection,
            items=items,
        )


def phone(chromium, lat, lon):
    context = chromium.new_context(
        **PHONE,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    return context, page, errors


def show(page, path, ready):
    page.evaluate(f"window.fieldbook.go({path!r})")
    page.wait_for_selector(ready, state="attached")
    page.wait_for_timeout(150)  # images and late re-renders settle


def check_screen(page, errors, what):
    assert page.evaluate(SMALL_TARGETS) == [], what
    assert page.evaluate(OVERFLOW) <= 0, what
    assert errors == [], what
    assert not MUTATION_NAME.search(page.inner_text("body")), what


def test_the_account_managers_screens_have_thumb_sized_targets_and_no_errors(chromium, world):
    am, server = world["am"], world["server"]
    context, page, errors = phone(chromium, am["lat"], am["lon"])
    try:
        sign_in(page, server, am["username"])
        cid = am["customer_id"]
        screens = [
            ("/m/", "[data-testid=follow-ups-due]"),
            ("/m/customers", "[data-testid=customer-list]"),
            (f"/m/customers/{cid}", "[data-testid=contact-phone]"),
            ("/m/care", "[data-testid=care-list]"),
            ("/m/tasks", "[data-testid=task-list]"),
            ("/m/appointments", "[data-testid=appointment-list]"),
            ("/m/retention", "[data-testid=retention-list]"),
            ("/m/scorecard", "h1"),
            ("/m/sync", "[data-testid=unsynced]"),
        ]
        # The measure can fail: a bare 22 px checkbox is caught.
        page.evaluate(
            "document.querySelector('main')"
            ".insertAdjacentHTML('beforeend', '<input type=checkbox id=tiny>')"
        )
        assert [t[:9] for t in page.evaluate(SMALL_TARGETS)] == ["input 22×"]
        page.evaluate("document.getElementById('tiny').remove()")
        for path, ready in screens:
            show(page, path, ready)
            check_screen(page, errors, path)
            assert page.is_hidden("#back") == (path == "/m/"), path
        # A visit in progress: satisfaction, contacts met, photos, signature.
        show(page, f"/m/customers/{cid}", "[data-action=start-visit]")
        page.click("[data-action=start-visit]")
        page.wait_for_selector("[data-form=visit]")
        synced(page)
        check_screen(page, errors, "visit in progress")
        # The home header: language and sign-out within reach, at the top.
        show(page, "/m/", ".home-head")
        box = page.locator(".home-head [data-action=header-sign-out]").bounding_box()
        assert box["y"] < 160
        page.click(".home-head [data-action=language]")
        page.wait_for_selector(".home-head:has-text('Sign out')")
        page.click(".home-head [data-action=language]")
        page.wait_for_selector(".home-head:has-text('退出登录')")
        synced(page)  # the server keeps the user's language: Chinese again for the next test
        assert errors == []
    finally:
        context.close()


def test_screens_open_at_their_top_and_a_sync_keeps_the_place(chromium, world):
    am, server = world["am"], world["server"]
    context, page, errors = phone(chromium, am["lat"], am["lon"])
    try:
        sign_in(page, server, am["username"])
        show(page, "/m/customers", "[data-testid=customer-list]")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert page.evaluate("window.scrollY") > 100  # the list is longer than the phone
        page.click(f"a[href='/m/customers/{am['customer_id']}']")
        page.wait_for_selector("[data-testid=contacts]")
        wait_for(page, "window.scrollY === 0")
        page.evaluate("window.scrollTo(0, 300)")
        page.evaluate("window.fieldbook.sync.schedule({ now: true })")
        synced(page)
        page.evaluate("window.fieldbook.render({ keepFocus: true })")
        assert page.evaluate("window.scrollY") == 300  # a re-render is not a navigation
        page.click("#back")  # back to the list, at its top
        page.wait_for_selector("[data-testid=customer-list]")
        wait_for(page, "window.scrollY === 0")
        assert errors == []
    finally:
        context.close()


def test_a_checked_out_visit_becomes_a_read_only_summary(chromium, world):
    am, server = world["am"], world["server"]
    context, page, errors = phone(chromium, am["lat"], am["lon"])
    try:
        sign_in(page, server, am["username"])
        show(page, f"/m/customers/{am['customer_id']}", "[data-action=start-visit]")
        page.click("[data-action=start-visit]")
        page.wait_for_selector("[data-form=visit]")
        page.fill("[data-form=visit] textarea[name=notes]", "讨论续约")
        page.check("input[name=satisfaction][value='4']")
        page.click("[data-form=visit] button[type=submit]")
        page.click("[data-action=check-out]")
        page.wait_for_selector("[data-testid=visit-summary]")
        page.wait_for_selector(".toast:has-text('签退')")
        summary = page.inner_text("[data-testid=visit-summary]")
        assert "讨论续约" in summary and "4 / 5" in summary
        assert re.search(r"签到时间\s+\d{4}-\d\d-\d\d \d\d:\d\d", summary)
        assert re.search(r"签退时间\s+\d{4}-\d\d-\d\d \d\d:\d\d", summary)
        assert "已于" in page.inner_text("[data-testid=visit-finished]")
        assert page.is_hidden("[data-form=visit]")  # behind "Correct the record"
        assert page.locator("[data-action=check-out]").count() == 0
        assert errors == []
        # The Sync page names what waits in words, not `visit.plan`.
        context.set_offline(True)
        show(page, f"/m/customers/{am['customer_id']}", "[data-form=plan]")
        page.click("[data-form=plan] button[type=submit]")
        wait_for(page, "document.querySelector('#sync-status').dataset.unsynced !== '0'")
        show(page, "/m/sync", "[data-testid=unsynced]")
        assert "计划拜访" in page.inner_text("[data-item-state=pending]")
        offline_noise = [e for e in errors if "Failed to load resource" not in e]
        errors.clear()
        assert offline_noise == []
        check_screen(page, errors, "sync page")
    finally:
        context.close()


def test_a_submitted_order_keeps_its_report_as_a_summary(chromium, world):
    tech, site, server = world["tech"], world["site"], world["server"]
    context, page, errors = phone(chromium, site["lat"], site["lon"])
    try:
        sign_in(page, server, tech["username"])
        assert page.is_visible(".home-head [data-action=header-sign-out]")
        check_screen(page, errors, "orders")
        show(page, f"/m/orders/{world['order']['id']}", "[data-testid=sla]")
        check_screen(page, errors, "order")
        assert re.search(r"剩 \d+ (小时|分)", page.inner_text("[data-testid=sla]"))
        context.set_offline(True)  # the steps wait on the device, one by one
        for n in (1, 2, 3):  # accept, set off, arrive
            page.click("[data-action=step]")
            wait_for(page, f"document.querySelector('#sync-status').dataset.unsynced === '{n}'")
        page.fill("textarea[name=cause]", "整流模块故障")
        page.fill("textarea[name=fix]", "更换整流模块")
        errors[:] = [e for e in errors if "Failed to load resource" not in e]
        check_screen(page, errors, "order on site")
        page.click("[data-action=step]")  # resolved
        wait_for(page, "document.querySelector('#sync-status').dataset.unsynced === '4'")
        page.click("[data-action=step]")  # submitted
        page.wait_for_selector("[data-testid=report-summary]")
        assert "更换整流模块" in page.inner_text("[data-testid=report-summary]")
        assert page.locator("[data-form=report]").count() == 0
        assert page.is_visible("[data-testid=order-finished]")
        context.set_offline(False)
        synced(page)
        page.reload()
        page.wait_for_selector("[data-testid=report-summary]")
        assert "整流模块故障" in page.inner_text("[data-testid=report-summary]")
        assert [e for e in errors if "Failed to load resource" not in e] == []
    finally:
        context.close()


def test_a_failed_sign_in_keeps_the_username_and_the_sign_in_switches_language(chromium, world):
    server = world["server"]
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/m/")
        page.wait_for_selector("[data-form=login]")
        assert page.evaluate(SMALL_TARGETS) == []
        page.fill("input[name=username]", world["other"])
        page.fill("input[name=password]", "wrong password")
        page.click("[data-form=login] button[type=submit]")
        wait_for(page, "document.querySelector('[data-form=login] .error').textContent !== ''")
        assert page.input_value("input[name=username]") == world["other"]
        assert page.input_value("input[name=password]") == ""
        page.click("[data-action=language]")
        wait_for(page, "document.documentElement.lang === 'en'")
        assert "Username" in page.inner_text("[data-form=login]")
        assert page.input_value("input[name=username]") == world["other"]
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("[data-form=login] button[type=submit]")
        page.wait_for_selector(".home-head")
        assert "Hello" in page.inner_text(".home-head")  # the language chosen at sign-in
        assert errors == []
    finally:
        context.close()


def test_the_bar_says_offline_at_once_and_readably(chromium, world):
    am, server = world["am"], world["server"]
    context, page, _errors = phone(chromium, am["lat"], am["lon"])
    try:
        sign_in(page, server, am["username"])
        assert page.get_attribute("#sync-status", "data-state") == "idle"
        context.set_offline(True)  # nothing written: the 'offline' event alone
        wait_for(page, "document.querySelector('#sync-status').dataset.state === 'offline'", 2000)
        text = page.inner_text("#sync-status")
        assert "离线" in text and "已与服务器同步" not in text
        colours = page.evaluate(
            """() => { const s = getComputedStyle(document.querySelector('#sync-status'));
            return [s.color, s.backgroundColor]; }"""
        )
        fg, bg = ([int(x) for x in re.findall(r"\d+", c)[:3]] for c in colours)
        assert contrast(fg, bg) >= 4.5
        context.set_offline(False)
        synced(page)
        assert "已与服务器同步" in page.inner_text("#sync-status")
    finally:
        context.close()


def test_every_checklist_answer_kind_without_a_page_error(chromium, world):
    """Answering a pass/fail, a reading, a choice and a text item re-renders with the focus
    kept; a radio or number input has no caret (setSelectionRange threw on them once)."""
    tech, site, server = world["tech"], world["site"], world["server"]
    context, page, errors = phone(chromium, site["lat"], site["lon"])
    try:
        sign_in(page, server, tech["username"])
        show(page, f"/m/orders/{world['inspection']['id']}", "[data-testid=sla]")
        context.set_offline(True)
        for n in (1, 2, 3):  # accept, set off, arrive
            page.click("[data-action=step]")
            wait_for(page, f"document.querySelector('#sync-status').dataset.unsynced === '{n}'")
        page.click("a[href$='/checklist']")
        page.wait_for_selector("[data-form=checklist]")
        errors[:] = [e for e in errors if "Failed to load resource" not in e]
        check_screen(page, errors, "checklist")
        done, count = set(), 3
        for item in world["items"]:
            if item["kind"] in done or item["kind"] == "photo" or item["photo_required"]:
                continue
            li = f"li[data-item='{item['id']}']"
            if item["kind"] == "pass_fail":
                page.check(f"{li} input[value='1']")
            elif item["kind"] == "reading":
                page.fill(f"{li} input[type=number]", str(item["min_value"] or 1))
                page.press(f"{li} input[type=number]", "Tab")
            elif item["kind"] == "choice":
                choices = item["choices"]
                choices = json.loads(choices) if isinstance(choices, str) else choices
                page.select_option(f"{li} select", choices[0])
            elif item["kind"] == "text":
                page.fill(f"{li} input[name^=value-]", "正常")
                page.press(f"{li} input[name^=value-]", "Tab")
            count += 1
            wait_for(
                page, f"document.querySelector('#sync-status').dataset.unsynced === '{count}'"
            )
            page.wait_for_selector(f"{li}[data-state=pass]")
            done.add(item["kind"])
        assert done == {"pass_fail", "reading", "choice", "text"}
        page.wait_for_timeout(200)
        errors[:] = [e for e in errors if "Failed to load resource" not in e]
        check_screen(page, errors, "checklist answered")
    finally:
        context.close()

"""The server pages on a 360×640 phone in real Chromium: the links fold behind a menu button,
the lists supervisors use most fit the screen as cards (no sideways scrolling), and the review
desk's approve and return stay under the thumb. At 1366×800 the links show as before."""

import pytest

from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from server.work_orders.model import create_order
from tests.browser import compile_catalogues, demo_app, serving, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}
DESK = {"width": 1366, "height": 800}
SUPERVISOR_PAGES = (
    "/",
    "/reviews/",
    "/reviews/conflicts/",
    "/work-orders/",
    "/customers/",
    "/sites/",
    "/visits/",
    "/statistics/",
    "/sync-health/",
    "/scores/",
    "/follow-ups/",
)
ADMIN_PAGES = ("/admin/audit", "/admin/users", "/admin/orgs")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The demo branch with one submitted fault order of sup.city's to review."""
    tmp = tmp_path_factory.mktemp("phone")
    app = demo_app(tmp, compile_catalogues(tmp / "translations"))
    db = connect(app.config["DATABASE"])
    site = db.execute(
        "SELECT s.* FROM site s JOIN org o ON o.id = s.org_id ORDER BY s.code LIMIT 1"
    ).fetchone()
    order = create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=site["org_id"],
        site_id=site["id"],
        title="传输中断",
    )
    with db.conn:
        db.execute(
            "UPDATE work_order SET status = 'submitted',"
            " submitted_at = '2026-11-20T02:00:00.000Z', diagnosis = '整流模块告警',"
            " cause = '整流模块故障', fix = '更换2号整流模块'"
            " WHERE id = ?",
            [order["id"]],
        )
    db.conn.close()
    with serving(app) as server:
        yield dict(server=server, order=order["id"])


def _signed_in(chromium, server, username, viewport):
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("header.top nav", state="attached")
    return context, page


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


@pytest.mark.parametrize(
    ("username", "paths"), [("sup.city", SUPERVISOR_PAGES), ("admin", ADMIN_PAGES)]
)
def test_lists_fit_a_phone_and_the_menu_opens(chromium, live, username, paths):
    context, page = _signed_in(chromium, live["server"], username, PHONE)
    try:
        wide = {}
        for path in paths:
            response = page.goto(live["server"].url + path)
            assert response.status == 200, path
            if _overflow(page) > PHONE["width"]:
                wide[path] = _overflow(page)
        assert wide == {}
        # the links are folded: the header is short until the menu button opens them
        page.goto(live["server"].url + "/reviews/")
        assert not page.is_visible("header.top nav")
        assert page.evaluate("document.querySelector('header.top').offsetHeight") < 120
        page.click("[data-testid=menu-toggle]")
        assert page.is_visible("header.top nav a[href='/work-orders/']")
        assert page.get_attribute("[data-testid=menu-toggle]", "aria-expanded") == "true"
        page.click("header.top nav a[href='/work-orders/']")
        page.wait_for_url("**/work-orders/")
        # a list row is a card: each cell is headed by its column
        if username == "sup.city":
            label = page.get_attribute("main table.list tbody tr td[data-label]", "data-label")
            assert label
    finally:
        context.close()


def test_review_actions_are_under_the_thumb(chromium, live):
    context, page = _signed_in(chromium, live["server"], "sup.city", PHONE)
    try:
        page.goto(live["server"].url + f"/reviews/work_order/{live['order']}")
        assert _overflow(page) <= PHONE["width"]
        assert page.is_visible("[data-field=fix]")  # the technician's report is on the page
        assert "更换2号整流模块" in page.inner_text("[data-field=fix]")
        # approving takes two taps, both inside the screen at the bottom
        for selector in ("[data-action=approve-open]", "[data-action=approve]"):
            target = page.locator(f"#review-actions {selector}")
            box = target.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], selector
            assert box["height"] >= 44 and box["y"] > PHONE["height"] / 2, selector
            if selector.endswith("open]"):
                assert not page.is_visible("#review-actions [data-action=approve]")
            target.click()
        page.wait_for_selector("p.flash")
        assert page.get_attribute("h1 [data-status]", "data-status") == "approved"
    finally:
        context.close()


def test_desk_keeps_the_links_in_the_header(chromium, live):
    context, page = _signed_in(chromium, live["server"], "sup.city", DESK)
    try:
        page.goto(live["server"].url + "/reviews/")
        assert page.is_visible("header.top nav a[href='/work-orders/']")
        assert not page.is_visible("[data-testid=menu-toggle]")
        assert _overflow(page) <= DESK["width"]
    finally:
        context.close()


def test_a_supervisor_on_the_field_app_is_offered_the_review_desk(chromium, live):
    context = chromium.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sign_in(page, live["server"], "sup.city")
        link = page.locator("[data-testid=review-desk-link]")
        assert link.get_attribute("href") == "/reviews/" and link.is_visible()
        link.click()  # the desk has its own sign-in (a web session, not the device's token)
        page.wait_for_selector("main form input[name=username]")
        page.fill("input[name=username]", "sup.city")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url("**/reviews/")
        assert page.is_visible("#review-queue")
    finally:
        context.close()

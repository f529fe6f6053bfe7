"""The Content-Security-Policy in real Chromium: every server page for each role, and every
/m/ screen for each role, without a single policy violation, console error or 5xx.

A violation is reported to Python the moment it happens (an exposed function called from an
init script, which the policy does not apply to), so one raised after load by an htmx
request or a late render is not lost with the next navigation.
"""

import pytest

from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from tests.browser import compile_catalogues, demo_app, sign_in
from tests.live import LiveServer

pytestmark = pytest.mark.browser

REPORT = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} ${e.sample || ""}`);
});
"""
# Not pages: JSON, downloads, the device app (walked on its own), sign-out.
SKIP_PREFIXES = ("/api/", "/m/", "/static/", "/reports/", "/healthz", "/login", "/logout")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    directory = tmp_path_factory.mktemp("csp")
    app = demo_app(directory, compile_catalogues(directory / "translations"))
    server = LiveServer(app).start()
    yield app, server
    server.stop()


def _one(db, sql, params=()):
    row = db.execute(sql, params).fetchone()
    return row[0] if row else "0"


def server_pages(app) -> list[str]:
    """Every GET rule without parameters that renders a page, and a few seeded records."""
    paths = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.startswith(SKIP_PREFIXES)
        and not rule.rule.endswith(".csv")
    )
    db = connect(app.config["DATABASE"])
    try:
        customer = _one(db, "SELECT id FROM customer ORDER BY code")
        visit = _one(db, "SELECT id FROM visit ORDER BY id")
        order = _one(db, "SELECT id FROM work_order ORDER BY code")
        site = _one(db, "SELECT id FROM site ORDER BY code")
        user = _one(db, "SELECT id FROM app_user WHERE role = 'technician' ORDER BY username")
        org = _one(db, "SELECT id FROM org ORDER BY path")
        task = _one(db, "SELECT id FROM task ORDER BY id")
    finally:
        db.conn.close()
    records = [
        f"/customers/{customer}",
        f"/customers/{customer}/edit",
        f"/points/customers/{customer}",
        f"/visits/{visit}",
        f"/reviews/visit/{visit}",
        f"/work-orders/{order}",
        f"/sites/{site}",
        f"/admin/users/{user}",
        f"/admin/orgs/{org}/edit",
        f"/scores/people/{user}",
        f"/tasks/{task}",
        "/imports/customer",
    ]
    # The demo seed has no visits or tasks: a page of a record that is not there is a 404,
    # not a page, so only the records the seed made are walked.
    return paths + [path for path in records if not path.endswith("/0")]


def usernames(app) -> dict[str, str]:
    db = connect(app.config["DATABASE"])
    try:
        found = db.execute(
            "SELECT role, min(username) FROM app_user WHERE active = 1 GROUP BY role"
        ).fetchall()
    finally:
        db.conn.close()
    return {role: name for role, name in found}


def watched(chromium, server):
    """A context whose pages report CSP violations, console errors, page errors and any
    answer of 500 or more (a page, an htmx request, an API call)."""
    problems: list[str] = []
    context = chromium.new_context(service_workers="allow")
    context.expose_function("__csp", lambda text: problems.append(f"csp: {text}"))
    context.add_init_script(REPORT)
    page = context.new_page()

    def console(message):
        if message.type == "error":
            problems.append(f"console on {page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error on {page.url}: {error}"))

    def response(answer):
        if answer.status >= 500:
            problems.append(f"{answer.status} from {answer.url}")

    page.on("response", response)
    return context, page, problems


def expected_status(problems: list[str]) -> list[str]:
    """A 403 or 404 page is a page too: Chromium logs its status, which is not a fault."""
    return [p for p in problems if "Failed to load resource: the server responded" not in p]


ROLES = ("admin", "supervisor", "account_manager", "technician")


@pytest.mark.parametrize("role", ROLES)
def test_server_pages_break_no_policy(chromium, live, role):
    app, server = live
    context, page, problems = watched(chromium, server)
    page.goto(server.url + "/login")
    page.fill("input[name=username]", usernames(app)[role])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, "not signed in"
    pages = server_pages(app)
    for path in pages:
        page.goto(server.url + path, wait_until="load")
    page.wait_for_timeout(300)  # htmx requests started on load
    context.close()
    assert len(pages) > 45  # every parameterless page and the seeded records
    assert expected_status(problems) == []


def field_screens(app, username: str) -> list[str]:
    db = connect(app.config["DATABASE"])
    try:
        me = _one(db, "SELECT id FROM app_user WHERE username = ?", [username])
        customer = _one(db, "SELECT id FROM customer WHERE account_manager_id = ?", [me])
        visit = _one(db, "SELECT id FROM visit WHERE account_manager_id = ?", [me])
        order = _one(db, "SELECT id FROM work_order WHERE assignee_id = ?", [me])
        inspection = _one(
            db,
            "SELECT id FROM work_order WHERE assignee_id = ? AND wo_type = 'inspection'",
            [me],
        )
        site = _one(db, "SELECT site_id FROM work_order WHERE assignee_id = ?", [me])
        task = _one(db, "SELECT id FROM task WHERE assignee_id = ?", [me])
        retention = _one(db, "SELECT id FROM retention_task WHERE assignee_id = ?", [me])
    finally:
        db.conn.close()
    screens = [
        "/m/",
        "/m/customers",
        f"/m/customers/{customer}",
        f"/m/visits/{visit}",
        "/m/sync",
        "/m/care",
        "/m/orders",
        f"/m/orders/{order}",
        f"/m/orders/{inspection}/checklist",
        f"/m/sites/{site}",
        "/m/report",
        "/m/scorecard",
        "/m/tasks",
        f"/m/tasks/{task}",
        "/m/appointments",
        "/m/notifications",
        "/m/retention",
        f"/m/retention/{retention}",
    ]
    return [path for path in screens if not path.endswith("/0") and "/0/" not in path]


@pytest.mark.parametrize("role", ROLES)  # the device app signs in every role
def test_field_screens_break_no_policy(chromium, live, role):
    app, server = live
    context, page, problems = watched(chromium, server)
    username = usernames(app)[role]
    sign_in(page, server, username)
    for path in field_screens(app, username):
        page.evaluate("path => window.fieldbook.go(path)", path)
    page.goto(server.url + "/m/sync")  # a full load under the service worker
    page.wait_for_selector("#app")
    page.wait_for_timeout(300)
    context.close()
    assert expected_status(problems) == []

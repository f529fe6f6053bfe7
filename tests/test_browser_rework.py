"""The rework loop in real Chromium: a supervisor returns a technician's report on the review
desk; the technician's phone syncs, goes offline, shows the order as rework with the reason,
the technician fixes the report offline and resubmits; back online it syncs and the
supervisor approves it. The review history keeps return, resubmit and approve, in order."""

import pytest

from server.db import connect
from server.inspections.checklists import ensure_default_templates
from server.seed.demo import DEMO_PASSWORD
from server.work_orders.model import create_order
from tests.browser import (
    compile_catalogues,
    demo_app,
    phone_page,
    supervisor_page,
    synced,
)
from tests.device import Device
from tests.live import LiveServer

pytestmark = pytest.mark.browser
REASON = "修复说明不完整，请写明更换了哪个模块"
NEW_FIX = "更换2号整流模块并测试浮充电压正常"


@pytest.fixture
def handed_in(tmp_path):
    """A fault order a contractor technician has worked through and submitted (via the API)."""
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    ensure_default_templates(db)
    tech = db.execute(
        "SELECT u.id, u.username, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' AND o.kind = 'contractor' ORDER BY u.username LIMIT 1"
    ).fetchone()
    # The operator's supervisor over the sites decides (a contractor's only pre-checks).
    sup = db.execute("SELECT username FROM app_user WHERE username = 'sup.city'").fetchone()
    site = db.execute(
        "SELECT * FROM site WHERE contractor_id = ? ORDER BY code LIMIT 1", [tech["org_id"]]
    ).fetchone()
    order = create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=site["org_id"],
        site_id=site["id"],
        title="传输中断",
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    db.conn.close()
    dev = Device(app.test_client(), tech["username"], DEMO_PASSWORD, name="first phone")
    oid, at, here = order["id"], "2026-03-01T01:00:00Z", (site["lat"], site["lon"])
    steps = [
        ("work_order.accept", {}),
        ("work_order.travel", {}),
        ("work_order.arrive", {"lat": here[0], "lon": here[1], "accuracy": 8}),
        ("work_order.resolve", {"cause": "整流模块故障", "fix": "更换模块"}),
        ("work_order.submit", {}),
    ]
    status, body = dev.push([dev.mutation(n, {"id": oid, "at": at, **a}) for n, a in steps])
    assert [r["status"] for r in body["results"]] == ["applied"] * 5, body
    server = LiveServer(app).start()
    yield dict(app=app, server=server, tech=dict(tech), sup=sup["username"], order=order)
    server.stop()


def test_returned_report_is_fixed_offline_and_approved(chromium, handed_in):
    server, oid = handed_in["server"], handed_in["order"]["id"]
    desk = chromium.new_context()
    phone = chromium.new_context()
    tech = phone_page(phone, server, handed_in["tech"]["username"])
    assert tech.locator(f"a[data-order='{oid}']").count() == 0  # handed in: not on the list

    sup = supervisor_page(desk, server, handed_in["sup"])
    sup.goto(server.url + "/reviews/?kind=fault_repair")
    row = f"tr[data-review='{oid}']"
    sup.fill(f"{row} input[name=reason]", REASON)
    sup.click(f"{row} [data-action=return]")
    sup.wait_for_selector(f"{row}[data-status=returned]")  # the row swapped in place

    tech.goto(server.url + "/m/orders")
    synced(tech)
    tech.wait_for_selector(f"a[data-order='{oid}']")  # back on the list as rework
    server.stop()  # from here the phone is offline
    tech.click(f"a[data-order='{oid}']")
    tech.wait_for_selector("[data-form=report]")
    assert REASON in tech.inner_text("main")
    tech.fill("textarea[name=fix]", NEW_FIX)
    tech.click("[data-form=report] button[type=submit]")
    tech.wait_for_selector("#sync-status[data-unsynced='1']")
    tech.click("[data-action=step][data-step='work_order.submit']")
    tech.wait_for_selector("#sync-status[data-unsynced='2']")
    tech.wait_for_selector("[data-form=report]", state="detached")  # handed in again
    tech.reload()  # offline reload keeps the work
    tech.wait_for_selector("[data-testid=order-status]")
    assert tech.get_attribute("#sync-status", "data-unsynced") == "2"

    server.start()
    synced(tech)
    sup.goto(server.url + "/reviews/?kind=fault_repair")
    sup.click(f"{row} [data-action=approve]")
    sup.wait_for_selector(f"{row}[data-status=approved]")

    db = connect(handed_in["app"].config["DATABASE"])
    order = db.execute("SELECT status, fix FROM work_order WHERE id = ?", [oid]).fetchone()
    assert tuple(order) == ("approved", NEW_FIX)
    steps = db.execute(
        "SELECT action, reason FROM review WHERE entity_id = ? ORDER BY at, version", [oid]
    ).fetchall()
    assert [s[0] for s in steps] == ["return", "resubmit", "approve"]
    assert steps[0][1] == REASON
    db.conn.close()
    sup.goto(server.url + f"/work-orders/{oid}")
    shown = sup.eval_on_selector_all(
        "#review-history tr[data-review-step]", "rows => rows.map(r => r.dataset.reviewStep)"
    )
    assert shown == ["return", "resubmit", "approve"]
    desk.close()
    phone.close()


def test_a_returned_visit_is_resubmitted_offline(chromium, tmp_path):
    """The account manager's side: the return reason on the phone, Resubmit offline."""
    from server.ids import uuid7
    from server.visits.model import return_visit
    from tests.browser import an_account_manager

    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    who = an_account_manager(app)
    dev = Device(app.test_client(), who["username"], DEMO_PASSWORD)
    vid = uuid7()
    here = {"lat": who["lat"], "lon": who["lon"], "accuracy": 10}
    visit = [
        dev.mutation("visit.check_in", {"id": vid, "customer_id": who["id"], **here}),
        dev.mutation("visit.check_out", {"id": vid, **here}),
    ]
    assert [r["status"] for r in dev.push(visit)[1]["results"]] == ["applied"] * 2
    db = connect(app.config["DATABASE"])
    return_visit(db, None, vid, REASON)
    server = LiveServer(app).start()
    context = chromium.new_context()
    try:
        page = phone_page(context, server, who["username"])
        page.wait_for_selector(f"[data-testid=rework] a[href='/m/visits/{vid}']")
        server.stop()
        page.click(f"[data-testid=rework] a[href='/m/visits/{vid}']")
        assert REASON in page.inner_text("[data-testid=return-reason]")
        page.click("[data-action=resubmit]")
        page.wait_for_selector("#sync-status[data-unsynced='1']")
        page.wait_for_selector("[data-action=resubmit]", state="detached")
        server.start()
        synced(page)
        status = db.execute("SELECT status FROM visit WHERE id = ?", [vid]).fetchone()[0]
        steps = db.execute(
            "SELECT action FROM review WHERE entity_id = ? ORDER BY at, version", [vid]
        ).fetchall()
        assert status == "completed" and [s[0] for s in steps] == ["return", "resubmit"]
    finally:
        context.close()
        server.stop()
        db.conn.close()

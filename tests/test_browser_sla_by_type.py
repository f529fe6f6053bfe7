"""The device shows each order's own deadline: a fault repair its respond / arrive / restore
clocks, an on-demand job and a plan-made inspection one due time ("Due by")."""

import pytest

from server.db import connect
from server.seed.demo import DEMO_PASSWORD
from server.work_orders.model import create_order
from tests.browser import compile_catalogues, demo_app, wait_for
from tests.live import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def orders(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    tech = db.execute(
        "SELECT u.id, u.username, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' AND o.kind = 'contractor' ORDER BY u.username LIMIT 1"
    ).fetchone()
    site = db.execute(
        "SELECT * FROM site WHERE contractor_id = ? ORDER BY code LIMIT 1", [tech["org_id"]]
    ).fetchone()
    common = dict(
        org_id=site["org_id"],
        site_id=site["id"],
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    made = {
        "fault": create_order(
            db, None, wo_type="fault_repair", title="基站退服", sla_grade="gold", **common
        ),
        "job": create_order(
            db, None, wo_type="on_demand", title="机房搬迁", sla_grade="gold", **common
        ),
        "inspection": create_order(
            db,
            None,
            wo_type="inspection",
            title="月度巡检",
            plan_period="2099-01-01/2099-01-31",
            **common,
        ),
    }
    db.conn.close()
    server = LiveServer(app).start()
    yield dict(server=server, tech=dict(tech), **made)
    server.stop()


def test_the_device_shows_the_deadline_of_each_type(chromium, orders):
    server = orders["server"]
    page = chromium.new_context().new_page()
    page.goto(server.url + "/m/")
    page.fill("input[name=username]", orders["tech"]["username"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("[data-form=login] button[type=submit]")
    page.wait_for_selector(f"a[data-order='{orders['job']['id']}']")
    wait_for(page, "window.fieldbook.lastSync !== null")

    page.goto(server.url + f"/m/orders/{orders['fault']['id']}")
    page.wait_for_selector("[data-testid=order-clock-arrival_due_at]")
    assert page.locator("[data-testid=order-clock-response_due_at]").count() == 1
    assert page.locator("[data-testid=order-clock-restore_due_at]").count() == 1
    assert page.locator("[data-testid=order-clock-due]").count() == 0

    for key in ("job", "inspection"):
        page.goto(server.url + f"/m/orders/{orders[key]['id']}")
        page.wait_for_selector("[data-testid=order-clock-due] [data-sla=running]")
        assert page.locator("[data-testid=order-clock-arrival_due_at]").count() == 0
        assert page.locator("[data-testid=order-clock-response_due_at]").count() == 0
    text = page.inner_text("[data-testid=order-clock-due]")
    assert "完成时限" in text or "Due by" in text
    assert "2099" in text  # the plan period's last day, 31 January 2099

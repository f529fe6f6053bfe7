"""Issue 14 item 4 in real Chromium: a technician reports an exception on the phone, the
operator's supervisor converts it into a fault repair on the web, and after a sync the
reporter's phone shows the new order linked to the report ("from your report …")."""

import pytest

from server.db import connect
from tests.browser import (
    compile_catalogues,
    demo_app,
    phone_page,
    supervisor_page,
    synced,
    wait_for,
)

pytestmark = pytest.mark.browser
TITLE = "机房空调漏水"


@pytest.fixture
def field(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    tech = db.execute(
        "SELECT u.id, u.username, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' AND o.kind = 'contractor' ORDER BY u.username LIMIT 1"
    ).fetchone()
    site = db.execute(
        "SELECT s.*, c.sla_grade AS customer_grade FROM site s"
        " JOIN customer c ON c.id = s.customer_id WHERE s.contractor_id = ?"
        " ORDER BY s.code LIMIT 1",
        [tech["org_id"]],
    ).fetchone()
    contractor_sup = db.execute(
        "SELECT username FROM app_user WHERE role = 'supervisor' AND org_id = ?", [tech["org_id"]]
    ).fetchone()["username"]
    db.conn.close()
    from tests.live import LiveServer

    server = LiveServer(app).start()
    yield dict(
        app=app, server=server, tech=dict(tech), site=dict(site), contractor_sup=contractor_sup
    )
    server.stop()


def test_a_report_converted_on_the_web_reaches_the_reporters_phone(chromium, field):
    server, site = field["server"], field["site"]
    phone = chromium.new_context(
        geolocation={"latitude": site["lat"], "longitude": site["lon"], "accuracy": 10},
        permissions=["geolocation"],
    )
    tech = phone_page(phone, server, field["tech"]["username"])
    tech.goto(server.url + "/m/report")
    tech.wait_for_selector("[data-form=exception]")
    tech.fill("[data-form=exception] input[name=title]", TITLE)
    tech.fill("[data-form=exception] textarea[name=description]", "冷凝水外溢，设备下方有积水")
    tech.select_option("[data-form=exception] select[name=site_id]", site["id"])
    tech.click("[data-form=exception] button[type=submit]")
    tech.wait_for_selector("[data-testid=order-status]")
    rid = tech.url.rsplit("/", 1)[1]
    synced(tech)

    desk = chromium.new_context()
    # The contractor's own supervisor sees the report but may not convert it (两不三可).
    contractor = supervisor_page(desk, server, field["contractor_sup"])
    contractor.goto(server.url + f"/work-orders/{rid}")
    contractor.wait_for_selector("h1")
    assert contractor.locator("[data-testid=convert-form]").count() == 0
    contractor.close()
    desk.clear_cookies()

    sup = supervisor_page(desk, server, "sup.city")
    sup.goto(server.url + f"/work-orders/{rid}")
    sup.wait_for_selector("[data-testid=convert-form]")
    sup.select_option("[data-testid=convert-type]", "fault_repair")
    # The reporter is proposed as the technician.
    assert (
        sup.eval_on_selector("#convert select[name=assignee_id]", "el => el.value")
        == field["tech"]["id"]
    )
    sup.click("#convert [data-action=convert]")
    sup.wait_for_selector("[data-testid=order-parent]")
    new_id = sup.url.rsplit("/", 1)[1]
    assert new_id != rid and TITLE in sup.inner_text("main")

    synced(tech)
    tech.goto(server.url + f"/m/orders/{rid}")
    tech.wait_for_selector("[data-testid=report-converted]")
    link = tech.get_attribute("[data-testid=report-converted] a", "href")
    assert link == f"/m/orders/{new_id}"
    tech.click("[data-testid=report-converted] a")
    tech.wait_for_selector("[data-testid=order-from-report]")
    assert TITLE in tech.inner_text("[data-testid=order-from-report]")
    # Assigned to the reporter: it is on their list and they can accept it.
    wait_for(tech, "document.querySelector('[data-action=step]') !== null")
    tech.goto(server.url + "/m/orders")
    tech.wait_for_selector(f"a[data-order='{new_id}']")

    db = connect(field["app"].config["DATABASE"])
    made = db.execute("SELECT * FROM work_order WHERE id = ?", [new_id]).fetchone()
    assert made["parent_id"] == rid and made["reported_by"] == field["tech"]["id"]
    assert made["wo_type"] == "fault_repair" and made["sla_grade"] == site["customer_grade"]
    report = db.execute("SELECT * FROM work_order WHERE id = ?", [rid]).fetchone()
    assert report["status"] == "closed" and report["converted_to_id"] == new_id
    db.conn.close()
    phone.close()
    desk.close()

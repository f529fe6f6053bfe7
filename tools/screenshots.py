"""Screenshots of the screens people use most, on a 360×640 phone, to look at (issue 17).

Run: .venv/bin/python tools/screenshots.py [out folder, default build/screens]
Seeds the demo data into a temporary folder, serves it on loopback, signs in as each role in
Debian's Chromium and saves: the account manager's home, a visit, the technician's order and
its checklist, the supervisor's device home, the supervisor's web home and the review desk.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.db import connect  # noqa: E402
from tests.browser import (  # noqa: E402
    compile_catalogues,
    demo_app,
    launch_chromium,
    phone_page,
    serving,
    start_playwright,
    supervisor_page,
)

PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True}


def _first(db, sql: str) -> str:
    row = db.execute(sql).fetchone()
    return row[0] if row else ""


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "screens")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = demo_app(tmp, compile_catalogues(tmp / "translations"))
        db = connect(app.config["DATABASE"])
        am = _first(db, "SELECT username FROM app_user WHERE role = 'account_manager' ORDER BY 1")
        visit = _first(  # their latest finished visit
            db,
            "SELECT v.id FROM visit v JOIN app_user u ON u.id = v.account_manager_id"
            f" WHERE u.username = '{am}' AND v.check_out_at IS NOT NULL"
            " ORDER BY v.check_out_at DESC",
        )
        tech, order = db.execute(
            "SELECT u.username, w.id FROM work_order w JOIN app_user u ON u.id = w.assignee_id"
            " WHERE w.wo_type = 'inspection'"
            " AND w.status = 'on_site'"
            " ORDER BY u.username, w.code LIMIT 1"
        ).fetchone()
        db.conn.close()
        shots = []
        with start_playwright() as pw, launch_chromium(pw) as browser, serving(app) as server:

            def shot(page, name: str) -> None:
                page.wait_for_timeout(400)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=False)
                shots.append(path)

            context = browser.new_context(locale="zh-CN", **PHONE)
            page = phone_page(context, server, am)
            shot(page, "1-account-manager-home")
            page.goto(f"{server.url}/m/visits/{visit}")
            page.wait_for_selector("main h1")
            shot(page, "2-visit")
            context.close()

            context = browser.new_context(locale="zh-CN", **PHONE)
            page = phone_page(context, server, tech)
            shot(page, "3-technician-home")
            page.goto(f"{server.url}/m/orders/{order}")
            page.wait_for_load_state("networkidle")
            shot(page, "4-technician-order")
            page.click("a[href$='/checklist']")  # the order's checklist screen
            page.wait_for_selector("[data-item]")
            shot(page, "5-technician-checklist")
            context.close()

            context = browser.new_context(locale="zh-CN", **PHONE)
            page = phone_page(context, server, "sup.city")
            shot(page, "6-supervisor-device-home")
            page = supervisor_page(context, server, "sup.city")  # the web desk
            shot(page, "7-supervisor-web-home")
            page.goto(f"{server.url}/reviews/")
            shot(page, "8-review-desk")
            context.close()
    for path in shots:
        print(path)


if __name__ == "__main__":
    main()

"""My tasks in real Chromium: the device's port of the progress rule agrees with the
server's on the hand-computed cases; offline, a visit that satisfies a task moves its
progress at once, a free-text task is marked done, an appointment is recorded; after
reconnecting the server's progress agrees with what the device showed."""

import json

import pytest

from server import records, times
from server.db import connect
from server.ids import now_utc
from server.tasks import model, rules
from tests.browser import compile_catalogues, demo_app, sign_in, wait_for
from tests.live import LiveServer
from tests.task_cases import CASES

pytestmark = pytest.mark.browser

RUN_CASES = """async (cases) => {
  const { taskProgress } = await import('/m/assets/tasks.js');
  const out = {};
  for (const [name, [task, visits]] of Object.entries(cases)) {
    out[name] = taskProgress(task, visits);
  }
  return out;
}"""


def _assign(db, am, **values) -> dict:
    today = times.local_day(now_utc())
    start, end = rules.window(today, today)
    row = dict(
        batch_id=values.pop("id") + "-b",
        title="task",
        assignee_id=am["id"],
        org_id=am["org_id"],
        start_date=today,
        due_date=today,
        window_start_at=start,
        window_end_at=end,
    )
    return records.insert(db, "task", {**row, **values}, None)


@pytest.fixture
def assigned(tmp_path):
    app = demo_app(tmp_path, compile_catalogues(tmp_path / "translations"))
    db = connect(app.config["DATABASE"])
    customer = db.execute(
        "SELECT c.*, u.username FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
        " WHERE u.role = 'account_manager' AND c.customer_class = 'A' ORDER BY u.username, c.code"
        " LIMIT 1"
    ).fetchone()
    am = records.get(db, "app_user", customer["account_manager_id"])
    targets = [
        r[0]
        for r in db.execute(
            "SELECT id FROM customer WHERE account_manager_id = ? AND customer_class = 'A'",
            [am["id"]],
        )
    ]
    coverage = _assign(
        db,
        am,
        id="01a20200-0000-7000-8000-000000000001",
        kind="class_coverage",
        title="走访全部A类客户",
        customer_class="A",
        target_customer_ids=json.dumps(targets),
    )
    free = _assign(
        db, am, id="01a20200-0000-7000-8000-000000000002", kind="free_text", title="收集需求表"
    )
    db.conn.close()
    server = LiveServer(app).start()
    yield app, server, dict(customer), coverage, free
    server.stop()


def figures(page, task_id) -> tuple[int, int]:
    row = page.locator(f"[data-task='{task_id}']")
    return int(row.get_attribute("data-done")), int(row.get_attribute("data-target"))


def test_tasks_offline_progress_matches_server(chromium, assigned):
    app, server, customer, coverage, free = assigned
    context = chromium.new_context(
        geolocation={"latitude": customer["lat"], "longitude": customer["lon"], "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    sign_in(page, server, customer["username"])
    # The device's rule and the server's on the same hand-computed data.
    device_results = page.evaluate(RUN_CASES, {k: [v[0], v[1]] for k, v in CASES.items()})
    for name, (task, visits, expected) in CASES.items():
        assert rules.progress(task, visits) == expected == device_results[name], name

    server.stop()  # offline from here
    page.click("[data-testid=tasks-tile]")
    page.wait_for_selector("[data-testid=task-list]")
    done_before, target = figures(page, coverage["id"])
    assert target >= 1 and figures(page, free["id"]) == (0, 1)

    # A visit to one of the A-class customers, completed offline.
    page.goto(server.url + f"/m/customers/{customer['id']}")
    page.wait_for_selector("[data-action=start-visit]")
    page.click("[data-action=start-visit]")
    page.wait_for_selector("[data-action=check-out]")
    page.click("[data-action=check-out]")
    page.wait_for_selector("[data-action=check-out]", state="detached")
    page.goto(server.url + "/m/tasks")
    page.wait_for_selector("[data-testid=task-list]")
    assert figures(page, coverage["id"]) == (done_before + 1, target)

    # The free-text task marked done offline.
    page.click(f"[data-task='{free['id']}'] a")
    page.fill("[data-form=task-done] input[name=note]", "已交给主管")
    page.click("[data-form=task-done] button[type=submit]")
    page.wait_for_selector("[data-testid=task-progress][data-done='1']")

    # An appointment recorded offline.
    page.goto(server.url + "/m/appointments")
    page.select_option("[data-form=appointment] select[name=customer_id]", customer["id"])
    page.fill("[data-form=appointment] textarea[name=need]", "希望下周上门演示5G专网")
    page.fill("[data-form=appointment] input[name=contact_name]", "王经理")
    page.click("[data-form=appointment] button[type=submit]")
    page.wait_for_selector("[data-testid=appointment-list] li[data-status=open]")

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(
        page,
        "document.querySelector('#sync-status').dataset.unsynced === '0'"
        " && document.querySelector('#sync-status').dataset.state === 'idle'",
        timeout=30000,
    )
    db = connect(app.config["DATABASE"])
    try:
        progress = model.progress(db, records.get(db, "task", coverage["id"]))
        assert (progress["done"], progress["target"]) == (done_before + 1, target)
        assert records.get(db, "task", free["id"])["done_note"] == "已交给主管"
        stored = db.execute(
            "SELECT need, contact_name FROM appointment WHERE need = ?", ["希望下周上门演示5G专网"]
        ).fetchall()
        assert [tuple(r) for r in stored] == [("希望下周上门演示5G专网", "王经理")]
    finally:
        db.conn.close()
    # After the sync the device still shows the same figure, now from the server's rows.
    page.goto(server.url + "/m/tasks")
    page.wait_for_selector("[data-testid=task-list]")
    assert figures(page, coverage["id"]) == (done_before + 1, target)
    context.close()

"""Tasks: the progress rule on hand-computed cases, assignment within scope, pages, 404s,
progress from real synced visits, device sync of tasks and task.complete."""

import json
import re

import pytest

from server import records, times
from server.auth.model import caller
from server.ids import now_utc
from server.tasks import model, rules
from tests import factories
from tests.device import Device, new_id
from tests.task_cases import CASES


@pytest.mark.parametrize("case", sorted(CASES))
def test_progress_rule_on_hand_computed_cases(case):
    task, visits, expected = CASES[case]
    assert rules.progress(task, visits) == expected


def test_window_is_beijing_days_in_utc():
    assert rules.window("2026-05-01", "2026-05-20") == (
        "2026-04-30T16:00:00.000Z",
        "2026-05-20T16:00:00.000Z",
    )
    assert times.local_day("2026-05-20T15:59:59.000Z") == "2026-05-20"
    assert times.local_day("2026-05-20T16:00:00.000Z") == "2026-05-21"


def test_state_open_done_overdue_cancelled():
    task, visits, _ = CASES["coverage"]
    progress = rules.progress(task, visits)
    assert rules.state(task, progress, "2026-05-20") == "open"
    assert rules.state(task, progress, "2026-05-21") == "overdue"
    assert rules.state({**task, "status": "cancelled"}, progress, "2026-05-01") == "cancelled"
    done = rules.progress(*CASES["free_done"][:2])
    assert rules.state(CASES["free_done"][0], done, "2027-01-01") == "done"


# ---- with the database: assignment, scope, pages ----


@pytest.fixture
def field(db, tree):
    """am1 (T1): A customers a1, a2 and a B customer; am2 (T2): an A customer."""
    t = dict(tree)
    t["a1"] = factories.make_customer(db, t["T1"], t["am1"], name="西湖银行", handsets=600)
    t["a2"] = factories.make_customer(db, t["T1"], t["am1"], name="西湖电力", handsets=800)
    t["b1"] = factories.make_customer(db, t["T1"], t["am1"], name="西湖商贸", handsets=200)
    t["a_other"] = factories.make_customer(db, t["T2"], t["am2"], name="上城银行", handsets=900)
    return t


def form(**over):
    values = dict(
        kind="class_coverage",
        title="走访全部A类客户",
        customer_class="A",
        start_date="2026-05-01",
        due_date="2026-05-20",
    )
    values.update(over)
    return values


def tasks_of(db, user) -> list[dict]:
    return [dict(r) for r in db.execute("SELECT * FROM task WHERE assignee_id = ?", [user["id"]])]


def test_supervisor_assigns_coverage_task_with_frozen_targets(db, auth, field):
    auth.login("sup_d1")
    resp = auth.post("/tasks/new", data=form(assignee_id=field["am1"]["id"]))
    assert resp.status_code == 303
    [task] = tasks_of(db, field["am1"])
    assert sorted(json.loads(task["target_customer_ids"])) == sorted(
        [field["a1"]["id"], field["a2"]["id"]]
    )
    assert task["org_id"] == field["T1"]["id"] and task["assigned_by"] == field["sup_d1"]["id"]
    assert (task["window_start_at"], task["window_end_at"]) == rules.window(
        "2026-05-01", "2026-05-20"
    )
    # A customer that becomes class A later is not added: the list is frozen.
    factories.make_customer(db, field["T1"], field["am1"], handsets=700)
    assert len(json.loads(records.get(db, "task", task["id"])["target_customer_ids"])) == 2
    page = auth.client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'data-done="0" data-target="2"' in page
    assert field["a1"]["name"] in page and field["a2"]["name"] in page


def test_supervisor_cannot_assign_outside_subtree(db, auth, field):
    auth.login("sup_d1")
    resp = auth.post("/tasks/new", data=form(assignee_id=field["am2"]["id"]))
    assert resp.status_code == 422 and 'data-error="assignee_id"' in resp.get_data(as_text=True)
    resp = auth.post("/tasks/new", data=form(team_id=field["D2"]["id"]))
    assert resp.status_code == 422 and 'data-error="team_id"' in resp.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM task").fetchone()[0] == 0


def test_assign_to_every_account_manager_of_an_org(db, auth, field):
    auth.login("sup_city")
    resp = auth.post("/tasks/new", data=form(team_id=field["C"]["id"]))
    assert resp.status_code == 303
    rows = db.execute("SELECT assignee_id, batch_id, target_customer_ids FROM task").fetchall()
    assert {r[0] for r in rows} == {field["am1"]["id"], field["am2"]["id"]}
    assert len({r[1] for r in rows}) == 1  # one batch
    targets = {r[0]: json.loads(r[2]) for r in rows}
    assert targets[field["am2"]["id"]] == [field["a_other"]["id"]]


@pytest.mark.parametrize(
    ("over", "field_name", "code"),
    [
        (dict(due_date="2026-04-01"), "due_date", "due_before_start"),
        (dict(customer_class=""), "customer_class", "required"),
        (dict(kind="promotion", target_count="0"), "target_count", "out_of_range"),
        (dict(kind="promotion", target_count=""), "target_count", "required"),
        (dict(kind="bogus"), "kind", "invalid_choice"),
        (dict(), "assignee_id", "assignee_required"),
    ],
)
def test_form_errors(db, field, over, field_name, code):
    caller = _caller(db, field["sup_d1"])
    data = form(**over)
    if field_name != "assignee_id":
        data["assignee_id"] = field["am1"]["id"]
    _, errors = model.validate(db, caller, data)
    assert errors.get(field_name) == code


def _caller(db, user):
    return caller(db, user["id"])


def _make(db, field, assignee="am1", **over):
    clean, errors = model.validate(db, _caller(db, field["sup_city"]), form(**over))
    clean["assignee_ids"] = [field[assignee]["id"]]
    errors.pop("assignee_id", None)
    assert not errors
    return model.create(db, field["sup_city"]["id"], clean)[0]


def test_scoping_of_lists_and_details(db, auth, field):
    mine = _make(db, field, "am1", title="am1的任务")
    theirs = _make(db, field, "am2", title="am2的任务")
    auth.login("am1")
    page = auth.client.get("/tasks/").get_data(as_text=True)
    assert "am1的任务" in page and "am2的任务" not in page
    assert auth.client.get(f"/tasks/{mine['id']}").status_code == 200
    assert auth.client.get(f"/tasks/{theirs['id']}").status_code == 404
    assert auth.client.get("/tasks/new").status_code == 403
    auth.logout()
    auth.login("sup_d1")
    assert auth.client.get(f"/tasks/{theirs['id']}").status_code == 404
    assert auth.post(f"/tasks/{theirs['id']}/cancel").status_code == 404
    assert records.get(db, "task", theirs["id"])["status"] == "open"
    auth.logout()
    auth.login("tech1")
    assert auth.client.get("/tasks/").status_code == 403


# ---- progress from visits synced by the account manager's device ----


def visit_done(device, customer, purpose="routine", notes="", at=None):
    """Check in and out of a visit through the sync API (device time: now unless given)."""
    at = at or now_utc()
    vid = new_id()
    args = dict(id=vid, customer_id=customer["id"], purpose=purpose, lat=30.27, lon=120.15)
    steps = [device.mutation("visit.check_in", {**args, "accuracy": 10, "at": at})]
    if notes:
        steps.append(device.mutation("visit.update", {"id": vid, "fields": {"notes": notes}}))
    steps.append(device.mutation("visit.check_out", {"id": vid, "at": at}))
    status, body = device.push(steps)
    assert status == 200 and all(r["status"] == "applied" for r in body["results"]), body
    return vid


def today_window() -> dict:
    today = times.local_day(now_utc())
    return dict(start_date=today, due_date=today)


def test_progress_from_synced_visits_returned_and_resubmitted(db, auth, client, field):
    task = _make(db, field, **today_window())
    device = Device(client, "am1", factories.PASSWORD)
    first = visit_done(device, field["a1"])
    visit_done(device, field["b1"])  # class B: does not count
    assert model.progress(db, task)["done"] == 1
    records.update(db, "visit", first, {"status": "returned"}, field["sup_d1"]["id"], "return")
    assert model.progress(db, task)["done"] == 0  # returned: not until resubmitted
    records.update(db, "visit", first, {"status": "completed"}, field["am1"]["id"], "resubmit")
    visit_done(device, field["a2"])
    progress = model.progress(db, task)
    assert (progress["done"], progress["target"], progress["complete"]) == (2, 2, True)
    auth.login("sup_d1")
    page = auth.client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'data-done="2" data-target="2"' in page
    assert len(re.findall(r"data-counted=", page)) == 2 and "data-missing=" not in page


def test_promotion_progress_counts_distinct_customers_with_keyword(db, client, field):
    task = _make(
        db,
        field,
        kind="promotion",
        purpose="product_promotion",
        keyword="5G",
        target_count="2",
        **today_window(),
    )
    device = Device(client, "am1", factories.PASSWORD)
    visit_done(device, field["a1"], "product_promotion", "介绍5g专线")
    visit_done(device, field["a1"], "product_promotion", "再谈5G")  # same customer
    visit_done(device, field["a2"], "product_promotion", "宽带")  # no keyword
    visit_done(device, field["b1"], "routine", "5G")  # wrong purpose
    assert model.progress(db, task)["done"] == 1
    visit_done(device, field["b1"], "product_promotion", "5G套餐")
    assert model.progress(db, task)["complete"] is True


# ---- tasks on devices ----


def test_device_pull_shows_own_tasks_only(db, client, field):
    mine = _make(db, field, "am1")
    theirs = _make(db, field, "am2")
    am1 = Device(client, "am1", factories.PASSWORD)
    am1.pull()
    assert set(am1.entities("task")) == {mine["id"]}
    assert am1.entities("task")[mine["id"]]["target_customer_ids"] == mine["target_customer_ids"]
    sup = Device(client, "sup_d1", factories.PASSWORD)
    sup.pull()
    assert set(sup.entities("task")) == {mine["id"]}
    # A task assigned after the first pull arrives through the change feed.
    later = _make(db, field, "am1", title="新任务")
    am1.pull()
    assert set(am1.entities("task")) == {mine["id"], later["id"]}
    assert theirs["id"] not in am1.entities("task")


def test_task_complete_through_sync(db, client, field):
    free = _make(db, field, "am1", kind="free_text", title="收集客户需求表")
    coverage = _make(db, field, "am1")
    theirs = _make(db, field, "am2", kind="free_text")
    device = Device(client, "am1", factories.PASSWORD)
    device.pull()
    at = "2026-05-03T02:00:00Z"
    status, body = device.push(
        [
            device.mutation("task.complete", {"id": free["id"], "at": at, "note": "已交"}),
            device.mutation("task.complete", {"id": free["id"], "at": at}),
            device.mutation("task.complete", {"id": coverage["id"], "at": at}),
            device.mutation("task.complete", {"id": theirs["id"], "at": at}),
            device.mutation("task.complete", {"id": new_id(), "at": at}),
        ]
    )
    assert status == 200
    results = body["results"]
    assert [r["status"] for r in results] == ["applied", "applied", *["rejected"] * 3]
    assert results[1]["result"] == {"id": free["id"], "already": True}
    assert [r["result"]["code"] for r in results[2:]] == [
        "bad_args",
        "unknown_task",
        "unknown_task",
    ]
    stored = records.get(db, "task", free["id"])
    assert stored["done_note"] == "已交" and stored["done_device_at"] == at
    assert model.progress(db, stored)["complete"] is True
    assert records.get(db, "task", theirs["id"])["done_at"] is None
    device.pull()
    assert device.entities("task")[free["id"]]["done_at"] == stored["done_at"]


def test_pages_render_form_list_with_progress_and_manual_done(db, auth, field):
    free = _make(db, field, "am1", kind="free_text", title="收集需求表")
    _make(db, field, "am1", title="走访A类")
    auth.login("sup_d1")
    page = auth.client.get("/tasks/new").get_data(as_text=True)
    assert field["am1"]["display_name"] in page and field["am2"]["display_name"] not in page
    listing = auth.client.get("/tasks/").get_data(as_text=True)
    assert listing.count("<progress") == 2 and 'data-done="0" data-target="2"' in listing
    fragment = auth.client.get("/tasks/?state=cancelled", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).startswith("{# ") is False
    assert "<progress" not in fragment.get_data(as_text=True)
    auth.logout()
    auth.login("am1")
    resp = auth.post(f"/tasks/{free['id']}/complete", data={"note": "已交"})
    assert resp.status_code == 303
    assert records.get(db, "task", free["id"])["done_note"] == "已交"
    listing = auth.client.get("/tasks/").get_data(as_text=True)
    assert f'data-task="{free["id"]}" data-done="1" data-target="1" data-state="done"' in listing

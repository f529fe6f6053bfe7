"""Inspections: checklist evaluation, versioned templates, plan runs, the CLI and the page."""

from datetime import date

import pytest

from server.auth import model as auth_model
from server.inspections import checklists, evaluation, plans
from server.inspections.defaults import BASE_STATION
from server.scope import Caller
from server.work_orders.model import create_order
from tests import factories

# --- evaluation ---------------------------------------------------------------------------

READING = {"kind": "reading", "unit": "V", "min_value": 53.5, "max_value": 54.5}
CHOICE = {"kind": "choice", "choices": ["正常", "损坏"], "failing_choices": ["损坏"]}


@pytest.mark.parametrize(
    ("item", "answer", "passed", "problems"),
    [
        ({"kind": "pass_fail"}, {"passed": 1}, True, []),
        ({"kind": "pass_fail"}, {"passed": 0}, False, ["remark_required"]),
        ({"kind": "pass_fail"}, {"passed": 0, "remark": "已更换"}, False, []),
        ({"kind": "pass_fail"}, {}, False, ["answer_required"]),
        (READING, {"value_number": 53.5}, True, []),  # the bounds themselves pass
        (READING, {"value_number": 54.5}, True, []),
        (READING, {"value_number": 54.0}, True, []),
        (READING, {"value_number": 53.49}, False, ["remark_required"]),
        (READING, {"value_number": 54.51}, False, ["remark_required"]),
        (READING, {"value_number": 55, "remark": "调整浮充参数"}, False, []),
        (READING, {"value_text": "54.1"}, True, []),
        (READING, {"value_text": "abc"}, False, ["invalid_number"]),
        (READING, {}, False, ["answer_required"]),
        ({"kind": "reading", "unit": "Ω", "max_value": 5}, {"value_number": -3}, True, []),
        (CHOICE, {"value_text": "正常"}, True, []),
        (CHOICE, {"value_text": "损坏"}, False, ["remark_required"]),
        (CHOICE, {"value_text": "其他"}, False, ["invalid_choice"]),
        ({**CHOICE, "choices": '["正常", "损坏"]'}, {"value_text": "正常"}, True, []),
        ({"kind": "text"}, {"value_text": "一切正常"}, True, []),
        ({"kind": "text"}, {"value_text": "  "}, False, ["answer_required"]),
        ({"kind": "photo"}, {"photo_sha256": "ab" * 32}, True, []),
        ({"kind": "photo"}, {}, False, ["photo_required"]),
        ({"kind": "pass_fail", "photo_required": 1}, {"passed": 1}, True, ["photo_required"]),
        (
            {"kind": "pass_fail", "photo_required": 1},
            {"passed": 1, "photo_sha256": "cd" * 32},
            True,
            [],
        ),
    ],
)
def test_evaluate(item, answer, passed, problems):
    assert evaluation.evaluate(item, answer) == (passed, problems)


def test_order_complete_uses_the_latest_answer_of_each_item():
    items = [
        {"id": "i1", "position": 1, "label": "温度", **READING},
        {"id": "i2", "position": 2, "label": "空调", "kind": "pass_fail"},
    ]
    answers = [
        {"item_id": "i1", "value_number": 60, "version": 5},  # failed, no remark
        {"item_id": "i1", "value_number": 54, "version": 9},  # corrected later
    ]
    complete, missing = evaluation.order_complete(items, answers)
    assert not complete
    assert missing == [
        {"item_id": "i2", "position": 2, "label": "空调", "problems": ["answer_required"]}
    ]
    answers.append({"item_id": "i2", "passed": 1, "version": 10})
    assert evaluation.order_complete(items, answers) == (True, [])
    answers.append({"item_id": "i1", "value_number": 60, "version": 11})
    complete, missing = evaluation.order_complete(items, answers)
    assert not complete and missing[0]["problems"] == ["remark_required"]


# --- templates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "field", "code"),
    [
        ({"kind": "pass_fail"}, "label", "required"),
        ({"label": "x", "kind": "gauge"}, "kind", "invalid_choice"),
        (
            {"label": "x", "kind": "reading", "min_value": 1, "max_value": 2},
            "unit",
            "reading_needs_unit",
        ),
        (
            {"label": "x", "kind": "reading", "unit": "V", "min_value": 3, "max_value": 2},
            "max_value",
            "min_above_max",
        ),
        (
            {"label": "x", "kind": "reading", "unit": "V", "min_value": "a"},
            "min_value",
            "invalid_number",
        ),
        ({"label": "x", "kind": "choice"}, "choices", "choices_required"),
        (
            {"label": "x", "kind": "choice", "choices": "好,坏", "failing_choices": "差"},
            "failing_choices",
            "failing_not_in_choices",
        ),
    ],
)
def test_item_validation(item, field, code):
    _clean, errors = checklists.validate_items([{"label": "ok", "kind": "text"}, item])
    assert errors == {f"1.{field}": code}


def test_item_validation_accepts_good_items_and_splits_choices():
    clean, errors = checklists.validate_items(
        [{"label": "门禁", "kind": "choice", "choices": "正常，损坏", "failing_choices": "损坏"}]
    )
    assert errors == {}
    assert clean[0]["choices"] == ["正常", "损坏"] and clean[0]["failing_choices"] == ["损坏"]
    assert checklists.validate_items([])[1] == {"items": "no_items"}


def test_invalid_template_is_refused(db):
    with pytest.raises(checklists.ChecklistError) as raised:
        checklists.create_template(db, None, "base_station", "t", [{"kind": "text"}])
    assert raised.value.errors == {"0.label": "required"}
    assert db["checklist_template"].count == 0


def test_default_templates(db):
    created = checklists.ensure_default_templates(db)
    assert {t["site_type"] for t in created} == {
        "base_station",
        "customer_premises",
        "line_endpoint",
    }
    base = checklists.current_template(db, "base_station")
    items = checklists.items(db, base["id"])
    assert len(items) == 20 and len(BASE_STATION) == 20
    voltage = items[0]
    assert (voltage["label"], voltage["unit"], voltage["min_value"], voltage["max_value"]) == (
        "蓄电池浮充电压",
        "V",
        53.5,
        54.5,
    )
    assert {i["kind"] for i in items} == set(checklists.ITEM_KINDS)
    assert checklists.ensure_default_templates(db) == []  # once only
    assert db["checklist_template"].count == 3


def test_new_version_keeps_the_old_one_for_its_orders(db, tree):
    v1 = checklists.create_template(
        db,
        None,
        "base_station",
        "基站巡检",
        [{"label": "机房温度", "kind": "reading", "unit": "℃", "min_value": 10, "max_value": 30}],
    )
    site = factories.make_site(db, tree["D1"])
    order = create_order(
        db,
        None,
        wo_type="inspection",
        org_id=tree["D1"]["id"],
        site_id=site["id"],
        checklist_template_id=v1["id"],
    )
    edited = [checklists.editable(i) for i in v1["items"]]
    edited[0]["max_value"] = 28
    edited.append({"label": "空调运行", "kind": "pass_fail"})
    v2 = checklists.new_version(db, None, v1["id"], edited)
    assert v2["template_version"] == 2 and v2["name"] == "基站巡检" and v2["id"] != v1["id"]
    assert [i["max_value"] for i in v2["items"]] == [28, None]
    assert checklists.current_template(db, "base_station")["id"] == v2["id"]
    assert db["checklist_template"].get(v1["id"])["active"] == 0
    old_items = checklists.items(db, v1["id"])
    assert [(i["label"], i["max_value"]) for i in old_items] == [("机房温度", 30)]
    assert db["work_order"].get(order["id"])["checklist_template_id"] == v1["id"]


# --- plans ----------------------------------------------------------------------------------


def _caller(db, user) -> Caller:
    return auth_model.caller(db, user["id"])


def _plan(db, org, **overrides) -> dict:
    values = dict(
        name="基站月度巡检",
        org_id=org["id"],
        site_type="base_station",
        assigned_org_id=None,
        start_date="2026-11-05",
    )
    values.update(overrides)
    return plans.create_plan(db, None, **values)


def _orders(db) -> list[dict]:
    return list(db.query("SELECT * FROM work_order ORDER BY site_id, plan_period"))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-11-05", ("2026-11-05", "2026-12-04")),
        ("2026-11-30", ("2026-11-05", "2026-12-04")),
        ("2026-12-04", ("2026-11-05", "2026-12-04")),
        ("2026-12-05", ("2026-12-05", "2027-01-03")),  # across the month (and year) boundary
        ("2027-01-04", ("2027-01-04", "2027-02-02")),
    ],
)
def test_periods_are_whole_cycles_from_the_start_date(today, expected):
    day = date.fromisoformat(today)
    found = plans.periods(date(2026, 11, 5), 30, day, day)
    assert [(a.isoformat(), b.isoformat()) for a, b in found] == [expected]


def test_no_period_before_the_start_date():
    assert plans.periods(date(2026, 11, 5), 30, date(2026, 11, 1), date(2026, 11, 4)) == []
    found = plans.periods(date(2026, 11, 5), 30, date(2026, 11, 1), date(2026, 12, 10))
    assert [plans.period_text(w) for w in found] == [
        "2026-11-05/2026-12-04",
        "2026-12-05/2027-01-03",
    ]


def test_run_twice_creates_nothing_twice(db, tree):
    a = factories.make_site(db, tree["T1"], tree["K"], inspection_cycle_days=30)
    b = factories.make_site(db, tree["D1"], inspection_cycle_days=30)
    plan = _plan(db, tree["D1"])
    first = plans.run_plans(db, None, date(2026, 11, 20))
    assert first == {"plans": 1, "created": 2, "existing": 0}
    again = plans.run_plans(db, None, date(2026, 11, 28))
    assert again == {"plans": 1, "created": 0, "existing": 2}
    orders = _orders(db)
    assert len(orders) == 2 == db["work_order"].count
    by_site = {o["site_id"]: o for o in orders}
    order = by_site[a["id"]]
    assert order["wo_type"] == "inspection" and order["status"] == "dispatched"
    assert order["plan_period"] == "2026-11-05/2026-12-04"
    assert order["inspection_plan_id"] == plan["id"] and order["org_id"] == tree["T1"]["id"]
    assert order["assigned_org_id"] == tree["K"]["id"]  # the site's contractor
    assert by_site[b["id"]]["assigned_org_id"] is None
    template = checklists.current_template(db, "base_station")  # made by the run
    assert order["checklist_template_id"] == template["id"]
    assert order["restore_due_at"]  # dispatched: SLA deadlines set
    # the next period is a new order, once
    assert plans.run_plans(db, None, date(2026, 12, 5))["created"] == 2
    assert plans.run_plans(db, None, date(2026, 12, 6))["created"] == 0
    assert db["work_order"].count == 4


def test_plan_team_overrides_the_contractor_and_sites_follow_their_cycle(db, tree):
    factories.make_site(db, tree["T1"], tree["K"], inspection_cycle_days=7)
    _plan(db, tree["C"], assigned_org_id=tree["T2"]["id"])
    counts = plans.run_plans(db, None, date(2026, 11, 5), horizon_days=20)
    assert counts["created"] == 3  # 11-05, 11-12, 11-19 weeks start within the horizon
    orders = _orders(db)
    assert [o["plan_period"] for o in orders] == [
        "2026-11-05/2026-11-11",
        "2026-11-12/2026-11-18",
        "2026-11-19/2026-11-25",
    ]
    assert {o["assigned_org_id"] for o in orders} == {tree["T2"]["id"]}


def test_sites_outside_the_subtree_or_of_another_type_get_nothing(db, tree):
    inside = factories.make_site(db, tree["T1"])
    factories.make_site(db, tree["D2"])  # other district
    factories.make_site(db, tree["T2"])
    factories.make_site(db, tree["C"])  # above the plan's org
    factories.make_site(db, tree["T1"], site_type="line_endpoint")
    _plan(db, tree["D1"])
    assert plans.run_plans(db, None, date(2026, 11, 5))["created"] == 1
    assert [o["site_id"] for o in _orders(db)] == [inside["id"]]


def test_paused_and_future_plans_make_nothing(db, tree):
    factories.make_site(db, tree["T1"])
    paused = _plan(db, tree["D1"])
    plans.set_active(db, None, paused["id"], False)
    _plan(db, tree["D1"], start_date="2027-01-01")
    assert plans.run_plans(db, None, date(2026, 11, 5)) == {
        "plans": 1,
        "created": 0,
        "existing": 0,
    }
    assert db["work_order"].count == 0


def test_run_with_a_caller_runs_only_their_plans(db, tree):
    factories.make_site(db, tree["T1"])
    factories.make_site(db, tree["T2"])
    _plan(db, tree["D1"])
    _plan(db, tree["D2"])
    sup_d1 = _caller(db, tree["sup_d1"])
    assert plans.run_plans(db, None, date(2026, 11, 5), caller=sup_d1)["created"] == 1


def test_validate_plan(db, tree):
    sup_d1 = _caller(db, tree["sup_d1"])
    data = {
        "name": " 巡检 ",
        "org_id": tree["D1"]["id"],
        "site_type": "base_station",
        "start_date": "2026-11-05",
        "assigned_org_id": tree["T1"]["id"],
    }
    clean, errors = plans.validate_plan(db, sup_d1, data)
    assert (
        errors == {} and clean["name"] == "巡检" and clean["assigned_org_id"] == tree["T1"]["id"]
    )
    bad = {
        "name": "",
        "org_id": tree["D2"]["id"],
        "site_type": "tower",
        "start_date": "2026-13-01",
        "assigned_org_id": "nope",
    }
    assert plans.validate_plan(db, sup_d1, bad)[1] == {
        "name": "required",
        "org_id": "out_of_scope",
        "site_type": "invalid_choice",
        "start_date": "invalid_date",
        "assigned_org_id": "unknown_org",
    }


def test_cli_plans_run(app, db, tree):
    factories.make_site(db, tree["T1"], inspection_cycle_days=30)
    _plan(db, tree["D1"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plans", "run", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert "1 plan(s): 1 order(s) created, 0 already there" in result.output
    result = runner.invoke(args=["plans", "run", "--date", "2026-11-21"])
    assert "0 order(s) created, 1 already there" in result.output
    assert db["work_order"].count == 1
    bad = runner.invoke(args=["plans", "run", "--date", "20261120"])
    assert bad.exit_code != 0


# --- page ---------------------------------------------------------------------------------


def test_page_is_for_supervisors_and_admins(client, auth, db, tree):
    auth.login("tech1")
    assert client.get("/inspections/").status_code == 403
    auth.logout()
    checklists.ensure_default_templates(db)
    auth.login("sup_d1")
    page = client.get("/inspections/").get_data(as_text=True)
    assert 'id="plan-form"' in page and 'id="plan-run"' in page
    assert 'data-template="base_station-1"' in page and "基站巡检表" in page


def test_supervisor_creates_a_plan_in_scope_and_runs_it(client, auth, db, tree):
    factories.make_site(db, tree["T1"])
    factories.make_site(db, tree["T2"])
    auth.login("sup_d1")
    data = {
        "name": "西湖基站巡检",
        "site_type": "base_station",
        "org_id": tree["D2"]["id"],
        "start_date": "2020-01-01",
    }
    refused = auth.post("/inspections/plans", data, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and 'data-error="org_id"' in refused.get_data(as_text=True)
    assert db["inspection_plan"].count == 0
    made = auth.post("/inspections/plans", {**data, "org_id": tree["D1"]["id"]})
    assert made.status_code == 303
    plan = next(db.query("SELECT * FROM inspection_plan"))
    assert plan["org_id"] == tree["D1"]["id"] and plan["active"] == 1
    ran = auth.post("/inspections/run", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-run-created="1"' in ran
    assert db["work_order"].count == 1
    ran = auth.post("/inspections/run", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-run-created="0"' in ran and db["work_order"].count == 1


def test_run_and_forms_need_csrf(client, auth, tree):
    auth.login("sup_d1")
    assert client.post("/inspections/run").status_code == 400


def test_pausing_a_plan_out_of_scope_is_a_404(client, auth, db, tree):
    other = _plan(db, tree["D2"])
    mine = _plan(db, tree["D1"])
    auth.login("sup_d1")
    assert auth.post(f"/inspections/plans/{other['id']}/active").status_code == 404
    assert auth.post(f"/inspections/plans/{mine['id']}/active").status_code == 303
    assert db["inspection_plan"].get(mine["id"])["active"] == 0
    listing = client.get("/inspections/").get_data(as_text=True)
    assert f'data-plan="{mine["name"]}"' in listing and listing.count("data-plan=") == 1


def _template_form(items, name="基站巡检") -> dict:
    form = {"name": name, "row_count": str(len(items))}
    for n, item in enumerate(items):
        form.update({f"{n}.{key}": value for key, value in item.items()})
    return form


def test_admin_edits_a_template_into_a_new_version(client, auth, db, tree):
    checklists.ensure_default_templates(db)
    v1 = checklists.current_template(db, "line_endpoint")
    auth.login("sup_d1")
    assert client.get(f"/inspections/templates/{v1['id']}").status_code == 200
    assert auth.post(f"/inspections/templates/{v1['id']}", _template_form([])).status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get(f"/inspections/templates/{v1['id']}").get_data(as_text=True)
    assert 'id="template-form"' in page and "接收光功率" in page
    bad = [{"label": "光功率", "kind": "reading", "min_value": "-27", "max_value": "-30"}]
    refused = auth.post(f"/inspections/templates/{v1['id']}", _template_form(bad))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-error="0.unit"' in html
    assert 'data-error="0.max_value"' in html
    good = [
        {
            "label": "光功率",
            "kind": "reading",
            "unit": "dBm",
            "min_value": "-27",
            "max_value": "-8",
        },
        {"label": "", "kind": "pass_fail"},
        {
            "label": "标签",
            "kind": "choice",
            "choices": "齐全, 缺失",
            "failing_choices": "缺失",
            "photo_required": "1",
        },
    ]
    saved = auth.post(f"/inspections/templates/{v1['id']}", _template_form(good, "线路巡检"))
    assert saved.status_code == 303
    v2 = checklists.current_template(db, "line_endpoint")
    assert v2["template_version"] == 2 and v2["name"] == "线路巡检"
    items = checklists.items(db, v2["id"])
    assert [(i["label"], i["kind"], i["photo_required"]) for i in items] == [
        ("光功率", "reading", 0),
        ("标签", "choice", 1),
    ]
    assert items[1]["choices"] == ["齐全", "缺失"]
    assert len(checklists.items(db, v1["id"])) == 6  # the old version is untouched
    assert client.get("/inspections/templates/nope").status_code == 404


@pytest.mark.parametrize("row_count", ["999999999999", "abc", "²", "-3", ""])
def test_a_forged_row_count_is_bounded_and_never_loops(client, auth, db, tree, row_count):
    """row_count came from the form: 10**12 looped a worker, a non-number answered 500."""
    checklists.ensure_default_templates(db)
    v1 = checklists.current_template(db, "line_endpoint")
    auth.login("admin")
    form = {**_template_form([{"label": "光功率", "kind": "pass_fail"}]), "row_count": row_count}
    answer = auth.post(f"/inspections/templates/{v1['id']}", form)
    assert answer.status_code in (303, 422), answer.status_code
    if answer.status_code == 422:  # no rows read: a checklist needs at least one item
        assert 'data-error="items"' in answer.get_data(as_text=True)

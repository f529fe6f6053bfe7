"""Performance scores: hand-computed indicators and weighting, policy versions, returns,
scope of pages and exports, the device's own scorecard."""

import csv
import io

import pytest

from server import records
from server.scores import account_managers as am_ind
from server.scores import cards, compute, formula, indexes, indicators, policy
from server.scores import technicians as tech_ind
from tests import factories as f
from tests.device import Device

MONTH = "2025-03"
NOW = "2025-04-15T00:00:00.000Z"
Z = ".000Z"


def visit(db, am, customer, **fields):
    values = dict(customer_id=customer["id"], account_manager_id=am["id"], org_id=am["org_id"])
    values.update({"status": "completed", **fields})
    return records.insert(db, "visit", values, None)


def returned_then(db, table, row, final, reviewer):
    """Return a record (as reviewers do: an audit "return"), then move it to `final`."""
    records.update(db, table, row["id"], {"status": "returned"}, reviewer["id"], "return")
    return records.update(db, table, row["id"], {"status": final}, reviewer["id"], "approve")


@pytest.fixture
def am_month(db, tree):
    """am1's March 2025 (Beijing time). Expected values are worked out in each test."""
    am, sup = tree["am1"], tree["sup_d1"]
    a1, a2, a3 = (f.make_customer(db, tree["T1"], am, handsets=600) for _ in range(3))
    c = f.make_customer(db, tree["T1"], am, handsets=50)
    t = "2025-03-{}T{}" + Z
    v = {}
    v[1] = visit(
        db,
        am,
        a1,
        planned_date="2025-03-05",
        status="approved",
        satisfaction=5,
        check_in_at=t.format("05", "02:00:00"),
        check_out_at=t.format("05", "03:00:00"),
        check_out_device_at=t.format("05", "03:00:00"),
    )
    v[2] = visit(
        db,
        am,
        a2,
        planned_date="2025-03-10",
        satisfaction=3,
        check_in_at=t.format("10", "02:00:00"),
        check_out_at=t.format("12", "05:00:00"),
        check_out_device_at=t.format("10", "03:00:00"),
    )
    v[2] = returned_then(db, "visit", v[2], "approved", sup)
    v[3] = visit(db, am, c, planned_date="2025-03-20", status="planned")
    v[4] = visit(db, am, c, planned_date="2025-03-25", status="cancelled")
    v[5] = visit(
        db,
        am,
        a1,
        check_in_at=t.format("28", "02:00:00"),
        check_out_at=t.format("28", "02:30:00"),
        check_out_device_at=t.format("28", "02:30:00"),
    )
    # 01:00 on 1 March in Beijing is still February in UTC: it belongs to March.
    v[6] = visit(
        db,
        am,
        c,
        satisfaction=4,
        check_in_at="2025-02-28T17:00:00" + Z,
        check_out_at="2025-02-28T18:00:00" + Z,
        check_out_device_at="2025-02-28T17:30:00" + Z,
    )
    # 23:00 on 28 February in Beijing: February, whatever UTC says.
    v[7] = visit(
        db,
        am,
        a3,
        planned_date="2025-02-28",
        satisfaction=1,
        check_in_at="2025-02-28T15:00:00" + Z,
        check_out_at="2025-02-28T15:30:00" + Z,
        check_out_device_at="2025-02-28T15:30:00" + Z,
    )
    v[8] = visit(db, am, c, planned_date="2025-04-01", status="planned")
    fu = {}
    for n, (due, done) in enumerate(
        [
            ("2025-03-10", "2025-03-09T10:00:00" + Z),  # on time
            ("2025-03-15", "2025-03-15T17:00:00" + Z),  # 01:00 on the 16th in Beijing: late
            ("2025-03-20", None),  # open past due
            ("2025-03-31", "2025-03-31T15:00:00" + Z),  # 23:00 on the 31st: on time
            ("2025-04-02", None),  # April
        ],
        1,
    ):
        values = dict(
            visit_id=v[1]["id"],
            customer_id=a1["id"],
            account_manager_id=am["id"],
            action=f"send quote {n}",
            due_date=due,
            done_at=done,
        )
        fu[n] = records.insert(db, "follow_up", values, None)
    return {"visits": v, "follow_ups": fu, "customers": (a1, a2, a3, c)}


def rules_of(found):
    return {r["record_id"]: r["rule"] for r in found}


def test_visit_plan_completion(db, tree, am_month):
    v = am_month["visits"]
    value, found = am_ind.visit_plan_completion(db, tree["am1"]["id"], MONTH, NOW)
    # planned in March: v1 done, v2 done (returned then approved: it took place), v3 not
    # done, v4 cancelled -> 2 / 4; v7 (February) and v8 (April) are not in the month.
    assert value == pytest.approx(2 / 4)
    assert rules_of(found) == {
        v[1]["id"]: "completed",
        v[2]["id"]: "completed",
        v[3]["id"]: "not_completed",
        v[4]["id"]: "cancelled",
    }


def test_plans_not_yet_due_are_not_counted(db, tree, am_month):
    value, found = am_ind.visit_plan_completion(
        db, tree["am1"]["id"], MONTH, "2025-03-22T00:00:00Z"
    )
    assert rules_of(found)[am_month["visits"][4]["id"]] == "cancelled"
    assert [r["rule"] for r in found if r["record_id"] == am_month["visits"][3]["id"]] == [
        "not_completed"
    ]
    value, found = am_ind.visit_plan_completion(
        db, tree["am1"]["id"], MONTH, "2025-03-19T00:00:00Z"
    )
    assert rules_of(found)[am_month["visits"][3]["id"]] == "not_yet_due"
    assert value == pytest.approx(2 / 3)


def test_a_class_coverage(db, tree, am_month):
    a1, a2, a3, _c = am_month["customers"]
    value, found = am_ind.a_class_coverage(db, tree["am1"]["id"], MONTH, NOW)
    # A-class: a1 (v1, v5), a2 (v2) visited in March; a3 only on 28 February local.
    assert value == pytest.approx(2 / 3)
    assert rules_of(found) == {a1["id"]: "visited", a2["id"]: "visited", a3["id"]: "not_visited"}


def test_follow_ups_closed_on_time(db, tree, am_month):
    fu = am_month["follow_ups"]
    value, found = am_ind.follow_ups_on_time(db, tree["am1"]["id"], MONTH, NOW)
    assert value == pytest.approx(2 / 4)
    assert rules_of(found) == {
        fu[1]["id"]: "closed_on_time",
        fu[2]["id"]: "closed_late",
        fu[3]["id"]: "open_past_due",
        fu[4]["id"]: "closed_on_time",
    }


def test_satisfaction(db, tree, am_month):
    v = am_month["visits"]
    value, found = am_ind.satisfaction(db, tree["am1"]["id"], MONTH, NOW)
    # March visits: v1 5, v2 3, v5 unrated, v6 4 -> mean 4 / 5
    assert value == pytest.approx(0.8)
    assert rules_of(found)[v[5]["id"]] == "no_rating"
    assert rules_of(found)[v[6]["id"]] == "rated_4"
    assert v[7]["id"] not in rules_of(found)


def test_visit_review_pass_rate_counts_a_return_against_it(db, tree, am_month):
    v = am_month["visits"]
    value, found = am_ind.visit_review_pass(db, tree["am1"]["id"], MONTH, NOW)
    # reviewed: v1 approved first time, v2 returned then approved -> 1 / 2
    assert value == pytest.approx(1 / 2)
    assert rules_of(found) == {
        v[1]["id"]: "approved_first_time",
        v[2]["id"]: "returned",
        v[5]["id"]: "awaiting_review",
        v[6]["id"]: "awaiting_review",
    }


def test_a_return_in_the_review_history_counts(db, tree, am_month):
    v1 = am_month["visits"][1]
    db.execute(
        "INSERT INTO review (id, entity, entity_id, action, at, org_id, created_at, updated_at)"
        " VALUES ('r1', 'visit', ?, 'return', ?, ?, ?, ?)",
        [v1["id"], NOW, v1["org_id"], NOW, NOW],
    )
    value, found = am_ind.visit_review_pass(db, tree["am1"]["id"], MONTH, NOW)
    assert rules_of(found)[v1["id"]] == "returned"
    assert value == 0.0


def test_visit_report_timeliness(db, tree, am_month):
    v = am_month["visits"]
    value, found = am_ind.visit_report_timeliness(db, tree["am1"]["id"], MONTH, NOW)
    # v1 synced at once, v2 two days after check-out, v5 at once, v6 after 30 min -> 3 / 4
    assert value == pytest.approx(3 / 4)
    assert rules_of(found)[v[2]["id"]] == "synced_late"


@pytest.fixture
def tech_month(db, tree):
    """tech1's March 2025 and contractor K's."""
    tech, sup, team = tree["tech1"], tree["sup_d1"], tree["T1"]
    s1, s2 = f.make_site(db, team), f.make_site(db, team)

    def order(wo_type="fault_repair", assignee=tech, **fields):
        row = f.make_work_order(
            db,
            team,
            wo_type,
            assignee=assignee,
            assigned_org=fields.pop("assigned_org", None),
            at="2025-03-01T00:00:00Z",
        )
        clear = dict(arrival_due_at=None, restore_due_at=None, response_due_at=None)
        # created on the server when dispatched (the repeat-fault rule reads created_at)
        clear["created_at"] = fields.get("dispatched_at", "2025-03-01T00:00:00" + Z)
        return records.update(db, "work_order", row["id"], {**clear, **fields}, None)

    t = "2025-03-{}T{}" + Z
    o = {}
    o[1] = order(
        site_id=s1["id"],
        status="approved",
        arrival_due_at=t.format("05", "04:00:00"),
        on_site_at=t.format("05", "03:00:00"),
        restore_due_at=t.format("05", "08:00:00"),
        resolved_at=t.format("05", "09:00:00"),
        submitted_at=t.format("05", "10:00:00"),
    )
    o[2] = order(
        site_id=s1["id"],
        status="submitted",
        dispatched_at=t.format("10", "00:00:00"),
        arrival_due_at=t.format("10", "04:00:00"),
        on_site_at=t.format("10", "05:00:00"),
        restore_due_at=t.format("10", "08:00:00"),
        resolved_at=t.format("10", "07:00:00"),
        submitted_at=t.format("13", "07:00:00"),
    )
    records.insert(
        db,
        "work_order_event",
        dict(
            work_order_id=o[2]["id"],
            to_status="submitted",
            from_status="resolved",
            server_at=t.format("10", "08:00:00"),
        ),
        None,
    )
    o[2] = returned_then(db, "work_order", o[2], "approved", sup)
    o[3] = order(
        site_id=s2["id"],
        status="cancelled",
        arrival_due_at=t.format("20", "04:00:00"),
        restore_due_at=t.format("20", "08:00:00"),
    )
    o[4] = order(
        site_id=s2["id"],
        status="submitted",
        arrival_due_at="2025-03-31T15:00:00" + Z,
        on_site_at="2025-03-31T14:00:00" + Z,
        restore_due_at="2025-04-01T03:00:00" + Z,
        resolved_at="2025-03-31T15:30:00" + Z,
        submitted_at="2025-04-02T00:00:00" + Z,
    )
    o[5] = order(
        "inspection",
        status="submitted",
        plan_period="2025-03-01/2025-03-31",
        resolved_at=t.format("30", "02:00:00"),
        submitted_at=t.format("30", "03:00:00"),
    )
    o[6] = order("inspection", status="on_site", plan_period="2025-02-15/2025-03-16")
    o[7] = order("inspection", status="on_site", plan_period="2025-03-20/2025-04-18")
    k = tree["K"]
    o[8] = order(
        assignee=tree["tech_k"],
        assigned_org=k,
        status="on_site",
        arrival_due_at=t.format("08", "04:00:00"),
        on_site_at=t.format("08", "03:00:00"),
    )
    o[9] = order(
        assignee=None,
        assigned_org=k,
        status="dispatched",
        arrival_due_at=t.format("09", "04:00:00"),
    )
    return o


def test_sla_arrival_and_restore(db, tree, tech_month):
    o = tech_month
    value, found = tech_ind.sla_arrival(db, tree["tech1"]["id"], MONTH, NOW)
    assert value == pytest.approx(2 / 3)  # o1 on time, o2 late, o4 on time; o3 cancelled
    assert rules_of(found) == {
        o[1]["id"]: "arrived_on_time",
        o[2]["id"]: "arrived_late",
        o[3]["id"]: "cancelled",
        o[4]["id"]: "arrived_on_time",
    }
    value, found = tech_ind.sla_restore(db, tree["tech1"]["id"], MONTH, NOW)
    assert value == pytest.approx(1 / 2)  # o1 late, o2 on time; o4's restore is due in April
    assert o[4]["id"] not in rules_of(found)


def test_inspection_completion(db, tree, tech_month):
    o = tech_month
    value, found = tech_ind.inspection_completion(db, tree["tech1"]["id"], MONTH, NOW)
    assert value == pytest.approx(1 / 2)
    assert rules_of(found) == {o[5]["id"]: "completed", o[6]["id"]: "not_completed"}


def test_first_time_fix(db, tree, tech_month):
    o = tech_month
    value, found = tech_ind.first_time_fix(db, tree["tech1"]["id"], MONTH, NOW)
    assert value == pytest.approx(1 / 3)
    assert rules_of(found) == {
        o[1]["id"]: "repeat_fault_within_7_days",  # o2 at the same site five days later
        o[2]["id"]: "returned",
        o[4]["id"]: "fixed_first_time",
    }
    _value, found = tech_ind.first_time_fix(db, tree["tech1"]["id"], MONTH, "2025-04-03T00:00:00Z")
    assert rules_of(found)[o[4]["id"]] == "watch_period_open"


def test_order_review_pass_and_timeliness(db, tree, tech_month):
    o = tech_month
    value, found = tech_ind.order_review_pass(db, tree["tech1"]["id"], MONTH, NOW)
    assert value == pytest.approx(1 / 2)
    assert rules_of(found)[o[2]["id"]] == "returned"
    assert rules_of(found)[o[4]["id"]] == "awaiting_review"
    value, found = tech_ind.order_report_timeliness(db, tree["tech1"]["id"], MONTH, NOW)
    # o2 was resubmitted 3 days late, but its first submission came after 1 h: on time
    assert rules_of(found)[o[2]["id"]] == "submitted_within_24h"
    assert rules_of(found)[o[4]["id"]] == "submitted_late"
    assert value == pytest.approx(3 / 4)


def test_weighting_renormalises_over_applicable_indicators():
    weights = {"a": 50, "b": 30, "c": 20}
    score, parts = formula.weighted({"a": 1.0, "b": 0.5, "c": None}, weights)
    assert score == pytest.approx(100 * (50 * 1 + 30 * 0.5) / 80, abs=0.05)  # 81.25
    assert parts["c"]["contribution"] is None
    assert parts["a"]["share"] == pytest.approx(0.625)
    assert formula.weighted({"a": None}, weights) == (None, {"a": parts["c"] | {"weight": 50.0}})
    assert formula.weighted({"a": 1.0, "b": 0.0}, {"a": 0, "b": 10})[0] == 0.0


def test_compute_month_scores_people_teams_and_contractors(db, tree, am_month, tech_month):
    result = compute.compute_month(db, MONTH, now=NOW)
    assert result["changed"] == result["cards"]
    am = cards.stored(db, MONTH, "account_manager", tree["am1"]["id"])
    # 25×0.5 + 20×2/3 + 15×0.5 + 20×0.8 + 10×0.5 + 10×0.75 = 61.83
    assert am["score"] == 61.8
    assert am["policy_version"] == 1
    assert am["indicators"]["a_class_coverage"]["counted"] == 3
    assert am["indicators"]["satisfaction"]["contribution"] == 16.0
    tech = cards.stored(db, MONTH, "technician", tree["tech1"]["id"])
    # 20×2/3 + 20×0.5 + 20×0.5 + 15×1/3 + 15×0.5 + 10×0.75 = 53.33
    assert tech["score"] == 53.3
    # contractor K: its technician's o8 on time and its unassigned o9 late -> arrival 1/2,
    # the only indicator with records -> 50; tech_k alone: 100.
    assert cards.stored(db, MONTH, "contractor", tree["K"]["id"])["score"] == 50.0
    assert cards.stored(db, MONTH, "technician", tree["tech_k"]["id"])["score"] == 100.0
    team = cards.stored(db, MONTH, "team", tree["T1"]["id"])
    assert team["score"] == pytest.approx((61.8 + 53.3) / 2, abs=0.051)
    assert team["indicators"] == {"members": 2, "scored": 2}
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] == 0


def test_a_live_card_matches_the_stored_one(db, tree, am_month):
    compute.compute_month(db, MONTH, now=NOW)
    live = cards.live(db, "account_manager", tree["am1"]["id"], MONTH, now=NOW)
    assert live["score"] == cards.stored(db, MONTH, "account_manager", tree["am1"]["id"])["score"]


def test_a_policy_change_mid_year_leaves_earlier_months_unchanged(db, tree, am_month):
    compute.compute_month(db, MONTH, now=NOW)
    only_satisfaction = {k: 0 for k in policy.DEFAULTS["account_manager"]} | {"satisfaction": 100}
    assert (
        policy.save(db, tree["admin"]["id"], "account_manager", only_satisfaction, "2025-06-01")
        == 2
    )
    a1 = am_month["customers"][0]
    visit(db, tree["am1"], a1, satisfaction=4, check_in_at="2025-06-10T02:00:00" + Z)
    assert compute.compute_month(db, MONTH, now="2025-07-01T00:00:00Z")["changed"] == 0
    march = cards.stored(db, MONTH, "account_manager", tree["am1"]["id"])
    assert (march["score"], march["policy_version"]) == (61.8, 1)
    compute.compute_month(db, "2025-06", now="2025-07-01T00:00:00Z")
    june = cards.stored(db, "2025-06", "account_manager", tree["am1"]["id"])
    assert (june["score"], june["policy_version"]) == (80.0, 2)
    assert policy.in_force(db, "account_manager", "2025-05")["version"] == 1


def test_policy_validation_refuses_past_months_and_all_zero():
    form = {"role": "technician", "effective_month": "2025-03"}
    form |= {f"weight.{s.key}": "0" for s in indicators.for_role("technician")}
    _clean, errors = policy.validate(form, NOW)
    assert errors == {"weights": "weights_all_zero", "effective_month": "policy_in_past"}
    form |= {"weight.sla_arrival": "40", "effective_month": "2025-05"}
    clean, errors = policy.validate(form, NOW)
    assert errors == {}
    assert clean["weights"]["sla_arrival"] == 40 and clean["effective_from"] == "2025-05-01"


# ---- pages, scope, export, device ----


@pytest.fixture
def computed(db, tree, am_month, tech_month):
    compute.compute_month(db, MONTH, now=NOW)
    return tree


def names_in_csv(resp) -> list[str]:
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    return [row["name"] for row in csv.DictReader(io.StringIO(text))]


def test_supervisor_sees_and_exports_only_their_subtree(client, auth, computed):
    t = computed
    auth.login("sup_d1")
    page = client.get(f"/scores/?month={MONTH}").get_data(as_text=True)
    assert t["am1"]["id"] in page and t["tech1"]["id"] in page
    assert t["am2"]["id"] not in page and t["K"]["id"] not in page
    assert client.get(f"/scores/people/{t['am1']['id']}?month={MONTH}").status_code == 200
    assert client.get(f"/scores/people/{t['am2']['id']}?month={MONTH}").status_code == 404
    assert client.get(f"/scores/orgs/{t['K']['id']}?month={MONTH}").status_code == 404
    path = f"/scores/people/{t['am2']['id']}/satisfaction?month={MONTH}"
    assert client.get(path).status_code == 404
    names = names_in_csv(client.get(f"/scores/export.csv?month={MONTH}"))
    assert t["am1"]["display_name"] in names and t["T1"]["name"] in names
    assert t["am2"]["display_name"] not in names and t["K"]["name"] not in names


def test_contractor_supervisor_sees_only_their_contractor(client, auth, computed):
    t = computed
    auth.login("sup_k")
    assert client.get(f"/scores/people/{t['tech_k']['id']}?month={MONTH}").status_code == 200
    assert client.get(f"/scores/people/{t['tech1']['id']}?month={MONTH}").status_code == 404
    assert client.get(f"/scores/orgs/{t['T1']['id']}?month={MONTH}").status_code == 404
    page = client.get(f"/scores/orgs/{t['K']['id']}/sla_arrival?month={MONTH}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("data-rule=") == 2
    names = names_in_csv(client.get(f"/scores/export.csv?month={MONTH}"))
    assert sorted(names) == sorted([t["tech_k"]["display_name"], t["K"]["name"]])


def test_a_score_opens_to_indicators_and_records(client, auth, computed, am_month):
    t = computed
    auth.login("sup_city")
    page = client.get(f"/scores/people/{t['am1']['id']}?month={MONTH}").get_data(as_text=True)
    assert "61.8" in page and 'data-indicator="a_class_coverage"' in page
    path = f"/scores/people/{t['am1']['id']}/visit_plan_completion?month={MONTH}"
    page = client.get(path).get_data(as_text=True)
    assert f'data-record="{am_month["visits"][4]["id"]}" data-rule="cancelled"' in page
    assert "50.0 %" in page
    wrong_role = f"/scores/people/{t['am1']['id']}/sla_arrival?month={MONTH}"
    assert client.get(wrong_role).status_code == 404
    team = client.get(f"/scores/orgs/{t['T1']['id']}?month={MONTH}").get_data(as_text=True)
    assert t["tech1"]["id"] in team


def test_field_users_cannot_open_scores(client, auth, computed):
    auth.login("am1")
    assert client.get("/scores/").status_code == 403


def test_admin_saves_a_weights_version_supervisor_cannot(client, auth, db, tree):
    form = {"role": "account_manager", "effective_month": "2099-01", "note": "more care"}
    form |= {f"weight.{s.key}": "10" for s in indicators.for_role("account_manager")}
    auth.login("sup_city")
    assert auth.post("/scores/policy", data=form).status_code == 403
    auth.logout()
    auth.login("admin")
    assert auth.post("/scores/policy", data=form).status_code == 303
    assert policy.in_force(db, "account_manager", "2099-01")["version"] == 2
    bad = auth.post("/scores/policy", data=form | {"weight.satisfaction": "-1"})
    assert bad.status_code == 422 and 'data-error="weight.satisfaction"' in bad.get_data(True)
    assert "2099-01-01" in client.get("/scores/policy").get_data(as_text=True)


def test_supervisor_computes_their_subtree_from_the_page(client, auth, db, tree, am_month):
    auth.login("sup_d1")
    assert auth.post(f"/scores/compute?month={MONTH}").status_code == 303
    assert cards.stored(db, MONTH, "account_manager", tree["am1"]["id"])["score"] == 61.8
    assert cards.stored(db, MONTH, "account_manager", tree["am2"]["id"]) is None


def test_cli_computes_a_month(app, computed):
    result = app.test_cli_runner().invoke(args=["scores", "compute", "--month", MONTH])
    assert result.exit_code == 0, result.output
    assert "cards" in result.output
    bad = app.test_cli_runner().invoke(args=["scores", "compute", "--month", "2025-13"])
    assert bad.exit_code != 0


def test_each_device_receives_its_own_scorecard_only(client, db, computed):
    dev = Device(client, "am1", f.PASSWORD)
    dev.pull()
    mine = dev.entities("scorecard")
    assert [c["user_id"] for c in mine.values()] == [computed["am1"]["id"]]
    assert next(iter(mine.values()))["score"] == 61.8
    other = Device(client, "tech1", f.PASSWORD)
    other.pull()
    # a recompute after new work reaches the device through the change feed
    visit(
        db,
        computed["am1"],
        f.make_customer(db, computed["T1"], computed["am1"]),
        satisfaction=1,
        check_in_at="2025-03-29T02:00:00" + Z,
    )
    compute.compute_month(db, MONTH, now=NOW)
    dev.pull()
    assert next(iter(dev.entities("scorecard").values()))["score"] < 61.8
    assert [c["user_id"] for c in other.entities("scorecard").values()] == [
        computed["tech1"]["id"]
    ]


def test_every_indicator_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "scores.md").read_text()
    keys = [s.key for role in policy.ROLES for s in indicators.for_role(role)]
    assert len(keys) == 13
    assert [k for k in keys if f"`{k}`" not in doc] == []


def test_rankings_best_first_and_paged(client, auth, db, computed, monkeypatch):
    t = computed
    ranked = cards.ranking(db, cards_caller(db, t["admin"]), MONTH, "technician")
    assert [(c["user_id"], c["rank"]) for c in ranked] == [
        (t["tech_k"]["id"], 1),
        (t["tech1"]["id"], 2),
    ]
    auth.login("admin")
    monkeypatch.setattr("server.scores.views.TOP", 1)
    page = client.get(f"/scores/?month={MONTH}").get_data(as_text=True)
    assert t["tech_k"]["id"] in page and t["tech1"]["id"] not in page
    assert "kind=technician" in page
    client.application.config["PAGE_SIZE"] = 1
    page = client.get(f"/scores/?month={MONTH}&kind=technician&page=2").get_data(as_text=True)
    assert t["tech1"]["id"] in page and t["tech_k"]["id"] not in page


def cards_caller(db, user):
    from server.scope import Caller

    org = db.execute("SELECT path, kind FROM org WHERE id = ?", [user["org_id"]]).fetchone()
    return Caller(user["id"], user["role"], user["org_id"], org["path"], org["kind"])


def _cards(db):
    return db.execute(
        "SELECT role, coalesce(user_id, org_id), score, indicators, policy_version"
        " FROM scorecard WHERE month = ? ORDER BY 1, 2",
        [MONTH],
    ).fetchall()


def _names(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_migration_makes_them(db):
    made = {s.split(" ON ")[0].split()[-1] for s in indexes.INDEXES()}
    assert len(made) == 6 and made <= _names(db)
    assert not {"visit_planned", "work_order_arrival_due", "work_order_resolved"} & _names(db)
    assert "work_order_site" in _names(db)  # the dispatch board names it (INDEXED BY)


def test_the_indexes_change_no_card(db, tree, am_month, tech_month):
    for statement in indexes.INDEXES():  # scored first without them
        db.execute(f"DROP INDEX {statement.split(' ON ')[0].split()[-1]}")
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] > 0
    before = [tuple(r) for r in _cards(db)]
    indexes.create(db)
    indexes.create(db)  # IF NOT EXISTS: a no-op once made (by a migration or the bench)
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] == 0
    assert [tuple(r) for r in _cards(db)] == before

"""Complaints: recording, the state machine and its history, scope, stored clocks."""

from datetime import UTC, datetime

import pytest

from server.complaints import model, states, timing
from server.complaints.policy import DEFAULTS, POLICY
from server.scope import Caller
from tests import factories as f


def caller_of(db, user) -> Caller:
    org = db.execute("SELECT path, kind FROM org WHERE id = ?", [user["org_id"]]).fetchone()
    return Caller(user["id"], user["role"], user["org_id"], org["path"], org["kind"])


def test_a_complaint_is_recorded_with_its_first_step(db, field):
    complaint = f.make_complaint(db, field["cust1"])
    assert complaint["status"] == "received"
    assert complaint["owner_id"] == complaint["account_manager_id"] == field["am1"]["id"]
    assert complaint["org_id"] == field["T1"]["id"]
    (first,) = model.history(db, complaint["id"])
    assert (first["action"], first["from_status"], first["to_status"]) == (
        "record",
        None,
        "received",
    )
    assert first["actor_name"] == field["am1"]["display_name"]


def test_the_lifecycle_leaves_every_step_by_whom_and_when(db, field):
    sup = field["sup_d1"]["id"]
    k = f.make_complaint(db, field["cust1"])
    k = model.transition(db, sup, k, "classify", category="billing")
    k = model.transition(db, sup, k, "investigate")
    k = model.transition(db, sup, k, "handle", handling="退还多收费用")
    k = model.transition(
        db,
        field["am1"]["id"],
        k,
        "give_feedback",
        feedback_how="phone",
        feedback_reaction="dissatisfied",
        feedback_note="嫌慢",
    )
    k = model.transition(db, sup, k, "reopen", reason="客户不满意")
    assert (k["status"], k["category"], k["feedback_reaction"]) == (
        "investigating",
        "billing",
        "dissatisfied",
    )
    steps = model.history(db, k["id"])
    assert [s["action"] for s in steps] == [
        "record",
        "classify",
        "investigate",
        "handle",
        "give_feedback",
        "reopen",
    ]
    assert steps[-1]["reason"] == "客户不满意" and steps[-1]["actor_id"] == sup
    assert all(s["at"] for s in steps)


@pytest.mark.parametrize(
    ("action", "extra", "code"),
    [
        ("archive", {}, "illegal_transition"),
        ("handle", {}, "illegal_transition"),  # from received: investigate first
        ("reopen", {}, "illegal_transition"),
        ("resume", {}, "illegal_transition"),
        ("pause", {}, "reason_required"),
    ],
)
def test_illegal_steps_are_refused_and_leave_no_row(db, field, action, extra, code):
    k = f.make_complaint(db, field["cust1"])
    with pytest.raises(ValueError, match=code):
        model.transition(db, field["sup_d1"]["id"], k, action, **extra)
    assert len(model.history(db, k["id"])) == 1


def test_handling_and_feedback_need_their_words(db, field):
    sup = field["sup_d1"]["id"]
    k = model.transition(db, sup, f.make_complaint(db, field["cust1"]), "investigate")
    with pytest.raises(ValueError, match="handling_required"):
        model.transition(db, sup, k, "handle", handling=" ")
    k = model.transition(db, sup, k, "handle", handling="修复")
    with pytest.raises(ValueError, match="feedback_reaction_required"):
        model.transition(db, sup, k, "give_feedback", feedback_how="phone")


def test_a_pause_returns_to_where_it_was(db, field):
    sup = field["sup_d1"]["id"]
    k = model.transition(db, sup, f.make_complaint(db, field["cust1"]), "classify")
    k = model.transition(db, sup, k, "pause", reason="等客户提供账单")
    assert (k["status"], k["paused_from"]) == ("waiting_for_customer", "classified")
    k = model.transition(db, sup, k, "resume")
    assert (k["status"], k["paused_from"]) == ("classified", None)


def test_every_status_can_be_left_and_archived_only_after_feedback():
    assert states.actions_from("received") == ["classify", "investigate", "pause"]
    assert states.actions_from("archived") == ["reopen"]
    assert states.actions_from("waiting_for_customer") == ["resume"]
    for status in states.STATUSES:
        assert states.actions_from(status)


def test_reassignment_and_severity_are_steps(db, field):
    sup = field["sup_d1"]
    k = f.make_complaint(db, field["cust1"])
    k = model.reassign(db, sup["id"], k, sup["id"], "主管跟进")
    k = model.change_severity(db, sup["id"], k, "critical", "客户升级投诉")
    assert (k["owner_id"], k["severity"], k["status"]) == (sup["id"], "critical", "received")
    steps = model.history(db, k["id"])
    assert [s["action"] for s in steps] == ["record", "reassign", "change_severity"]
    assert '"to": "critical"' in steps[-1]["detail"]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"c1", "c2"}),
        ("sup_city", {"c1", "c2"}),
        ("sup_d1", {"c1"}),
        ("sup_k", set()),
        ("am1", {"c1"}),
        ("am2", {"c2"}),
        ("tech1", set()),
    ],
)
def test_scope_follows_the_customer(db, field, who, sees):
    made = {
        "c1": f.make_complaint(db, field["cust1"]),
        "c2": f.make_complaint(db, field["cust2"]),
    }
    caller = caller_of(db, field[who])
    found = {name for name, k in made.items() if model.get_scoped(db, caller, k["id"])}
    assert found == sees
    sql, params = model.list_query(caller)
    listed = {r["id"] for r in db.execute(sql, params).fetchall()}
    assert listed == {made[n]["id"] for n in sees}


def test_the_owner_sees_a_complaint_of_another_account_managers_customer(db, field):
    k = f.make_complaint(db, field["cust2"], owner_id=field["am1"]["id"])
    assert model.get_scoped(db, caller_of(db, field["am1"]), k["id"]) is not None


def test_stored_clocks_use_the_holiday_table_and_the_make_up_days(db, field):
    # Received Thursday 30 April 2026 15:00 Beijing; high × standard: first response 8 h.
    # 3 h on Thursday, 1–5 May are the stored Labour Day holiday, Wednesday 6 May 09:00 + 5 h.
    f.make_public_holiday(db, name="劳动节", starts_on="2026-05-01", ends_on="2026-05-05")
    k = f.make_complaint(db, field["cust1"], received_at="2026-04-30T07:00:00.000Z")
    now = datetime(2026, 4, 30, 8, tzinfo=UTC)
    found = timing.clocks(db, {**k, "sla_grade": None}, model.history(db, k["id"]), now)
    assert found["first_response"]["due_at"] == "2026-05-06T06:00:00.000Z"
    assert (found["basis"], found["version"]) == ("standard", 0)
    # 9 May is a make-up Saturday (m026): 40 h of resolution run 3 + 27 (6–8 May) + 9 + 1
    assert found["resolution"]["due_at"] == "2026-05-11T02:00:00.000Z"


def test_a_complaint_keeps_the_policy_version_in_force_when_received(db, field):
    rules = {**DEFAULTS, "fallback": {"first_response": 1, "resolution": 2}}
    POLICY.save(db, None, {"rules": rules, "effective_from": "2026-06-01", "note": ""})
    before = f.make_complaint(db, field["cust1"], received_at="2026-05-20T02:00:00.000Z")
    after = f.make_complaint(db, field["cust1"], received_at="2026-06-02T02:00:00.000Z")
    assert (before["policy_version"], after["policy_version"]) == (0, 1)

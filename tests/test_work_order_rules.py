"""Work-order state machines, property-based: no sequence of steps reaches an illegal state.

Part one drives the pure rules (server/work_orders/rules.py). Part two drives the real model
and the real sync API on a real SQLite file, and checks every step against a small reference
lifecycle written here from docs/work-orders.md (not from rules.py's tables).
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server import records
from server.inspections import checklists
from server.work_orders import model, rules
from tests import factories
from tests.device import Device

# ---- part one: the pure state machine ------------------------------------------------------

TERMINAL = {"closed", "cancelled"}
FIELD_ONLY = {"dispatched", "accepted", "en_route", "on_site"}


def reachable(wo_type: str) -> set:
    """Every status reachable from the type's first status by the table."""
    seen, todo = set(), [rules.INITIAL[wo_type]]
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo.extend(rules.TRANSITIONS[wo_type].get(status, ()))
    return seen


@settings(max_examples=300, deadline=None)
@given(
    wo_type=st.sampled_from(rules.TYPES),
    targets=st.lists(st.sampled_from(rules.STATUSES), max_size=40),
)
def test_random_targets_never_reach_an_illegal_state(wo_type, targets):
    table = rules.TRANSITIONS[wo_type]
    status = rules.INITIAL[wo_type]
    path = [status]
    for target in targets:
        try:
            rules.check(wo_type, status, target)
        except rules.IllegalTransition as exc:
            message = str(exc)
            allowed = table.get(status, set())
            assert target not in allowed
            assert f"is {status} cannot become {target}" in message
            named = message.split("(allowed: ", 1)[1].rstrip(")")
            assert set(named.split(", ")) == (allowed or {"nothing"})
            assert not rules.can(wo_type, status, target)
            continue
        assert target in table[status]
        assert rules.can(wo_type, status, target)
        status = target
        path.append(status)
        assert status in rules.STATUSES
    assert set(path) <= reachable(wo_type)
    if wo_type == "exception_report":
        assert not FIELD_ONLY & set(path)


@pytest.mark.parametrize("wo_type", rules.TYPES)
@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_accept_nothing(wo_type, terminal):
    for target in rules.STATUSES:
        with pytest.raises(rules.IllegalTransition, match=r"\(allowed: nothing\)"):
            rules.check(wo_type, terminal, target)


@pytest.mark.parametrize("wo_type", rules.TYPES)
def test_every_reachable_status_is_known_and_can_end(wo_type):
    found = reachable(wo_type)
    assert found <= set(rules.STATUSES)
    assert "closed" in found
    assert ("cancelled" in found) is (wo_type != "exception_report")
    if wo_type == "exception_report":
        assert not FIELD_ONLY & found


def test_unknown_type_and_status_are_refused_with_a_reason():
    with pytest.raises(rules.IllegalTransition, match="unknown work-order type 'repair'"):
        rules.check("repair", "dispatched", "accepted")
    with pytest.raises(rules.IllegalTransition, match="unknown status 'done'"):
        rules.check("fault_repair", "on_site", "done")


# ---- part two: the real model and sync API against a reference lifecycle -------------------

# The lifecycle as docs/work-orders.md states it, written out by hand.
CHAIN = ["dispatched", "accepted", "en_route", "on_site", "resolved", "submitted"]
SKIP_TRAVEL = {"inspection", "rectification"}
FROZEN = {"approved", "closed", "cancelled"}
REASSIGNABLE = {"dispatched", "accepted", "en_route", "on_site", "returned"}


def expected_field(wo_type: str, status: str, action: str) -> str | None:
    """The status a technician's step leads to, or None when the docs do not allow it."""
    if wo_type == "exception_report":  # filed submitted; its only field step is resubmitting
        return "submitted" if (action, status) == ("submit", "returned") else None
    if action == "submit" and status in ("resolved", "returned"):
        return "submitted"
    if action == "arrive" and (
        status in ("resolved", "returned") or (status == "accepted" and wo_type in SKIP_TRAVEL)
    ):
        return "on_site"
    step = {"accept": 1, "travel": 2, "arrive": 3, "resolve": 4}.get(action)
    if step and CHAIN[step - 1] == status:
        return CHAIN[step]
    return None


def expected_review(wo_type: str, status: str, action: str) -> str | None:
    """The status a supervisor's review step leads to, or None."""
    if action == "approve" and status == "submitted":
        return "approved"
    if action == "return" and status == "submitted":
        return "returned"
    if action == "close" and status == "approved":
        return "closed"
    if action == "cancel" and wo_type != "exception_report" and status in CHAIN[:4]:
        return "cancelled"
    return None


@pytest.mark.parametrize("wo_type", rules.TYPES)
def test_the_rules_tables_say_what_the_docs_say(wo_type):
    """Every (status, step) pair: rules.py allows exactly what the reference lifecycle does."""
    for status in rules.STATUSES:
        for action, target in rules.FIELD_STEPS.items():
            wanted = expected_field(wo_type, status, action)
            assert rules.can(wo_type, status, target) is (wanted == target), (status, action)
        for action, target in rules.REVIEW_STEPS.items():
            wanted = expected_review(wo_type, status, action)
            assert rules.can(wo_type, status, target) is (wanted == target), (status, action)


FIELD_ACTIONS = ("accept", "travel", "arrive", "resolve", "submit")
REVIEW_ACTIONS = ("approve", "return", "close", "cancel")
ASSIGNEES = ("tech_k", "tech1", "team_k")  # team_k: the contractor, nobody named yet
ACTION = st.sampled_from(
    [("field", a) for a in FIELD_ACTIONS]
    + [("review", a) for a in REVIEW_ACTIONS]
    + [("reassign", who) for who in ASSIGNEES]
)
# ("legal", n): the n-th step forward the reference allows now (n modulo their number). A run
# of these walks deep into the lifecycle (rework, approval) so that the random step after it
# probes refusals, cancels and reassignments there too. Steering only picks the step; every
# step is still checked against the reference.
STEER = st.tuples(st.just("legal"), st.integers(0, 30))
# ("sweep", 0): try every step the reference refuses now; none may change anything.
WALK = st.tuples(st.lists(STEER, max_size=9), ACTION).map(lambda w: [*w[0], ("sweep", 0), w[1]])


def allowed_now(order: dict, world: "World") -> list[tuple[str, str]]:
    """Steps forward the reference allows now (cancel and reassign come from random steps)."""
    wo_type, status = order["wo_type"], order["status"]
    if not sees(order, world):
        return [("reassign", "tech_k")] if status in REASSIGNABLE else []
    out = [("field", a) for a in FIELD_ACTIONS if expected_field(wo_type, status, a)]
    return out + [
        ("review", a)
        for a in ("approve", "return", "close")
        if expected_review(wo_type, status, a)
    ]


MUTATION_ARGS = {
    "accept": {},
    "travel": {"lat": 30.27, "lon": 120.15},
    "arrive": {"lat": 30.2801, "lon": 120.1601, "accuracy": 6},
    "resolve": {"cause": "模块老化", "fix": "更换模块"},
    "submit": {},
}


class World:
    """One app and database for every example; each example works a new order."""

    def __init__(self, client, db, tree):
        self.client, self.db, self.t = client, db, tree
        self.site = factories.make_site(db, tree["T1"], contractor=tree["K"])
        self.device = Device(client, "tech_k", factories.PASSWORD)
        self.sup = tree["sup_city"]["id"]
        # Inspections carry a one-item checklist, answered up front: the checklist gate has
        # its own tests (tests/test_inspection_gate.py); this one is about the state machine.
        self.template = checklists.create_template(
            db, None, "base_station", "属性测试表", [{"label": "小结", "kind": "text"}]
        )

    def create(self, wo_type: str) -> dict:
        tech = self.t["tech_k"]["id"]
        who = (
            {"reported_by": tech}
            if wo_type == "exception_report"
            else {"assignee_id": tech, "assigned_org_id": self.t["K"]["id"]}
        )
        if wo_type == "inspection":
            who["checklist_template_id"] = self.template["id"]
        order = model.create_order(
            self.db,
            self.sup,
            wo_type=wo_type,
            org_id=self.t["T1"]["id"],
            site_id=self.site["id"],
            title="属性测试",
            sla_grade="silver",
            **who,
        )
        if wo_type == "inspection":
            answer = dict(
                work_order_id=order["id"],
                item_id=self.template["items"][0]["id"],
                value_text="正常",
                passed=1,
            )
            records.insert(self.db, "inspection_answer", answer, None)
        return order

    def row(self, oid: str) -> dict:
        return dict(self.db.execute("SELECT * FROM work_order WHERE id = ?", [oid]).fetchone())

    def held_count(self, oid: str) -> int:
        sql = "SELECT count(*) FROM conflict WHERE entity_id = ?"
        return self.db.execute(sql, [oid]).fetchone()[0]

    def push(self, action: str, oid: str) -> dict:
        dev = self.device
        args = {"id": oid, **MUTATION_ARGS[action]}
        status, body = dev.push([dev.mutation(f"work_order.{action}", args)])
        assert status == 200, body
        return body["results"][0]

    def assignee_of(self, who: str) -> dict:
        if who == "team_k":
            return {"assignee_id": None, "assigned_org_id": self.t["K"]["id"]}
        org = "K" if who == "tech_k" else "T1"
        return {"assignee_id": self.t[who]["id"], "assigned_org_id": self.t[org]["id"]}


@pytest.fixture
def world(client, db, tree):
    # Hypothesis runs every example on this one device: its held items would soon pass the
    # hourly allowance (sync/conflicts.py), which test_held_scope.py covers.
    client.application.config["HELD_PER_CLIENT_PER_HOUR"] = None
    client.application.config["HELD_PER_USER_PER_HOUR"] = None
    return World(client, db, tree)


def sees(order: dict, world: World) -> bool:
    """Whether tech_k may work the order now (docs: assigned, their team's unclaimed, filed)."""
    tech = world.t["tech_k"]["id"]
    return (
        order["assignee_id"] == tech
        or (order["assignee_id"] is None and order["assigned_org_id"] == world.t["K"]["id"])
        or order["reported_by"] == tech
    )


def field_step(world: World, oid: str, action: str, before: dict) -> dict:
    held_before = world.held_count(oid)
    result = world.push(action, oid)
    after = world.row(oid)
    target = expected_field(before["wo_type"], before["status"], action)
    if not sees(before, world):
        assert (result["status"], result["result"]["reason"]) == ("held", "reassigned")
    elif before["status"] in FROZEN:
        assert (result["status"], result["result"]["reason"]) == ("held", before["status"])
    elif target is None:
        assert result["status"] == "rejected", (before["status"], action, result)
        assert result["result"]["code"] == "illegal_transition"
        assert before["status"] in result["result"]["message"]
    else:
        assert result["status"] == "applied", (before["status"], action, result)
        assert after["status"] == target
        if action == "accept" and before["assignee_id"] is None:
            assert after["assignee_id"] == world.t["tech_k"]["id"]  # a team order is claimed
        return after
    assert after == before  # rejected or held: the row is exactly as it was
    assert world.held_count(oid) == held_before + (result["status"] == "held")
    return after


def review_step(world: World, oid: str, action: str, before: dict) -> dict:
    target = expected_review(before["wo_type"], before["status"], action)
    writes = "SELECT count(*) FROM change_log WHERE entity = 'work_order' AND entity_id = ?"
    writes_before = world.db.execute(writes, [oid]).fetchone()[0]
    try:
        model.review(world.db, world.sup, oid, action, reason="属性测试")
    except rules.IllegalTransition as exc:
        assert target is None, (before["status"], action, exc)
        assert before["status"] in str(exc)
        assert world.row(oid) == before
        return before
    assert target is not None, (before["status"], action)
    after = world.row(oid)
    # One write of the order (its review-history row takes a change-log seq of its own).
    assert after["status"] == target and after["version"] > before["version"]
    assert world.db.execute(writes, [oid]).fetchone()[0] == writes_before + 1
    return after


def sweep(world: World, oid: str, before: dict) -> dict:
    """Every step the reference refuses in this state: each is refused (or held), and the
    order is left exactly as it was."""
    wo_type, status = before["wo_type"], before["status"]
    for action in FIELD_ACTIONS:
        if not expected_field(wo_type, status, action) or not sees(before, world):
            field_step(world, oid, action, before)
    for action in REVIEW_ACTIONS:
        if not expected_review(wo_type, status, action):
            review_step(world, oid, action, before)
    assert world.row(oid) == before
    return before


def reassign_step(world: World, oid: str, who: str, before: dict) -> dict:
    wanted = world.assignee_of(who)
    try:
        model.assign(world.db, world.sup, oid, **wanted)
    except rules.IllegalTransition:
        assert before["status"] not in REASSIGNABLE
        assert world.row(oid) == before
        return before
    assert before["status"] in REASSIGNABLE
    after = world.row(oid)
    assert after["assignee_id"] == wanted["assignee_id"]
    moved = before["assignee_id"] != wanted["assignee_id"]
    resets = moved and before["wo_type"] != "exception_report"
    assert after["status"] == ("dispatched" if resets else before["status"])
    return after


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    wo_type=st.sampled_from(rules.TYPES),
    actions=st.lists(WALK, min_size=1, max_size=5).map(lambda ws: [s for w in ws for s in w]),
)
@example("exception_report", [("review", "return"), ("reassign", "tech1"), ("field", "submit")])
@example(
    "fault_repair",
    [("field", "accept"), ("field", "travel"), ("field", "arrive"), ("reassign", "tech1")]
    + [("field", "resolve"), ("review", "cancel"), ("field", "submit")],
)
@example(
    "inspection",
    [("reassign", "team_k"), ("field", "accept"), ("field", "arrive"), ("field", "resolve")]
    + [("field", "submit"), ("review", "return"), ("field", "arrive"), ("field", "resolve")]
    + [("field", "submit"), ("review", "approve"), ("field", "submit"), ("review", "close")],
)
def test_no_sequence_of_steps_reaches_an_illegal_state(world, wo_type, actions):
    order = world.create(wo_type)
    oid = order["id"]
    before = world.row(oid)
    assert before["status"] == ("submitted" if wo_type == "exception_report" else "dispatched")
    legal = reachable(wo_type)
    for kind, action in actions:
        if kind == "legal":
            options = allowed_now(before, world)
            if not options:
                continue
            kind, action = options[action % len(options)]
        if kind == "sweep":
            before = sweep(world, oid, before)
        elif kind == "field":
            before = field_step(world, oid, action, before)
        elif kind == "review":
            before = review_step(world, oid, action, before)
        else:
            before = reassign_step(world, oid, action, before)
        assert before["status"] in legal, (wo_type, before["status"])


def test_a_returned_exception_report_reassigned_stays_returned(world):
    """An exception report has no dispatched state: reassigning it must not invent one."""
    report = world.create("exception_report")
    model.review(world.db, world.sup, report["id"], "return", reason="补充照片")
    after = model.assign(world.db, world.sup, report["id"], **world.assignee_of("tech1"))
    assert after["status"] == "returned" and after["status"] in reachable("exception_report")
    assert world.push("submit", report["id"])["status"] == "applied"  # the reporter resubmits
    assert world.row(report["id"])["status"] == "submitted"

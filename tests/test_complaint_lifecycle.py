"""The complaint lifecycle under generated sequences of steps (hypothesis, as for work
orders): no sequence reaches a status outside the machine or loses a step, and the clocks
keep their promises whatever the order — a stop only ever pushes a due time later, time run
never goes back (a reopened complaint resumes, never restarts), a handled complaint's clock
is met, a paused one's is paused."""

from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.complaints import model, states
from server.complaints.calendar import Calendar
from server.complaints.clock import add_working
from server.complaints.policy import DEFAULTS, SEVERITIES, limits
from server.complaints.timing import clocks_of
from tests import factories as f

CAL = Calendar(opens=time(9), closes=time(18), weekdays=frozenset(range(5)))
START = datetime(2026, 4, 20, 1, tzinfo=UTC)  # Monday 09:00 Beijing
EXTRA = {
    "handle": {"handling": "已处理"},
    "give_feedback": {"feedback_how": "phone", "feedback_reaction": "dissatisfied"},
}
REASON = {"reopen": "客户不满意", "pause": "等客户资料"}
WALK = st.lists(
    st.tuples(st.sampled_from(states.ACTIONS), st.integers(min_value=1, max_value=3000)),
    max_size=14,
)


def walk(actions):
    """The legal steps of a sequence of (action, minutes later), as steps with times."""
    status, paused_from, at = "received", None, START
    steps = [{"action": "record", "from_status": None, "to_status": "received", "at": at}]
    for action, minutes in actions:
        to = states.next_status(status, action, paused_from)
        if to is None:
            continue
        at += timedelta(minutes=minutes)
        steps.append({"action": action, "from_status": status, "to_status": to, "at": at})
        paused_from = status if action == "pause" else None if action == "resume" else paused_from
        status = to
    return status, steps


@settings(max_examples=300, deadline=None)
@given(actions=WALK, severity=st.sampled_from(SEVERITIES), later=st.integers(0, 5000))
def test_clocks_keep_their_promises(actions, severity, later):
    status, steps = walk(actions)
    complaint = {"severity": severity, "sla_grade": "gold", "received_at": START}
    now = steps[-1]["at"] + timedelta(minutes=later)
    found = clocks_of(CAL, DEFAULTS, complaint, steps, now)
    limit = limits(DEFAULTS, severity, "gold")
    for name in ("first_response", "resolution"):
        clock = found[name]
        assert clock["due_at"] >= add_working(CAL, START, limit[name] * 3600)
    resolution = found["resolution"]
    assert (resolution["state"] in ("met", "breached")) == (status in states.DONE)
    if status == states.PAUSED:
        assert resolution["state"] == "paused"
    # time run never goes back: at every later step it is at least what it was before
    run = [
        clocks_of(CAL, DEFAULTS, complaint, steps[: n + 1], s["at"]) for n, s in enumerate(steps)
    ]
    hours = [r["resolution"]["run_hours"] for r in run]
    assert hours == sorted(hours)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=WALK)
def test_no_sequence_loses_a_step_or_leaves_the_machine(db, field, actions):
    complaint = f.make_complaint(db, field["cust1"])
    taken = 1
    for action, _minutes in actions:
        extra = {**EXTRA.get(action, {}), "reason": REASON.get(action, "")}
        try:
            complaint = model.transition(db, field["sup_d1"]["id"], complaint, action, **extra)
            taken += 1
        except ValueError as exc:
            assert str(exc) == "illegal_transition"
        assert complaint["status"] in states.STATUSES
        assert (complaint["paused_from"] is not None) == (complaint["status"] == states.PAUSED)
    steps = model.history(db, complaint["id"])
    assert len(steps) == taken
    assert [s["to_status"] for s in steps][-1] == complaint["status"]
    for before, after in zip(steps, steps[1:], strict=False):
        assert after["from_status"] == before["to_status"]

"""Complaint clocks on the business calendar, with due times worked out by hand.

The calendar: 09:00–18:00 Beijing time (01:00–10:00 UTC), Monday to Friday, with the 2026
holidays and make-up days named in each test. Known bugs of helpdesk SLAs are cases here: a
holiday inside the window, a make-up Saturday, a reopened complaint, a severity changed
midway, no rule matching, time spent paused.
"""

from datetime import UTC, date, datetime, time

import pytest

from server.complaints.calendar import Calendar
from server.complaints.clock import add_working, clock, working_seconds
from server.complaints.policy import DEFAULTS, limits
from server.complaints.timing import clocks_of, stops_and_met

# 2026 Labour Day: 1–5 May off; Saturday 9 May is a make-up working day.
MAY_DAY = frozenset(date(2026, 5, d) for d in range(1, 6))
CAL = Calendar(
    opens=time(9),
    closes=time(18),
    weekdays=frozenset(range(5)),
    holidays=MAY_DAY,
    workdays=frozenset({date(2026, 5, 9)}),
)


def bj(month, day, hour, minute=0):
    """A Beijing wall-clock time in 2026 as an aware UTC instant."""
    return datetime(2026, month, day, hour - 8, minute, tzinfo=UTC)


def step(action, from_status, to_status, at):
    return {"action": action, "from_status": from_status, "to_status": to_status, "at": at}


def test_a_limit_inside_one_working_day():
    # Monday 20 April 10:00 + 4 working hours = 14:00
    assert add_working(CAL, bj(4, 20, 10), 4 * 3600) == bj(4, 20, 14)


def test_a_limit_runs_over_the_evening_and_the_weekend():
    # Friday 24 April 16:00 + 4 h: 2 h on Friday, then Monday 27 April 09:00 + 2 h
    assert add_working(CAL, bj(4, 24, 16), 4 * 3600) == bj(4, 27, 11)


def test_received_out_of_hours_starts_at_the_next_opening():
    # Saturday 25 April 20:00: nothing runs until Monday 09:00; + 1 h = 10:00
    assert add_working(CAL, bj(4, 25, 20), 3600) == bj(4, 27, 10)


def test_a_holiday_inside_the_window_is_skipped():
    # Thursday 30 April 15:00 + 8 h: 3 h on Thursday; 1–5 May off (and the weekend 2–3);
    # Wednesday 6 May 09:00 + 5 h = 14:00
    assert add_working(CAL, bj(4, 30, 15), 8 * 3600) == bj(5, 6, 14)


def test_a_make_up_saturday_counts_as_a_working_day():
    # Friday 8 May 17:00 + 2 h: 1 h on Friday, Saturday 9 May (调休) 09:00 + 1 h = 10:00
    assert add_working(CAL, bj(5, 8, 17), 2 * 3600) == bj(5, 9, 10)
    # and an ordinary Saturday does not: Friday 15 May 17:00 + 2 h = Monday 18 May 10:00
    assert add_working(CAL, bj(5, 15, 17), 2 * 3600) == bj(5, 18, 10)


def test_time_spent_paused_is_not_counted():
    # Monday 20 April 10:00 + 4 h, paused 11:00–15:00 (4 h): due 18:00 the same day
    pause = [(bj(4, 20, 11), bj(4, 20, 15))]
    assert add_working(CAL, bj(4, 20, 10), 4 * 3600, pause) == bj(4, 20, 18)
    assert working_seconds(CAL, bj(4, 20, 10), bj(4, 20, 16), pause) == 2 * 3600


def test_a_pause_still_open_stops_the_clock_and_extends_the_due_time():
    # Paused at 11:00 and still waiting at 13:00: 1 h has run, 3 h are left from now
    result = clock(CAL, bj(4, 20, 10), 4, [(bj(4, 20, 11), None)], None, bj(4, 20, 13), 0.8)
    assert result["state"] == "paused"
    assert result["due_at"] == bj(4, 20, 16)
    assert result["run_hours"] == 1


def test_warning_then_overdue_then_met_late():
    start = bj(4, 20, 9)  # Monday, a 10-hour limit: due Tuesday 10:00
    assert clock(CAL, start, 10, [], None, bj(4, 20, 16), 0.8)["state"] == "on_time"  # 7 h
    assert clock(CAL, start, 10, [], None, bj(4, 20, 17), 0.8)["state"] == "warning"  # 8 h
    late = clock(CAL, start, 10, [], None, bj(4, 21, 11), 0.8)
    assert (late["state"], late["due_at"]) == ("overdue", bj(4, 21, 10))
    assert clock(CAL, start, 10, [], bj(4, 21, 11), bj(4, 22, 9), 0.8)["state"] == "breached"
    assert clock(CAL, start, 10, [], bj(4, 21, 9, 30), bj(4, 22, 9), 0.8)["state"] == "met"


def test_a_reopened_complaint_resumes_its_clock_and_does_not_restart_it():
    # high × gold: resolution 24 working hours. Received Monday 20 April 09:00; handled
    # Tuesday 21 April 09:00 (9 h run); feedback; reopened Monday 27 April 09:00; 15 h are
    # left: Monday 9 h, Tuesday 28 April 09:00 + 6 h = 15:00. (Restarting would give 24 h
    # from the reopening: Wednesday 29 April 15:00.)
    steps = [
        step("record", None, "received", bj(4, 20, 9)),
        step("classify", "received", "classified", bj(4, 20, 9, 30)),
        step("investigate", "classified", "investigating", bj(4, 20, 10)),
        step("handle", "investigating", "handled", bj(4, 21, 9)),
        step("give_feedback", "handled", "feedback_given", bj(4, 22, 9)),
        step("reopen", "feedback_given", "investigating", bj(4, 27, 9)),
    ]
    complaint = {"severity": "high", "sla_grade": "gold", "received_at": bj(4, 20, 9)}
    result = clocks_of(CAL, DEFAULTS, complaint, steps, bj(4, 27, 12))
    assert result["resolution"]["due_at"] == bj(4, 28, 15)
    assert result["resolution"]["state"] == "on_time"  # 12 h of 24 run
    assert result["first_response"]["met_at"] == bj(4, 20, 9, 30)
    # handled again on Tuesday 28 April 14:00: met, before 15:00
    steps.append(step("handle", "investigating", "handled", bj(4, 28, 14)))
    again = clocks_of(CAL, DEFAULTS, complaint, steps, bj(4, 29, 9))
    assert (again["resolution"]["state"], again["resolution"]["met_at"]) == ("met", bj(4, 28, 14))


def test_a_severity_changed_midway_counts_from_the_original_received_time():
    # Received Monday 20 April 09:00, standard grade. Medium: resolution 48 h = five days of
    # 9 h (45 h, to Friday 18:00) + 3 h → Monday 27 April 12:00. Raised to critical on Tuesday
    # 10:00: 24 h from Monday 09:00 = 9 + 9 + 6 → Wednesday 22 April 15:00, not 24 h from the
    # change (Thursday 23 April 16:00).
    complaint = {"severity": "medium", "sla_grade": "standard", "received_at": bj(4, 20, 9)}
    steps = [step("record", None, "received", bj(4, 20, 9))]
    medium = clocks_of(CAL, DEFAULTS, complaint, steps, bj(4, 21, 10))
    assert medium["resolution"]["due_at"] == bj(4, 27, 12)
    steps.append(step("change_severity", "received", "received", bj(4, 21, 10)))
    critical = clocks_of(
        CAL, DEFAULTS, {**complaint, "severity": "critical"}, steps, bj(4, 21, 11)
    )
    assert critical["resolution"]["due_at"] == bj(4, 22, 15)
    assert critical["first_response"]["state"] == "overdue"  # 4 h from Monday 09:00 passed


@pytest.mark.parametrize(
    ("severity", "grade", "expected"),
    [
        ("critical", "diamond", {"first_response": 1, "resolution": 8, "basis": "grade"}),
        ("high", None, {"first_response": 8, "resolution": 40, "basis": "standard"}),
        ("high", "platinum", {"first_response": 8, "resolution": 40, "basis": "standard"}),
        ("urgent", "gold", {"first_response": 8, "resolution": 40, "basis": "fallback"}),
    ],
)
def test_no_rule_matching_falls_back_as_stated(severity, grade, expected):
    assert limits(DEFAULTS, severity, grade) == expected


def test_a_policy_without_a_standard_row_falls_back_to_its_fallback():
    rules = {**DEFAULTS, "limits": {"high": {"gold": {"first_response": 1, "resolution": 2}}}}
    assert limits(rules, "high", "silver")["basis"] == "fallback"


def test_a_calendar_without_working_days_gives_no_due_time():
    closed = Calendar(opens=time(9), closes=time(18), weekdays=frozenset())
    assert add_working(closed, bj(4, 20, 9), 3600) is None
    assert clock(closed, bj(4, 20, 9), 1, [], None, bj(4, 21, 9), 0.8)["due_at"] is None


def test_steps_give_pauses_and_reopen_gaps():
    steps = [
        step("record", None, "received", bj(4, 20, 9)),
        step("pause", "received", "waiting_for_customer", bj(4, 20, 10)),
        step("resume", "waiting_for_customer", "received", bj(4, 20, 12)),
        step("investigate", "received", "investigating", bj(4, 20, 13)),
        step("pause", "investigating", "waiting_for_customer", bj(4, 20, 14)),
    ]
    found = stops_and_met(steps)
    assert found["pauses"] == [(bj(4, 20, 10), bj(4, 20, 12)), (bj(4, 20, 14), None)]
    assert found["first_response_at"] == bj(4, 20, 10)  # a pause is the first answer
    assert found["resolved_at"] is None and found["reopen_gaps"] == []


def test_a_pause_that_starts_now_shows_paused():
    # found by tests/test_complaint_lifecycle.py: a pause begun this very minute
    now = bj(4, 20, 11)
    assert clock(CAL, bj(4, 20, 10), 4, [(now, None)], None, now, 0.8)["state"] == "paused"

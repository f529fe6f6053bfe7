"""SLA deadline arithmetic: hand-computed deadlines across midnight, month, year and leap day,
times given in Beijing time or UTC, clock states at given moments, versioned policies."""

import pytest

from server.work_orders import model, sla
from tests import factories


def policy(grade: str, version: int = 1) -> dict:
    response, arrival, restore = sla.DEFAULT_LIMITS[grade]
    return {
        "version": version,
        "response_minutes": response,
        "arrival_minutes": arrival,
        "restore_minutes": restore,
    }


def test_gold_dispatched_ten_to_midnight_in_shanghai_responds_by_twenty_past():
    # 23:50 in Shanghai on 10 March is 15:50Z; gold: 30 / 240 / 480 minutes.
    due = sla.deadlines("2026-03-10T15:50:00.000Z", policy("gold"))
    assert due == {
        "response_due_at": "2026-03-10T16:20:00.000Z",  # 00:20 on 11 March in Shanghai
        "arrival_due_at": "2026-03-10T19:50:00.000Z",  # 03:50 on 11 March
        "restore_due_at": "2026-03-10T23:50:00.000Z",  # 07:50 on 11 March
        "sla_policy_version": 1,
    }


def test_bronze_restore_crosses_midnight_and_the_end_of_january():
    due = sla.deadlines("2026-01-31T20:00:00.000Z", policy("bronze"))  # 120 / 480 / 1440
    assert due["response_due_at"] == "2026-01-31T22:00:00.000Z"
    assert due["arrival_due_at"] == "2026-02-01T04:00:00.000Z"
    assert due["restore_due_at"] == "2026-02-01T20:00:00.000Z"


def test_diamond_across_the_year_end_in_shanghai():
    # 23:55 on New Year's Eve in Shanghai is 15:55Z; diamond: 15 / 120 / 240.
    due = sla.deadlines("2026-12-31T23:55:00+08:00", policy("diamond"))
    assert due["response_due_at"] == "2026-12-31T16:10:00.000Z"  # 00:10 on 1 January local
    assert due["arrival_due_at"] == "2026-12-31T17:55:00.000Z"
    assert due["restore_due_at"] == "2026-12-31T19:55:00.000Z"  # 03:55 on 1 January local
    # dispatched at 22:30Z the same evening, the UTC deadlines themselves change year
    late = sla.deadlines("2026-12-31T22:30:00Z", policy("diamond"))
    assert late["arrival_due_at"] == "2027-01-01T00:30:00.000Z"
    assert late["restore_due_at"] == "2027-01-01T02:30:00.000Z"


def test_standard_restore_counts_the_leap_day():
    due = sla.deadlines("2028-02-28T22:00:00.000Z", policy("standard"))  # 2880 min = 2 days
    assert due["restore_due_at"] == "2028-03-01T22:00:00.000Z"
    assert sla.deadlines("2027-02-28T22:00:00.000Z", policy("standard"))["restore_due_at"] == (
        "2027-03-02T22:00:00.000Z"
    )


@pytest.mark.parametrize(
    "local, utc",
    [
        ("2026-03-10T23:50:00+08:00", "2026-03-10T15:50:00Z"),
        ("2026-01-01T07:30:00.250+08:00", "2025-12-31T23:30:00.250Z"),
        ("2026-07-01T00:00:00-05:00", "2026-07-01T05:00:00.000Z"),
    ],
)
def test_offsets_and_z_give_the_same_utc_deadlines(local, utc):
    for grade in sla.GRADES:
        assert sla.deadlines(local, policy(grade)) == sla.deadlines(utc, policy(grade))
    assert sla.deadlines(local, policy("gold"))["response_due_at"].endswith("Z")


@pytest.fixture
def order():
    """A gold order dispatched 23:50 Shanghai (15:50Z); deadlines 16:20, 19:50, 23:50 Z."""
    return {
        "status": "accepted",
        "dispatched_at": "2026-03-10T15:50:00.000Z",
        **sla.deadlines("2026-03-10T15:50:00.000Z", policy("gold")),
        "accepted_at": "2026-03-10T16:19:59.999Z",
        "on_site_at": None,
        "resolved_at": None,
    }


def test_clock_states_met_running_and_breached(order):
    now = "2026-03-10T18:20:00.000Z"
    state = sla.state(order, now)
    assert state["response_due_at"] == {"state": "met"}
    assert state["arrival_due_at"] == {"state": "running", "minutes_left": 90}
    assert state["restore_due_at"] == {"state": "running", "minutes_left": 330}
    later = sla.state(order, "2026-03-10T20:05:00.000Z")
    assert later["arrival_due_at"] == {"state": "breached", "minutes_left": -15}
    assert later["restore_due_at"] == {"state": "running", "minutes_left": 225}


def test_a_step_after_its_deadline_is_breached_even_when_done(order):
    order.update(accepted_at="2026-03-10T16:20:00.001Z", on_site_at="2026-03-10T19:50:00.000Z")
    state = sla.state(order, "2026-03-11T09:00:00.000Z")
    assert state["response_due_at"] == {"state": "breached"}  # one millisecond late
    assert state["arrival_due_at"] == {"state": "met"}  # exactly on the deadline
    assert state["restore_due_at"] == {"state": "breached", "minutes_left": -550}


def test_exactly_at_the_deadline_is_still_running_and_cancelled_clocks_stop(order):
    assert sla.state(order, "2026-03-10T19:50:00.000Z")["arrival_due_at"] == {
        "state": "running",
        "minutes_left": 0,
    }
    order["status"] = "cancelled"
    state = sla.state(order, "2026-03-12T00:00:00.000Z")
    assert state["arrival_due_at"] == state["restore_due_at"] == {"state": "n/a"}
    assert state["response_due_at"] == {"state": "met"}
    assert sla.state({"status": "submitted"}, "2026-03-12T00:00:00Z") == {
        key: {"state": "n/a"} for key, _ in sla.DEADLINES
    }


# ---- policy versions on a real database -----------------------------------------------------


def limits(**changes) -> dict:
    out = {
        g: dict(zip(("response_minutes", "arrival_minutes", "restore_minutes"), v, strict=True))
        for g, v in sla.DEFAULT_LIMITS.items()
    }
    for grade, triple in changes.items():
        out[grade] = dict(
            zip(("response_minutes", "arrival_minutes", "restore_minutes"), triple, strict=True)
        )
    return out


def dispatch(db, tree, at: str, grade="gold") -> dict:
    return model.create_order(
        db,
        tree["sup_city"]["id"],
        wo_type="fault_repair",
        org_id=tree["T1"]["id"],
        title="基站退服",
        sla_grade=grade,
        at=at,
    )


def test_a_new_policy_applies_to_orders_dispatched_from_its_effective_time(db, tree):
    version = sla.new_version(
        db, tree["admin"]["id"], limits(gold=(20, 180, 360)), "2026-06-01T00:00:00.000Z", "收紧"
    )
    assert version == 2
    before = dispatch(db, tree, "2026-05-31T23:59:59.999Z")
    assert before["sla_policy_version"] == 1
    assert before["response_due_at"] == "2026-06-01T00:29:59.999Z"  # 30 minutes, version 1
    at_once = dispatch(db, tree, "2026-06-01T00:00:00.000Z")
    assert at_once["sla_policy_version"] == 2
    assert at_once["response_due_at"] == "2026-06-01T00:20:00.000Z"
    assert at_once["restore_due_at"] == "2026-06-01T06:00:00.000Z"
    assert [p["response_minutes"] for p in sla.current_policy(db)][:2] == [15, 20]
    # the earlier order keeps the deadlines it was dispatched under
    stored = db.execute(
        "SELECT sla_policy_version, response_due_at FROM work_order WHERE id = ?", [before["id"]]
    ).fetchone()
    assert tuple(stored) == (1, "2026-06-01T00:29:59.999Z")


def test_a_dispatch_time_in_beijing_time_picks_the_policy_of_that_instant(db, tree):
    sla.new_version(
        db, tree["admin"]["id"], limits(gold=(20, 180, 360)), "2026-06-01T00:00:00.000Z"
    )
    # 07:59 on 1 June in Beijing is 23:59Z on 31 May: still version 1
    order = dispatch(db, tree, "2026-06-01T07:59:00+08:00")
    assert order["sla_policy_version"] == 1
    assert order["dispatched_at"] == "2026-05-31T23:59:00.000Z"  # stored in UTC like the rest
    assert order["response_due_at"] == "2026-06-01T00:29:00.000Z"


def test_the_grade_comes_from_the_customer_when_not_given(db, tree):
    customer = factories.make_customer(db, tree["T1"], sla_grade="diamond")
    order = model.create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=tree["T1"]["id"],
        title="断站",
        customer_id=customer["id"],
        at="2026-03-10T15:50:00.000Z",
    )
    assert order["sla_grade"] == "diamond"
    assert order["response_due_at"] == "2026-03-10T16:05:00.000Z"


def form(**over) -> dict:
    data = {
        f"{grade}.{col}": str(value)
        for grade, triple in sla.DEFAULT_LIMITS.items()
        for (_, col), value in zip(sla.DEADLINES, triple, strict=True)
    }
    data.update(over)
    return data


def test_validate_limits_accepts_the_defaults():
    clean, errors = sla.validate_limits(form(**{"gold.response_minutes": " 25 "}))
    assert errors == {}
    assert clean["gold"] == {
        "response_minutes": 25,
        "arrival_minutes": 240,
        "restore_minutes": 480,
    }


@pytest.mark.parametrize(
    "key, value, code",
    [
        ("gold.response_minutes", "1.5", "invalid_integer"),
        ("gold.response_minutes", "abc", "invalid_integer"),
        ("silver.arrival_minutes", "", "invalid_integer"),
        ("bronze.restore_minutes", "0", "out_of_range"),
        ("diamond.response_minutes", "-5", "out_of_range"),
    ],
)
def test_validate_limits_refuses_non_integers_and_non_positive(key, value, code):
    clean, errors = sla.validate_limits(form(**{key: value}))
    assert errors == {key: code}


def test_a_bad_number_is_reported_as_such_not_as_an_order_problem():
    clean, errors = sla.validate_limits(form(**{"gold.arrival_minutes": "0"}))
    assert errors == {"gold.arrival_minutes": "out_of_range"}


def test_validate_limits_refuses_a_response_later_than_the_arrival():
    clean, errors = sla.validate_limits(form(**{"gold.response_minutes": "300"}))  # arrive 240
    assert errors == {"gold.restore_minutes": "sla_order"}
    clean, errors = sla.validate_limits(form(**{"silver.arrival_minutes": "800"}))  # restore 720
    assert errors == {"silver.restore_minutes": "sla_order"}

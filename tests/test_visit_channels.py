"""Contact channels and the visit policy: remote contacts (visit.log_contact), overdue from
mixed channels, policy versions by month, A-class coverage, tasks, reminders, the page.

Boundaries are worked out by hand: a requirement of N days is met through day N after the
last contact that meets it, and past due from day N + 1.
"""

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from server import records
from server.customers.model import update_customer
from server.reminders import rules as reminder_rules
from server.scores import account_managers as am_ind
from server.scores import compute as score_compute
from server.tasks import rules as task_rules
from server.visits import policy
from tests import factories as f
from tests.device import Device, new_id

TODAY = date(2026, 6, 30)
D = policy.DEFAULTS
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ago(days):
    return TODAY - timedelta(days=days)


# ---- overdue from mixed channels (pure rule) ----


@pytest.mark.parametrize(
    ("klass", "last", "overdue"),
    [
        # C: a call every 30 days and on site every 90 (our defaults)
        ("C", {"phone": ago(29), "on_site": ago(89)}, False),
        ("C", {"phone": ago(30), "on_site": ago(90)}, False),  # both on their due day
        ("C", {"phone": ago(31), "on_site": ago(89)}, True),  # the call is late
        ("C", {"message": ago(29), "on_site": ago(91)}, True),  # the visit is late
        ("C", {"message": ago(5), "on_site": ago(10)}, False),
        ("C", {"on_site": ago(10)}, False),  # an on-site visit is a contact too
        ("C", {"phone": ago(1)}, True),  # never on site
        ("C", {}, True),
        # A: on site every 7 days; calls never stand in for it
        ("A", {"on_site": ago(7)}, False),
        ("A", {"on_site": ago(8)}, True),
        ("A", {"on_site": ago(8), "phone": ago(0), "message": ago(0)}, True),
        # B: on site every 30
        ("B", {"on_site": ago(30)}, False),
        ("B", {"on_site": ago(31), "phone": ago(1)}, True),
        # a class without requirements is never overdue
        ("unclassified", {}, False),
    ],
)
def test_overdue_from_mixed_channels(klass, last, overdue):
    assert policy.is_overdue(D, klass, last, TODAY) is overdue


def test_due_days_names_each_requirement():
    found = policy.due_days(D, "C", {"phone": ago(29), "on_site": ago(89)}, TODAY)
    assert found == {
        "remote": (ago(29), ago(29) + timedelta(days=30), False),
        "on_site": (ago(89), ago(89) + timedelta(days=90), False),
    }


# ---- versions ----


def test_versions_by_day_and_month(db, tree):
    assert policy.in_force(db, "2026-06-15")["version"] == 1
    assert policy.in_force(db, "2026-06-15")["rules"] == D
    stricter = {"A": {"on_site": 5}, "B": {"on_site": 20}, "C": {"remote": 14}}
    assert policy.save(db, tree["admin"]["id"], stricter, "2026-08-01", "tighter") == 2
    assert policy.in_force(db, "2026-07-31")["version"] == 1
    assert policy.in_force(db, "2026-08-01")["rules"] == stricter
    assert policy.for_month(db, "2026-07")["version"] == 1
    assert policy.for_month(db, "2026-08")["version"] == 2
    # a later save for the same day wins the tie
    assert policy.save(db, tree["admin"]["id"], D, "2026-08-01") == 3
    assert policy.for_month(db, "2026-09")["version"] == 3
    audit = db.execute("SELECT count(*) FROM audit_log WHERE entity = 'visit_policy'").fetchone()
    assert audit[0] == 2
    device = policy.for_device(db, "2026-07-15")
    assert [v["version"] for v in device["versions"]] == [1, 2, 3]


def test_validation():
    now = "2026-06-10T00:00:00.000Z"
    form = {"days.A.on_site": "7", "days.C.remote": "30", "effective_month": "2026-06"}
    clean, errors = policy.validate(form, now)
    assert errors == {}
    assert clean["rules"] == {"A": {"on_site": 7}, "B": {}, "C": {"remote": 30}}
    assert clean["effective_from"] == "2026-06-01"
    bad = {"days.A.on_site": "0", "days.B.on_site": "x", "days.C.remote": "367"}
    _clean, errors = policy.validate(bad | {"effective_month": "2026-05"}, now)
    assert errors == {
        "days.A.on_site": "out_of_range",
        "days.B.on_site": "invalid_number",
        "days.C.remote": "out_of_range",
        "effective_month": "policy_in_past",
    }
    assert policy.validate({"effective_month": "June"}, now)[1] == {
        "effective_month": "invalid_month"
    }


# ---- the mutation ----


@pytest.fixture
def world(db, tree):
    c_mine = f.make_customer(db, tree["T1"], tree["am1"], handsets=50)
    a_mine = f.make_customer(db, tree["T1"], tree["am1"], handsets=600)
    c_other = f.make_customer(db, tree["T2"], tree["am2"], handsets=50)
    contact = f.make_contact(db, c_mine)
    other_contact = f.make_contact(db, c_other)
    return dict(
        tree, c=c_mine, a=a_mine, other=c_other, contact=contact, other_contact=other_contact
    )


def call(customer, channel="phone", **extra):
    args = dict(id=new_id(), customer_id=customer["id"], channel=channel)
    return args | {"at": "2026-06-29T02:00:00Z"} | extra


def test_log_contact_creates_a_completed_remote_visit_without_gps(client, db, world):
    phone = Device(client, "am1", f.PASSWORD)
    args = call(world["c"], notes="续约意向", contact_id=world["contact"]["id"])
    result = phone.applied("visit.log_contact", args)
    assert result["channel"] == "phone"
    row = records.get(db, "visit", args["id"])
    assert row["status"] == "completed" and row["channel"] == "phone"
    assert row["check_in_flag"] is None and row["check_in_lat"] is None
    assert row["check_in_distance_m"] is None
    assert row["check_in_device_at"] == row["check_out_device_at"] == "2026-06-29T02:00:00Z"
    assert row["check_in_at"] and row["notes"] == "续约意向"
    assert json.loads(row["contacts_met"]) == [world["contact"]["name"]]
    # replay: answered, stored once
    assert phone.applied("visit.log_contact", args) == {"id": args["id"], "already": True}
    n = db.execute("SELECT count(*) FROM visit WHERE id = ?", [args["id"]]).fetchone()[0]
    assert n == 1
    # the same id as another channel is another record: taken
    taken = phone.push_one("visit.log_contact", args | {"channel": "message"})
    assert taken["status"] == "rejected" and taken["result"]["code"] == "id_taken"
    # it reaches the device with its channel
    phone.pull()
    assert phone.entities("visit")[args["id"]]["channel"] == "phone"


@pytest.mark.parametrize(
    ("change", "code", "arg"),
    [
        ({"channel": "on_site"}, "bad_args", "channel"),
        ({"channel": "fax"}, "bad_args", "channel"),
        ({"channel": None}, "bad_args", "channel"),
        ({"at": None}, "bad_args", "at"),
        ({"at": "yesterday"}, "bad_args", "at"),
        ({"contact_id": "nope"}, "bad_args", "contact_id"),
        ({"notes": 5}, "bad_args", "notes"),
    ],
)
def test_log_contact_refuses_bad_args_with_a_reason(client, world, change, code, arg):
    phone = Device(client, "am1", f.PASSWORD)
    args = {k: v for k, v in (call(world["c"]) | change).items() if v is not None}
    result = phone.push_one("visit.log_contact", args)
    assert result["status"] == "rejected", result
    assert result["result"]["code"] == code and result["result"].get("arg") == arg
    assert result["result"]["message"]


def test_log_contact_is_scoped(client, db, world):
    phone = Device(client, "am1", f.PASSWORD)
    other = phone.push_one("visit.log_contact", call(world["other"]))
    assert other["status"] == "rejected" and other["result"]["code"] == "unknown_customer"
    wrong = call(world["c"], contact_id=world["other_contact"]["id"])
    found = phone.push_one("visit.log_contact", wrong)
    assert found["status"] == "rejected" and found["result"]["code"] == "unknown_contact"
    # another account manager's id: taken, not overwritten
    theirs = call(world["other"])
    Device(client, "am2", f.PASSWORD).applied("visit.log_contact", theirs)
    again = phone.push_one("visit.log_contact", theirs | {"customer_id": world["c"]["id"]})
    assert again["status"] == "rejected" and again["result"]["code"] == "id_taken"
    # technicians have no customers
    tech = Device(client, "tech1", f.PASSWORD)
    assert tech.push_one("visit.log_contact", call(world["c"]))["status"] == "rejected"


def test_a_call_to_a_customer_reassigned_offline_is_held(client, db, world):
    phone = Device(client, "am1", f.PASSWORD)
    changes = {"account_manager_id": world["am2"]["id"], "org_id": world["T2"]["id"]}
    update_customer(db, world["admin"]["id"], world["c"]["id"], changes)
    args = call(world["c"])
    result = phone.push_one("visit.log_contact", args)
    assert result["status"] == "held", result
    assert records.get(db, "visit", args["id"]) is None
    held = db.execute("SELECT kind, reason FROM conflict WHERE entity_id = ?", [args["id"]])
    assert tuple(held.fetchone()) == ("late_edit", "reassigned")


# ---- where remote contacts count, and where they do not ----


def visit(db, am, customer, channel, at, status="completed"):
    values = dict(
        customer_id=customer["id"],
        account_manager_id=am["id"],
        org_id=am["org_id"],
        status=status,
        channel=channel,
        check_in_at=at,
        check_in_device_at=at,
    )
    return records.insert(db, "visit", values, None)


def test_a_class_coverage_counts_on_site_visits_only_under_the_defaults(db, world):
    am = world["am1"]
    a2 = f.make_customer(db, world["T1"], am, handsets=700)
    visit(db, am, world["a"], "phone", "2026-05-10T02:00:00.000Z")
    visit(db, am, a2, "on_site", "2026-05-11T02:00:00.000Z")
    value, found = am_ind.a_class_coverage(db, am["id"], "2026-05", "2026-06-30T00:00:00.000Z")
    assert value == 0.5
    assert {r["record_id"]: r["rule"] for r in found} == {
        world["a"]["id"]: "not_visited",
        a2["id"]: "visited",
    }


def test_scores_keep_the_visit_policy_of_their_month(db, world):
    am = world["am1"]
    visit(db, am, world["a"], "phone", "2026-05-10T02:00:00.000Z")
    visit(db, am, world["a"], "phone", "2026-08-10T02:00:00.000Z")
    calls_only = {"A": {"remote": 7}, "B": {"on_site": 30}, "C": {"remote": 30}}
    policy.save(db, world["admin"]["id"], calls_only, "2026-08-01")
    now = "2026-09-15T00:00:00.000Z"
    may, _found = am_ind.a_class_coverage(db, am["id"], "2026-05", now)
    august, _found = am_ind.a_class_coverage(db, am["id"], "2026-08", now)
    assert (may, august) == (0.0, 1.0)  # version 1 in May, version 2 from August
    for month, version in (("2026-05", 1), ("2026-08", 2)):
        score_compute.compute_month(db, month, now=now)
        card = db.execute(
            "SELECT indicators FROM scorecard WHERE month = ? AND user_id = ?", [month, am["id"]]
        ).fetchone()[0]
        part = json.loads(card)["a_class_coverage"]
        assert part["visit_policy_version"] == version


def test_a_call_never_counts_toward_a_task():
    task = dict(
        kind="class_coverage",
        assignee_id="am",
        window_start_at="2026-06-01T00:00:00.000Z",
        window_end_at="2026-07-01T00:00:00.000Z",
        target_customer_ids=json.dumps(["c1"]),
    )
    base = dict(id="v", account_manager_id="am", customer_id="c1", status="completed")
    base["check_in_at"] = "2026-06-10T02:00:00.000Z"
    assert task_rules.counts(task, base)
    assert task_rules.counts(task, base | {"channel": "on_site"})
    assert not task_rules.counts(task, base | {"channel": "phone"})
    assert not task_rules.counts(task, base | {"channel": "message"})


def test_overdue_digest_reads_calls_per_the_policy(db, world):
    am, now = world["am1"], "T02:00:00.000Z"
    # C: a call 29 days ago and on site 89 days ago: not overdue
    visit(db, am, world["c"], "phone", ago(29).isoformat() + now)
    visit(db, am, world["c"], "on_site", ago(89).isoformat() + now)
    # A: a call yesterday does not stand in for the weekly visit: overdue
    visit(db, am, world["a"], "phone", ago(1).isoformat() + now)
    c_late = f.make_customer(db, world["T1"], am, handsets=50)
    visit(db, am, c_late, "message", ago(31).isoformat() + now)
    visit(db, am, c_late, "on_site", ago(10).isoformat() + now)
    visit(db, am, c_late, "phone", ago(2).isoformat() + now, status="cancelled")
    found = reminder_rules.customers_overdue(db, "Asia/Shanghai", TODAY, "2026-W27", "2026-07-01")
    mine = [r for r in found if r["user_id"] == am["id"]]
    assert len(mine) == 1
    params = json.loads(mine[0]["params"])
    # c_late: on site 10 days ago meets the call too, so the month-old message does not matter
    assert params == {"n": 1, "customers": [world["a"]["name"]]}
    where = "c.account_manager_id = ?"
    listed = policy.customers_with_overdue(db, where, [am["id"]], TODAY, SHANGHAI)
    flags = {c["id"]: c["overdue"] for c in listed}
    assert flags == {world["c"]["id"]: False, world["a"]["id"]: True, c_late["id"]: False}


def test_the_device_gets_the_policy_in_its_config(client, world):
    phone = Device(client, "am1", f.PASSWORD)
    body = phone.pull()
    assert body["config"]["VISIT_POLICY"]["versions"][0]["rules"] == D
    assert "VISIT_POLICY_DAYS" not in body["config"]


# ---- the page ----


def policy_form(**change):
    form = {"days.A.on_site": "7", "days.B.on_site": "30", "days.C.remote": "30"}
    return form | {"days.C.on_site": "60", "effective_month": "2099-01", "note": "C 更勤"} | change


def test_admin_saves_a_version_others_cannot(client, auth, db, world):
    auth.login("am1")
    assert client.get("/visits/policy").status_code == 403
    auth.logout()
    auth.login("sup_city")
    page = client.get("/visits/policy").get_data(as_text=True)
    assert 'data-version="1"' in page and "visit-policy-form" not in page
    assert auth.post("/visits/policy", data=policy_form()).status_code == 403
    auth.logout()
    auth.login("admin")
    assert "visit-policy-form" in client.get("/visits/policy").get_data(as_text=True)
    no_csrf = client.post("/visits/policy", data=policy_form())
    assert no_csrf.status_code == 400
    assert policy.in_force(db, "2099-01-01")["version"] == 1
    bad = auth.post("/visits/policy", data=policy_form(**{"days.C.on_site": "-3"}))
    assert bad.status_code == 422 and 'data-error="days.C.on_site"' in bad.get_data(True)
    past = auth.post("/visits/policy", data=policy_form(effective_month="2001-01"))
    assert past.status_code == 422 and 'data-error="effective_month"' in past.get_data(True)
    assert auth.post("/visits/policy", data=policy_form()).status_code == 303
    saved = policy.in_force(db, "2099-01-01")
    assert saved["version"] == 2
    assert saved["rules"]["C"] == {"on_site": 60, "remote": 30}
    history = client.get("/visits/policy").get_data(as_text=True)
    assert 'data-version="2"' in history and "2099-01-01" in history and "C 更勤" in history


def test_web_pages_show_overdue_and_the_channel(client, auth, db, world):
    am, day = world["am1"], "T02:00:00.000Z"
    from server.ids import now_utc
    from server.times import LOCAL
    from server.times import from_stored as utc

    today = utc(now_utc()).astimezone(LOCAL).date()
    # c: a call 29 days ago and on site 89 days ago (not overdue); a: never visited (overdue)
    logged = visit(db, am, world["c"], "phone", (today - timedelta(days=29)).isoformat() + day)
    visit(db, am, world["c"], "on_site", (today - timedelta(days=89)).isoformat() + day)
    auth.login("sup_d1")
    page = client.get("/customers/").get_data(as_text=True)
    rows = {code: chunk for code, chunk in re_rows(page)}
    assert 'data-overdue="1"' in rows[world["a"]["code"]]
    assert 'data-overdue="1"' not in rows[world["c"]["code"]]
    detail = client.get(f"/visits/{logged['id']}").get_data(as_text=True)
    assert 'data-channel="phone"' in detail and "data-flag=" not in detail


def re_rows(page: str):
    import re

    for match in re.finditer(r'<tr data-customer="([^"]+)">(.*?)</tr>', page, re.S):
        yield match.group(1), match.group(2)

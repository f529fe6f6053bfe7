"""The reminder engine: each rule, its occasion (so a re-run never sends twice), quiet hours
that hold and release, and the CLI; pushes go to the loopback service of tests/pushservice."""

from datetime import UTC, date, datetime, timedelta

import pytest

from server import records, times
from server.push import subscriptions
from server.reminders import engine
from server.reviews import model as reviews
from server.visits import model as visits
from server.work_orders import model as work_orders
from tests import factories

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def phones(db, tree, service):
    """One subscribed phone for each field user: username → the stand-in's endpoint token."""
    tokens = {}
    for name in ("tech1", "tech_k", "am1", "am2"):
        endpoint = service.new_endpoint()
        clean, _errors = subscriptions.validate(endpoint.subscription(service.base))
        subscriptions.save(db, tree[name]["id"], None, clean)
        tokens[name] = endpoint.token
    return tokens


def run(app, db, now=NOW):
    with app.app_context():
        return engine.run(app, db, now)


def got(service, phones, name) -> list[tuple[str, str]]:
    """(kind, url) of every message a user's phone received, in order."""
    return [(m["payload"]["kind"], m["payload"]["url"]) for m in service.received(phones[name])]


def set_due(db, order, **times):
    sets = ", ".join(f"{k} = ?" for k in times)
    db.execute(f"UPDATE work_order SET {sets} WHERE id = ?", [*times.values(), order["id"]])


def at(dt: datetime) -> str:
    return times.to_stored(dt)


def test_a_new_order_reaches_its_technician_once(push_app, db, tree, service, phones):
    order = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    run(push_app, db)
    run(push_app, db)
    run(push_app, db, NOW + timedelta(minutes=1))
    assert got(service, phones, "tech1") == [("work_order_assigned", f"/m/orders/{order['id']}")]
    assert got(service, phones, "am1") == []


def test_a_reassigned_order_tells_the_new_technician(push_app, db, tree, service, phones):
    order = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    run(push_app, db)
    work_orders.assign(db, tree["sup_city"]["id"], order["id"], assignee_id=tree["tech_k"]["id"])
    run(push_app, db, NOW + timedelta(minutes=1))
    url = f"/m/orders/{order['id']}"
    assert got(service, phones, "tech_k") == [("work_order_assigned", url)]
    assert got(service, phones, "tech1") == [("work_order_assigned", url)]


def test_sla_deadlines_within_the_lead_warn_once(push_app, db, tree, service, phones):
    soon = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    later = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    set_due(db, soon, arrival_due_at=at(NOW + timedelta(minutes=25)))
    set_due(db, later, arrival_due_at=at(NOW + timedelta(minutes=45)))
    run(push_app, db)
    kinds = [k for k, _url in got(service, phones, "tech1")]
    assert kinds.count("sla_arrival") == 1
    run(push_app, db, NOW + timedelta(minutes=20))  # now `later` is within 30 minutes
    warned = [u for k, u in got(service, phones, "tech1") if k == "sla_arrival"]
    assert warned == [f"/m/orders/{soon['id']}", f"/m/orders/{later['id']}"]
    # On site: the restore deadline is the next one to warn about.
    set_due(
        db,
        soon,
        on_site_at=at(NOW),
        status="on_site",
        restore_due_at=at(NOW + timedelta(minutes=50)),
    )
    run(push_app, db, NOW + timedelta(minutes=21))
    run(push_app, db, NOW + timedelta(minutes=22))
    kinds = [k for k, _url in got(service, phones, "tech1")]
    assert kinds.count("sla_restore") == 1 and kinds.count("sla_arrival") == 2


def test_a_returned_report_goes_back_to_its_author(push_app, db, tree, service, phones):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    visit = records.insert(
        db,
        "visit",
        dict(
            customer_id=customer["id"],
            account_manager_id=tree["am1"]["id"],
            org_id=customer["org_id"],
            status="completed",
            check_in_at=at(NOW),
        ),
        tree["am1"]["id"],
    )
    run(push_app, db)
    assert got(service, phones, "am1") == []
    visits.return_visit(db, tree["sup_d1"]["id"], visit["id"], "照片不清楚")
    run(push_app, db, NOW + timedelta(minutes=1))
    run(push_app, db, NOW + timedelta(minutes=2))
    assert got(service, phones, "am1") == [("rework", f"/m/visits/{visit['id']}")]
    body = service.received(phones["am1"])[0]["payload"]["body"]
    assert body == "照片不清楚"
    # Resubmitted, then returned a second time: a new occasion, a new reminder.
    records.update(db, "visit", visit["id"], {"status": "completed"}, tree["am1"]["id"])
    reviews.return_for_rework(db, tree["sup_d1"]["id"], "visit", visit["id"], "缺少签名")
    run(push_app, db, NOW + timedelta(minutes=3))
    assert [k for k, _u in got(service, phones, "am1")] == ["rework", "rework"]


def plan_visit(db, customer, am, day: date):
    values = dict(
        customer_id=customer["id"],
        account_manager_id=am["id"],
        org_id=customer["org_id"],
        status="planned",
        planned_date=day.isoformat(),
    )
    return records.insert(db, "visit", values, am["id"])


def test_visits_planned_for_tomorrow_come_in_the_evening_as_one_digest(
    push_app, db, tree, service, phones
):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    other = factories.make_customer(db, tree["T1"], tree["am1"])
    plan_visit(db, customer, tree["am1"], date(2026, 3, 3))
    plan_visit(db, other, tree["am1"], date(2026, 3, 3))
    plan_visit(db, other, tree["am1"], date(2026, 3, 4))
    run(push_app, db, datetime(2026, 3, 2, 9, 59, tzinfo=UTC))  # 17:59 local
    assert [k for k, _u in got(service, phones, "am1")].count("visits_tomorrow") == 0
    run(push_app, db, datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # 18:00 local
    run(push_app, db, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    digests = [
        m["payload"]
        for m in service.received(phones["am1"])
        if m["payload"]["kind"] == "visits_tomorrow"
    ]
    assert len(digests) == 1 and digests[0]["url"] == "/m/"
    assert customer["name"] in digests[0]["body"] and other["name"] in digests[0]["body"]


@pytest.mark.parametrize(
    "birthday, reminded", [("1980-03-09", True), ("1980-03-10", False), ("1980-03-01", False)]
)
def test_contacts_birthdays_a_week_ahead(push_app, db, tree, service, phones, birthday, reminded):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    factories.make_contact(db, customer, birthday=birthday)
    run(push_app, db)  # Monday 2 March: the window is 2 to 9 March
    run(push_app, db, NOW + timedelta(hours=2))
    care = [u for k, u in got(service, phones, "am1") if k == "key_date"]
    assert care == ([f"/m/customers/{customer['id']}"] if reminded else [])


def test_key_dates_of_contacts_and_each_date_once(push_app, db, tree, service, phones):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    factories.make_contact(
        db,
        customer,
        birthday=None,
        key_dates='[{"label": "入职纪念日", "date": "2015-03-06"},'
        ' {"label": "结婚纪念日", "date": "2010-06-01"}]',
    )
    for day in range(4):
        run(push_app, db, NOW + timedelta(days=day))
    care = [
        m["payload"] for m in service.received(phones["am1"]) if m["payload"]["kind"] == "key_date"
    ]
    assert len(care) == 1 and "03-06" in care[0]["title"] and "入职纪念日" in care[0]["title"]


def test_overdue_customers_come_as_a_weekly_digest(push_app, db, tree, service, phones):
    overdue = factories.make_customer(db, tree["T1"], tree["am1"], handsets=600)  # class A
    visited = factories.make_customer(db, tree["T1"], tree["am1"], handsets=600)
    records.insert(
        db,
        "visit",
        dict(
            customer_id=visited["id"],
            account_manager_id=tree["am1"]["id"],
            org_id=visited["org_id"],
            status="completed",
            check_in_at=at(NOW - timedelta(days=3)),
        ),
        tree["am1"]["id"],
    )
    for day in range(3):  # Monday to Wednesday: one digest this week
        run(push_app, db, NOW + timedelta(days=day))
    digests = [
        m["payload"]
        for m in service.received(phones["am1"])
        if m["payload"]["kind"] == "customers_overdue"
    ]
    assert len(digests) == 1 and digests[0]["url"] == "/m/customers?overdue=1"
    assert overdue["name"] in digests[0]["body"] and visited["name"] not in digests[0]["body"]
    run(push_app, db, NOW + timedelta(days=7))  # next Monday: a new digest
    assert [k for k, _u in got(service, phones, "am1")].count("customers_overdue") == 2


NIGHT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


def test_quiet_hours_hold_all_but_top_grade_faults_and_then_release(
    push_app, db, tree, service, phones
):
    standard = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    diamond = factories.make_work_order(
        db, tree["T1"], assignee=tree["tech1"], sla_grade="diamond"
    )
    gold_job = factories.make_work_order(
        db, tree["T1"], wo_type="on_demand", assignee=tree["tech1"], sla_grade="gold"
    )
    for order in (standard, diamond, gold_job):  # deadlines far away: only the new orders
        set_due(
            db,
            order,
            arrival_due_at=at(NIGHT + timedelta(hours=12)),
            restore_due_at=at(NIGHT + timedelta(hours=20)),
        )
    first = run(push_app, db, NIGHT)
    assert got(service, phones, "tech1") == [("work_order_assigned", f"/m/orders/{diamond['id']}")]
    assert first["held"] == 2
    run(push_app, db, datetime(2026, 3, 2, 22, 59, tzinfo=UTC))  # 06:59: still quiet
    assert len(got(service, phones, "tech1")) == 1
    released = run(push_app, db, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # 07:00
    assert released["pushes"] == 2
    urls = sorted(u for _k, u in got(service, phones, "tech1")[1:])
    assert urls == sorted([f"/m/orders/{standard['id']}", f"/m/orders/{gold_job['id']}"])
    run(push_app, db, datetime(2026, 3, 2, 23, 5, tzinfo=UTC))
    assert len(got(service, phones, "tech1")) == 3


def test_a_users_own_quiet_hours_and_a_warning_that_expires_meanwhile(
    push_app, db, tree, service, phones
):
    db.execute(
        "INSERT INTO reminder_preference VALUES (?, '12:00', '14:00', ?)",
        [tree["tech1"]["id"], at(NOW)],
    )
    lunch = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)  # 12:30 local
    order = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    set_due(db, order, arrival_due_at=at(lunch + timedelta(minutes=20)))
    assert run(push_app, db, lunch)["held"] == 2
    after = run(push_app, db, datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # 14:00 local
    assert after["expired"] == 1 and after["pushes"] == 1
    assert got(service, phones, "tech1") == [("work_order_assigned", f"/m/orders/{order['id']}")]


def test_no_device_is_recorded_and_not_retried(push_app, db, tree, service):
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    assert run(push_app, db)["no_device"] == 1
    assert run(push_app, db, NOW + timedelta(minutes=1))["no_device"] == 0
    assert db.execute("SELECT status FROM reminder").fetchone()[0] == "no_device"


def test_the_cli_runs_and_reports(push_app, db, tree, service, phones):
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    runner = push_app.test_cli_runner()
    first = runner.invoke(args=["reminders", "run", "--now", "2026-03-02T02:00:00Z"])
    again = runner.invoke(args=["reminders", "run", "--now", "2026-03-02T02:01:00Z"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output
    assert "1 sent (1 pushes)" in first.output and "0 sent (0 pushes)" in again.output
    assert len(service.received(phones["tech1"])) == 1
    bad = runner.invoke(args=["reminders", "run", "--now", "yesterday"])
    assert bad.exit_code != 0


def test_a_run_overlapping_one_still_sending_does_not_send_its_reminders(
    push_app, db, tree, service, phones
):
    from server.reminders import compute, send

    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    compute.compute(db, push_app.config, NOW)
    taken = send._claim(db, NOW, 0)  # the earlier run has taken them and is still sending
    assert len(taken) == 1
    overlapping = run(push_app, db, NOW + timedelta(minutes=1))
    assert overlapping["pushes"] == 0 and got(service, phones, "tech1") == []
    # Had the earlier run died, its lease ends and a later run sends them, once.
    assert run(push_app, db, NOW + send.LEASE + timedelta(minutes=1))["pushes"] == 1
    assert run(push_app, db, NOW + send.LEASE + timedelta(minutes=2))["pushes"] == 0


def test_finished_reminders_are_pruned_after_the_keep_days(push_app, db, tree, service, phones):
    factories.make_work_order(db, tree["T1"], assignee=tree["tech1"])
    run(push_app, db)
    assert db.execute("SELECT count(*) FROM reminder_delivery").fetchone()[0] == 1
    run(push_app, db, NOW + timedelta(days=29))
    assert db.execute("SELECT count(*) FROM reminder").fetchone()[0] >= 1
    assert run(push_app, db, NOW + timedelta(days=31))["pruned"] >= 1
    left = db.execute("SELECT count(*) FROM reminder WHERE kind = 'work_order_assigned'")
    assert left.fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM reminder_delivery").fetchone()[0] == 0


def _follow_up(db, customer, am, due: str, done_at=None) -> dict:
    visit = records.insert(
        db,
        "visit",
        dict(
            customer_id=customer["id"],
            account_manager_id=am["id"],
            org_id=customer["org_id"],
            status="completed",
        ),
        None,
    )
    values = dict(
        visit_id=visit["id"],
        customer_id=customer["id"],
        account_manager_id=am["id"],
        action=f"回访 {due}",
        due_date=due,
        done_at=done_at,
    )
    return records.insert(db, "follow_up", values, None)


def test_a_follow_up_is_announced_once_on_its_due_day_after_quiet_hours(
    push_app, db, tree, service, phones
):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    today = _follow_up(db, customer, tree["am1"], "2026-03-02")
    _follow_up(db, customer, tree["am1"], "2026-03-03")  # tomorrow: not yet
    _follow_up(db, customer, tree["am1"], "2026-03-02", done_at="2026-03-01T01:00:00.000Z")
    night = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on the due day, Shanghai
    run(push_app, db, night)
    assert got(service, phones, "am1") == []  # quiet hours: held
    run(push_app, db, datetime(2026, 3, 1, 23, 0, tzinfo=UTC))  # 07:00
    run(push_app, db, NOW)
    run(push_app, db, NOW + timedelta(hours=3))
    found = [m["payload"] for m in service.received(phones["am1"])]
    due = [p for p in found if p["kind"] == "follow_up_due"]
    assert [(p["url"], p["tag"]) for p in due] == [("/m/", f"follow_up_due:{today['id']}")]
    assert "回访 2026-03-02" in due[0]["title"] and customer["name"] in due[0]["body"]
    run(push_app, db, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))  # the next day: the other one
    due = [
        m["payload"]
        for m in service.received(phones["am1"])
        if m["payload"]["kind"] == "follow_up_due"
    ]
    assert len(due) == 1  # 00:30 again: held until 07:00
    run(push_app, db, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    due = [
        m["payload"]
        for m in service.received(phones["am1"])
        if m["payload"]["kind"] == "follow_up_due"
    ]
    assert len(due) == 2 and "回访 2026-03-03" in due[1]["title"]
    assert got(service, phones, "am2") == []

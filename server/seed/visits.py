"""Demo visits: three months of an account manager's work up to the seeding day.

Per account manager (sorted by username) a diligence drawn with the seed (0.55–0.98) decides
how much of the visit policy's rhythm they keep (server/visits/policy.py: A on site weekly,
B monthly, C a call monthly and on site quarterly), how many plans they keep, how good the
ratings are and how soon they close their follow-ups, so last month's scores differ. Each
on-site visit is planned (most) or started ad hoc, checked in near the customer and checked
out 30–90 minutes later; a few synced late, a few checked in far away. Supervisors approve
most visits older than three days and all older than two weeks, return a few (reworked and
approved once older than two weeks), so the review desk holds the last fortnight's backlog.
About 40 % of the visits promise a follow-up 3–14 days later: done (on time or late) or
still open, due or overdue. Each manager has plans for today and the coming week, and one
customer never visited (their first class-C customer by code: new to them). Calls are
completed phone contacts, as the device's visit.log_contact writes them, approved once
older than three days.

Writes go through records (and visits.model for review steps) as the visit mutations do,
so the audit log, change log and scope keys are those of real visits.
"""

import json
from datetime import datetime, time, timedelta

from .. import records
from ..db import rows
from ..reviews import history
from ..times import LOCAL, to_stored
from ..visits import model as visits
from ..visits.rules import gps_evidence

DAYS = 91
SETTLED_DAYS = 14  # older visits are reviewed: the desk holds the last fortnight (ours)
FAR_M, LOW_ACCURACY_M = 500, 100  # the defaults of VISIT_FAR_METERS, VISIT_LOW_ACCURACY_METERS
PURPOSE_WEIGHTS = {
    "routine": 10,
    "product_promotion": 3,
    "complaint_follow_up": 2,
    "care": 2,
    "contract_renewal": 2,
    "fault_follow_up": 1,
}
NOTES = (
    "与客户沟通了近期网络使用情况，整体满意。",
    "客户计划下季度扩招员工，需要增加手机号码和流量包。",
    "介绍了云电脑和千兆专线套餐，客户表示会内部讨论。",
    "客户反映营业厅办理业务排队时间长，已记录并反馈。",
    "检查了客户机房的专线设备运行情况，一切正常。",
    "客户对上月专线故障的处理速度表示认可。",
    "合同明年到期，客户有意续签，要求给出优惠方案。",
    "客户新任信息中心主任，已交换联系方式并介绍服务团队。",
)
FEEDBACK = ("服务及时", "希望资费再优惠一些", "信号覆盖有改善", "", "")
FOLLOW_UPS = (
    "发送专线扩容报价单",
    "协调技术人员上门检查室内覆盖",
    "提交续签优惠方案审批",
    "回复客户关于流量包的咨询",
    "预约下周演示云电脑产品",
    "跟进客户发票开具问题",
)
RETURN_REASON = "照片与拜访记录不符，请补充说明"
CALL_NOTES = ("电话回访，客户暂无新需求。", "电话确认下周拜访时间。", "微信沟通合同续签事宜。")


def _local(day, minutes: int) -> datetime:
    return datetime.combine(day, time(), LOCAL) + timedelta(minutes=minutes)


def _weekday(day):
    """The day itself, or the Friday before when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _reviewers(db) -> dict[str, str]:
    """Each team's district supervisor (who reviews its visits)."""
    found = rows(
        db,
        "SELECT t.id AS team, u.id AS supervisor FROM org t JOIN org d ON d.id = t.parent_id"
        " JOIN app_user u ON u.org_id = d.id AND u.role = 'supervisor'"
        " WHERE t.kind = 'team' ORDER BY t.code, u.username",
    )
    return {r["team"]: r["supervisor"] for r in found}


def _schedule(build, customer: dict, skill: float) -> list[tuple]:
    """(day, kind) of a customer's contacts over the three months: kind on_site or phone."""
    rng, today = build.rng, build.today
    out = []
    if customer["customer_class"] == "A":
        for week in range(DAYS // 7):
            if rng.random() < 0.45 + 0.55 * skill:
                out.append((today - timedelta(days=week * 7 + rng.randint(0, 6)), "on_site"))
    elif customer["customer_class"] == "B":
        for month in range(3):
            if rng.random() < 0.5 + 0.45 * skill:
                out.append((today - timedelta(days=month * 30 + rng.randint(0, 29)), "on_site"))
    else:
        if rng.random() < 0.35 + 0.6 * skill:
            out.append((today - timedelta(days=rng.randint(0, DAYS - 1)), "on_site"))
        if rng.random() < 0.45 + 0.55 * skill:
            out.append((today - timedelta(days=rng.randint(0, 29)), "phone"))
    return [(_weekday(day), kind) for day, kind in out]


def _at(build, day) -> datetime | None:
    """A check-in time during the working day; None when that is not before the anchor."""
    moment = _local(day, build.rng.randint(9 * 60, 16 * 60 + 30))
    return moment if moment + timedelta(minutes=95) < build.now else None


def _visit(build, manager, customer, contacts, skill, day, reviewer) -> dict | None:
    rng, db = build.rng, build.db
    actor = manager["id"]
    planned = rng.random() < 0.75
    values = dict(
        id=build.next_id(),
        customer_id=customer["id"],
        account_manager_id=actor,
        org_id=customer["org_id"],
        status="planned",
        purpose=rng.choices(list(PURPOSE_WEIGHTS), list(PURPOSE_WEIGHTS.values()))[0],
        planned_date=day.isoformat() if planned else None,
    )
    at = _at(build, day)
    if at is None or (planned and rng.random() > 0.6 + 0.4 * skill):
        visit = records.insert(db, "visit", values, actor)
        if at is not None and rng.random() < 0.4:  # a plan let go, rather than missed
            records.update(db, "visit", visit["id"], {"status": "cancelled"}, actor, "cancel")
        return None
    visit = records.insert(db, "visit", values, actor)
    far = rng.random() < 0.04
    spread = 0.012 if far else 0.0004
    lat = round(customer["lat"] + rng.uniform(-spread, spread), 6)
    lon = round(customer["lon"] + rng.uniform(-spread, spread), 6)
    accuracy = float(rng.randint(6, 45))
    distance, flag = gps_evidence(
        lat,
        lon,
        accuracy,
        customer["lat"],
        customer["lon"],
        far_m=FAR_M,
        low_accuracy_m=LOW_ACCURACY_M,
    )
    offline = rng.random() < 0.1 + 0.25 * (1 - skill)  # synced late: the next day or later
    lag = (
        timedelta(hours=rng.randint(25, 40)) if offline else timedelta(seconds=rng.randint(2, 40))
    )
    check_in = dict(
        status="in_progress",
        check_in_at=to_stored(min(at + lag, build.now)),
        check_in_device_at=to_stored(at),
        check_in_lat=lat,
        check_in_lon=lon,
        check_in_accuracy=accuracy,
        check_in_distance_m=distance,
        check_in_flag=flag,
    )
    records.update(db, "visit", visit["id"], check_in, actor, "check_in")
    left = at + timedelta(minutes=rng.randint(30, 90))
    met = [c["name"] for c in rng.sample(contacts, min(len(contacts), rng.choice((1, 1, 2))))]
    rated = rng.random() < 0.85
    good = (1 - skill, 2, 3 + 6 * skill)  # weights of 3, 4, 5: the diligent rate higher
    check_out = dict(
        status="completed",
        check_out_at=to_stored(min(left + lag, build.now)),
        check_out_device_at=to_stored(left),
        check_out_lat=lat,
        check_out_lon=lon,
        check_out_accuracy=accuracy,
        notes=rng.choice(NOTES),
        feedback=rng.choice(FEEDBACK),
        satisfaction=rng.choices((3, 4, 5), good)[0] if rated else None,
        contacts_met=json.dumps(met, ensure_ascii=False),
    )
    visit = records.update(db, "visit", visit["id"], check_out, actor, "check_out")
    if left < build.now - timedelta(days=3):
        roll = rng.random()
        settled = left < build.now - timedelta(days=SETTLED_DAYS)
        if roll < 0.06 + 0.1 * (1 - skill):
            visits.return_visit(db, reviewer, visit["id"], RETURN_REASON)
            if roll < 0.04 or settled:  # reworked and handed in again, then approved
                changes = {"status": "completed"}
                row = records.update(db, "visit", visit["id"], changes, actor, "resubmit")
                history.record(db, actor, "visit", row, "resubmit")
                visits.approve(db, reviewer, visit["id"])
        elif roll < 0.9 or settled:
            visits.approve(db, reviewer, visit["id"])
    if rng.random() < 0.4:
        _follow_up(build, visit, left, skill)
    return visit


def _follow_up(build, visit: dict, left: datetime, skill: float) -> None:
    rng, db = build.rng, build.db
    due = left.astimezone(LOCAL).date() + timedelta(days=rng.randint(3, 14))
    values = dict(
        id=build.next_id(),
        visit_id=visit["id"],
        customer_id=visit["customer_id"],
        account_manager_id=visit["account_manager_id"],
        action=rng.choice(FOLLOW_UPS),
        due_date=due.isoformat(),
    )
    row = records.insert(db, "follow_up", values, visit["account_manager_id"])
    if rng.random() > 0.3 + 0.65 * skill:
        return  # still open: due or overdue
    late = rng.random() > skill
    done_day = (
        due + timedelta(days=rng.randint(1, 6))
        if late
        else due - timedelta(days=rng.randint(0, 3))
    )
    done = max(_local(done_day, rng.randint(9 * 60, 18 * 60)), left + timedelta(hours=2))
    if done >= build.now:
        return
    actor = visit["account_manager_id"]
    changes = dict(
        done_at=to_stored(done + timedelta(seconds=rng.randint(2, 60))),
        done_device_at=to_stored(done),
        done_note="已完成",
        done_by=actor,
    )
    records.update(db, "follow_up", row["id"], changes, actor, "done")


def _call(build, manager, customer, contacts, day, reviewer) -> None:
    """A logged phone call; reviewed like a visit once more than three days old."""
    at = _at(build, day)
    if at is None:
        return
    contact = build.rng.choice(contacts)
    values = dict(
        id=build.next_id(),
        customer_id=customer["id"],
        account_manager_id=manager["id"],
        org_id=customer["org_id"],
        status="completed",
        channel="phone",
        purpose="routine",
        notes=build.rng.choice(CALL_NOTES),
        contact_id=contact["id"],
        contacts_met=json.dumps([contact["name"]], ensure_ascii=False),
        check_in_at=to_stored(at),
        check_in_device_at=to_stored(at),
        check_out_at=to_stored(at),
        check_out_device_at=to_stored(at),
    )
    visit = records.insert(build.db, "visit", values, manager["id"])
    if at < build.now - timedelta(days=3):
        visits.approve(build.db, reviewer, visit["id"])


def _plans_ahead(build, manager, customers) -> None:
    """Plans for today and the coming week, A and B customers first."""
    rng = build.rng
    picked = sorted(customers, key=lambda c: (c["customer_class"], c["code"]))[: rng.randint(4, 7)]
    for n, customer in enumerate(picked):
        day = build.today + timedelta(days=0 if n < 2 else rng.randint(1, 7))
        values = dict(
            id=build.next_id(),
            customer_id=customer["id"],
            account_manager_id=manager["id"],
            org_id=customer["org_id"],
            status="planned",
            purpose=rng.choice(list(PURPOSE_WEIGHTS)),
            planned_date=_weekday(day).isoformat() if n >= 2 else day.isoformat(),
        )
        records.insert(build.db, "visit", values, manager["id"])


def seed_visits(build) -> int:
    """Write the three months of visits, calls and follow-ups; return the visits made."""
    db = build.db
    managers = rows(
        db, "SELECT id, username FROM app_user WHERE role = 'account_manager' ORDER BY username"
    )
    customers = rows(
        db,
        "SELECT id, code, org_id, account_manager_id, customer_class, lat, lon FROM customer"
        " ORDER BY code",
    )
    contacts: dict[str, list] = {}
    for c in rows(db, "SELECT id, customer_id, name FROM contact ORDER BY id"):
        contacts.setdefault(c["customer_id"], []).append(c)
    reviewers = _reviewers(db)
    made = 0
    for manager in managers:
        skill = round(build.rng.uniform(0.55, 0.98), 2)
        mine = [c for c in customers if c["account_manager_id"] == manager["id"]]
        # A customer new to the manager, never visited yet (the first class C by code).
        new = next((c for c in mine if c["customer_class"] == "C"), None)
        mine = [c for c in mine if c is not new]
        for customer in mine:
            people = contacts[customer["id"]]
            for day, kind in sorted(_schedule(build, customer, skill)):
                reviewer = reviewers[customer["org_id"]]
                if kind == "phone":
                    _call(build, manager, customer, people, day, reviewer)
                    continue
                made += _visit(build, manager, customer, people, skill, day, reviewer) is not None
        _plans_ahead(build, manager, mine)
    return made

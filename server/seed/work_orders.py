"""Demo work orders: 150 orders of a branch at work on the seeding day, every type and status.

Times are offsets from the build's anchor (`build.now`, the seeding moment: server/seed/
demo.py), never the clock, so the same seed and anchor give the same rows. Finished orders
lie over the three months before; open ones (dispatched … on site) were dispatched in the
last hours or days and are due in the coming hours and days, a few breached by minutes or
hours. The technician `flask demo-logins` suggests (the first by organisation depth and
username) has an order dispatched to them, waiting to be accepted, due in a few hours.
Every order has a Chinese description of its trouble and, once resolved, a diagnosis.
The default checklist templates and an inspection plan per site type are seeded first, so
every demo inspection has its site type's checklist, answered in full (every item passing)
once it is past on site. Half the submitted orders of contractor technicians are
pre-checked by their contractor's supervisor (两不三可): the operator's supervisors decide.
"""

import json
from datetime import timedelta

from .. import records
from ..db import one, rows
from ..inspections import checklists
from ..times import from_stored, to_stored
from ..work_orders import model, sla, statuses

ORDERS = 150
DAYS = 92  # finished orders lie over about three months before the anchor
TYPES = ("fault_repair",) * 5 + ("on_demand",) * 2 + ("accompanying", "inspection")
# Where an order's life stopped, with weights: most are done, some open, a few cancelled.
ENDS = {
    "dispatched": 8,
    "accepted": 5,
    "en_route": 4,
    "on_site": 5,
    "resolved": 5,
    "submitted": 8,
    "approved": 10,
    "returned": 3,
    "closed": 45,
    "cancelled": 5,
}
OPEN = statuses.RUNNING  # in the field now: due in the coming hours and days
WAITING = ("resolved", "submitted", "returned")  # recent: waiting for the technician or review
BREACHED_SHARE = 0.2  # of open orders: past their due time by minutes or hours
PATH = ("accepted", "en_route", "on_site", "resolved", "submitted")
# Per type: (title, descriptions ({site}: the site's name), (diagnosis, cause, fix) choices).
JOBS = {
    "fault_repair": (
        (
            "基站退服",
            (
                "网管告警：{site}全站退服，周边小区用户反映无信号，请尽快到站处理。",
                "{site}凌晨起间歇性退服，已影响附近写字楼用户通话和上网。",
            ),
            (
                ("电源模块故障", "模块老化", "更换电源模块，业务恢复"),
                ("基带板告警", "单板软件异常", "复位基带板并升级软件，业务恢复"),
            ),
        ),
        (
            "传输中断",
            (
                "{site}传输链路中断，网管显示光口 LOS 告警，疑似光缆受损。",
                "{site}上联传输闪断，每小时数次，请排查光路。",
            ),
            (
                ("光缆中断", "市政施工挖断光缆", "熔接光缆两芯，链路恢复"),
                ("尾纤弯折", "机柜内尾纤受压", "更换尾纤并重新整理走线"),
            ),
        ),
        (
            "专线故障",
            (
                "客户报障：{site}互联网专线无法访问，客户业务系统中断。",
                "客户反映{site}专线丢包严重，视频会议卡顿。",
            ),
            (
                ("终端设备故障", "光猫死机", "更换客户端光猫，专线恢复"),
                ("端口误码", "配线架端口氧化", "清洁并更换配线架端口"),
            ),
        ),
        (
            "电源告警",
            (
                "{site}市电停电告警，蓄电池放电中，预计可维持 3 小时。",
                "{site}直流电压偏低告警，请检查整流模块和蓄电池。",
            ),
            (
                ("蓄电池容量不足", "电池组老化", "更换两节蓄电池并做放电测试"),
                ("市电中断", "供电局线路检修", "接入油机发电，市电恢复后撤除"),
            ),
        ),
        (
            "天馈驻波告警",
            (
                "{site}第二扇区驻波比告警，覆盖区域用户投诉信号弱。",
                "{site}天馈驻波比超限，疑似接头进水。",
            ),
            (
                ("接头进水", "防水胶带老化", "重做接头防水，驻波比恢复正常"),
                ("跳线损坏", "大风导致跳线磨损", "更换跳线，驻波比 1.2"),
            ),
        ),
    ),
    "on_demand": (
        (
            "覆盖测试",
            (
                "{site}周边新建写字楼投入使用，请现场做室内外覆盖测试并出具报告。",
                "用户投诉{site}附近小区晚高峰网速慢，请现场测试并提交优化建议。",
            ),
            (("覆盖测试完成", "话务量增长", "测试报告已提交，建议增加载频"),),
        ),
        (
            "专线开通测试",
            (
                "客户新增一条 100M 专线，需到{site}配合开通测试并签字确认。",
                "{site}专线扩容至 200M，请上门测速并交付客户。",
            ),
            (("开通测试", "新装业务", "测试通过，客户签字确认"),),
        ),
        (
            "机房环境检查",
            (
                "客户反映{site}机房温度偏高，请上门检查空调和通风。",
                "{site}机房门禁故障，请上门检查并协助客户报修。",
            ),
            (("空调滤网堵塞", "长期未清洁", "清洗滤网，机房温度恢复 24 度"),),
        ),
    ),
    "accompanying": (
        (
            "随工配合",
            (
                "市政道路施工经过{site}附近管道，请现场随工，防止挖断光缆。",
                "铁塔公司在{site}更换抱杆，请随工配合并确认业务正常。",
            ),
            (("随工完成", "第三方施工", "施工期间业务未中断，现场已恢复"),),
        ),
    ),
    "inspection": (
        (
            "例行巡检",
            (
                "按巡检计划对{site}进行例行巡检，逐项填写检查单并拍照。",
                "{site}季度巡检：检查电源、空调、天馈和机房环境。",
            ),
            (("巡检完成", "例行巡检", "各项检查正常"),),
        ),
    ),
}

SITE_TYPES = ("base_station", "customer_premises", "line_endpoint")
# Jobs that only happen at some kinds of site (the others: at any).
FITS = {
    "基站退服": ("base_station",),
    "天馈驻波告警": ("base_station",),
    "专线故障": ("customer_premises", "line_endpoint"),
    "专线开通测试": ("customer_premises", "line_endpoint"),
    "覆盖测试": ("base_station",),
    "机房环境检查": ("customer_premises",),
}


def _staff(db) -> list[dict]:
    return rows(
        db,
        "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' ORDER BY o.code, u.username",
    )


def _suggested(db) -> dict:
    """The technician `flask demo-logins` names for the role (server/seed/demo.logins)."""
    return one(
        db,
        "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
        " WHERE u.role = 'technician' ORDER BY o.depth, u.username LIMIT 1",
    )


def _steps(end: str) -> list[str]:
    """The statuses an order went through to reach `end` (after dispatch)."""
    if end in ("dispatched", "cancelled"):
        return []
    if end in PATH:
        return list(PATH[: PATH.index(end) + 1])
    return [*PATH, end] if end != "closed" else [*PATH, "approved", "closed"]


def _times(build, dispatched, order: dict, steps: list[str], late: bool) -> dict:
    """Step times: on time, or past the deadline for a late order; never after the anchor
    (a step that would be is moved to a minute before it)."""
    rng, out, at = build.rng, {}, dispatched
    latest = build.now - timedelta(minutes=1)
    due = {
        "accepted": order["response_due_at"],
        "on_site": order["arrival_due_at"],
        "resolved": order["restore_due_at"],
    }
    for step in steps:
        if due.get(step):  # fault repairs have three clocks, other types a due time only
            limit = from_stored(due[step])
            at = (
                limit + timedelta(minutes=rng.randint(5, 90))
                if late
                else max(at + timedelta(minutes=1), limit - timedelta(minutes=rng.randint(1, 30)))
            )
        else:
            at = at + timedelta(minutes=rng.randint(5, 240))
        at = min(at, latest)
        out[f"{step}_at"] = to_stored(at)
    return out


ANSWERED = ("resolved", "submitted", "approved", "returned", "closed")
DEMO_PHOTO = "0" * 64  # a photo item's answer names a photo that was never uploaded


def _words(value) -> list:
    return json.loads(value or "[]") if isinstance(value, str) else list(value or [])


def _passing(item: dict) -> dict:
    """An answer that passes its item (the middle of a reading's range, a good choice)."""
    kind, answer = item["kind"], {"passed": 1}
    if kind == "reading":
        low, high = item["min_value"], item["max_value"]
        answer["value_number"] = round((low + high) / 2, 2) if None not in (low, high) else 0
    elif kind == "choice":
        bad = set(_words(item["failing_choices"]))
        answer["value_text"] = next(c for c in _words(item["choices"]) if c not in bad)
    elif kind == "text":
        answer["value_text"] = "设备运行正常"
    if kind == "photo" or item["photo_required"]:
        answer["photo_sha256"] = DEMO_PHOTO
    return answer


def _answer_all(build, order: dict, at: str) -> None:
    for item in checklists.items_of(build.db, order["checklist_template_id"]):
        values = dict(
            _passing(item),
            id=build.next_id(),
            work_order_id=order["id"],
            item_id=item["id"],
            answered_device_at=at,
        )
        records.insert(build.db, "inspection_answer", values, order["assignee_id"])


def _plans(build) -> dict[str, dict]:
    """The default templates, and one active plan per site type over the city; returns the
    current template of each site type."""
    checklists.ensure_default_templates(build.db, new_id=build.next_id)
    city = one(build.db, "SELECT id FROM org WHERE kind = 'city' ORDER BY code LIMIT 1")
    start = (build.now - timedelta(days=DAYS)).date().isoformat()
    found = {}
    for site_type, (name, _items) in checklists.DEFAULTS.items():
        found[site_type] = checklists.current_template(build.db, site_type)
        if city:
            values = dict(
                id=build.next_id(),
                name=f"{name}计划",
                org_id=city["id"],
                site_type=site_type,
                start_date=start,
                active=1,
            )
            records.insert(build.db, "inspection_plan", values, None)
    return found


def _grade(db, site: dict) -> str:
    found = one(db, "SELECT sla_grade FROM customer WHERE id = ?", [site["customer_id"]])
    return found["sla_grade"] if found else "standard"


def _open_clock(build, site: dict, wo_type: str, fresh: bool = False) -> tuple:
    """(dispatched, due_at) of an open order: due in the coming hours or days, or (a few)
    breached by minutes or hours. due_at is the supervisor's due time where the type takes
    one; a fault repair's clocks come from its grade's policy, so its dispatch time is
    placed to put the restore deadline where wanted. A `fresh` order is neither breached nor
    near its deadline."""
    rng, now = build.rng, build.now
    breached = rng.random() < BREACHED_SHARE and not fresh
    if wo_type in sla.DUE_AT_DISPATCH:
        if breached:
            due = now - timedelta(minutes=rng.randint(5, 10 * 60))
        else:
            due = now + timedelta(minutes=rng.randint(40, 4 * 24 * 60))
        dispatched = min(now - timedelta(minutes=rng.randint(10, 24 * 60)), due)
        dispatched -= timedelta(hours=rng.randint(1, 6)) if dispatched == due else timedelta()
        return dispatched, to_stored(due)
    clocks = sla.clocks_for(build.db, wo_type, _grade(build.db, site), to_stored(now))
    restore = (from_stored(clocks["restore_due_at"]) - now).total_seconds() / 60
    if breached:
        elapsed = restore + rng.randint(5, 8 * 60)
    else:
        elapsed = restore * rng.uniform(0.05, 0.2 if fresh else 0.85)
    return now - timedelta(minutes=round(elapsed)), None


def _finished_dispatch(build, end: str):
    """When a finished order was dispatched: recently when it waits for review or rework,
    else over the three months before the anchor."""
    days = 5 if end in WAITING else DAYS
    return build.now - timedelta(minutes=build.rng.randint(6 * 60, days * 24 * 60))


def _one(build, sites, staff, templates, end=None, tech=None) -> dict:
    rng = build.rng
    site = rng.choice(sites)
    fresh = tech is not None
    tech = tech or rng.choice(staff)
    wo_type = "fault_repair" if end else rng.choice(TYPES)
    end = end or rng.choices(list(ENDS), list(ENDS.values()))[0]
    jobs = [j for j in JOBS[wo_type] if site["site_type"] in FITS.get(j[0], SITE_TYPES)]
    title, descriptions, outcomes = rng.choice(jobs or JOBS[wo_type])
    extra = {}
    if wo_type == "inspection":
        extra["checklist_template_id"] = templates[site["site_type"]]["id"]
        title = f"{site['name']}{title}"
    if end in OPEN:
        dispatched, due_at = _open_clock(build, site, wo_type, fresh)
        if due_at:
            extra["due_at"] = due_at
    else:
        dispatched = _finished_dispatch(build, end)
    order = model.create_order(
        build.db,
        None,
        id=build.next_id(),
        wo_type=wo_type,
        **extra,
        org_id=site["org_id"],
        at=to_stored(dispatched),
        title=title,
        description=rng.choice(descriptions).format(site=site["name"]),
        site_id=site["id"],
        customer_id=site["customer_id"],
        assignee_id=tech["id"],
        assigned_org_id=tech["org_id"],
    )
    changes = _times(build, dispatched, order, _steps(end), rng.random() < 0.2)
    changes.pop("returned_at", None)
    changes["status"] = end
    if end == "cancelled":
        changes.update(
            cancelled_at=to_stored(dispatched + timedelta(hours=1)), cancel_reason="客户取消"
        )
    if end == "returned":
        changes["return_reason"] = "照片不清晰，请补拍"
    if "resolved_at" in changes:
        diagnosis, cause, fix = rng.choice(outcomes)
        changes.update(diagnosis=diagnosis, cause=cause, fix=fix)
    if wo_type == "inspection" and end in ANSWERED:
        _answer_all(build, order, changes["on_site_at"])
    return records.update(build.db, "work_order", order["id"], changes, None, "seed")


def _prechecks(build, orders: list[dict]) -> None:
    """Every other submitted order of a contractor's technician, pre-checked by the
    contractor's supervisor (no approval: that is the operator's)."""
    supervisors = {
        r["org_id"]: r["id"]
        for r in rows(
            build.db,
            "SELECT u.id, u.org_id FROM app_user u JOIN org o ON o.id = u.org_id"
            " WHERE o.kind = 'contractor' AND u.role = 'supervisor' ORDER BY u.username",
        )
    }
    waiting = [o for o in orders if o["status"] == "submitted"]
    waiting = [o for o in waiting if o["assigned_org_id"] in supervisors]
    for order in waiting[::2]:
        who = supervisors[order["assigned_org_id"]]
        at = order["submitted_at"]
        changes = {"prechecked_at": at, "prechecked_by": who}
        row = records.update(build.db, "work_order", order["id"], changes, who, "precheck")
        values = dict(
            entity="work_order",
            entity_id=row["id"],
            action="precheck",
            reason="资料齐全，请审核",
            reviewer_id=who,
            at=at,
            org_id=row["org_id"],
        )
        records.insert(build.db, "review", dict(values, id=build.next_id()), who)


def seed_work_orders(build, count: int = ORDERS) -> list[dict]:
    """Create `count` orders at the demo sites, assigned to the demo technicians."""
    templates = _plans(build)
    sites = rows(
        build.db, "SELECT id, name, org_id, customer_id, site_type FROM site ORDER BY code"
    )
    staff = _staff(build.db)
    # First the order waiting for the suggested technician: dispatched, due in hours.
    orders = [_one(build, sites, staff, templates, "dispatched", _suggested(build.db))]
    orders += [_one(build, sites, staff, templates) for _ in range(count - 1)]
    _prechecks(build, orders)
    return orders

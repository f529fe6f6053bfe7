"""A generated province for the statistics bench: 10,000 staff over 1,000,000 records.

1 province, 11 cities, each with 4 districts of 5 teams (220 teams) and 2 contractors (22).
Per team 20 account managers, 20 technicians and a supervisor; 50 technicians per
contractor; supervisors of districts, cities and contractors; 10,199 staff in all.
Each account manager holds 10 customers (44,000; classes about 5/25/70 %, grades skewed to
standard). Over the year before NOW: 500,000 visits and 500,000 work orders (inspection
40 %, fault repair 25 %, on-demand 15 %, accompanying 8 %, rectification 7 %, exception
report 5 %), half worked by the team, half by one of the city's contractors; clocks from
SLA policy v1, most met; fault causes from a skewed list of 15; each inspection answers an
8-item checklist (about 3 % failed, some failed then fixed). Written by executemany with
the indexes dropped and rebuilt afterwards; cached in bench/out/ (git-ignored), keyed by
VERSION.
"""

import os
import random
import shutil
import time
from datetime import UTC, datetime, timedelta

from server.db import connect
from server.inspections.checklists import create_template
from server.migrations import upgrade
from server.times import to_stored as iso
from server.work_orders.sla import DEFAULT_LIMITS
from tests import factories

VERSION = "s2"  # bump on any change to the build or to m009_statistics
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
DAYS = 365
N_VISITS = N_ORDERS = 500_000
STAMP = "2025-01-01T00:00:00.000Z"
TYPES = (
    ("inspection", 40),
    ("fault_repair", 25),
    ("on_demand", 15),
    ("accompanying", 8),
    ("rectification", 7),
    ("exception_report", 5),
)
GRADES = (("diamond", 3), ("gold", 10), ("silver", 17), ("bronze", 20), ("standard", 50))
CAUSES = [
    f"{name}"
    for name in (
        "光缆中断",
        "电源故障",
        "设备老化",
        "雷击",
        "空调故障",
        "传输误码",
        "板卡故障",
        "人为破坏",
        "天馈故障",
        "市电停电",
        "配置错误",
        "蓄电池失效",
        "温度过高",
        "外力施工",
        "其他",
    )
]
ITEMS = ["蓄电池浮充电压", "机房温度", "接地电阻", "门禁", "空调", "消防设施", "天馈", "卫生"]
BIG = ("visit", "work_order", "inspection_answer", "customer", "app_user")


class Ids:
    """Ascending text ids (rows are written in time order, so B-trees append)."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.n:032x}"


def _org(db, new_id, kind, code, parent):
    path = (parent["path"] if parent else "") + code + "/"
    row = dict(
        id=new_id(),
        kind=kind,
        code=code,
        name=code,
        path=path,
        depth=path.count("/"),
        parent_id=parent["id"] if parent else None,
        created_at=STAMP,
        updated_at=STAMP,
        version=1,
    )
    db["org"].insert(row)
    return row


def _staff(rng, new_id, org, role, n, out):
    for _ in range(n):
        uid = new_id()
        out.append((uid, f"u{uid[-8:]}", f"员工{uid[-6:]}", role, org["id"], "x", STAMP, STAMP, 1))
    return out[-n:]


def orgs_and_staff(db, rng, new_id) -> dict:
    """The org tree and the staff; return the ids the rest needs."""
    world = {"teams": [], "contractors": {}, "ams": {}, "techs": {}, "cities": []}
    users: list = []
    province = _org(db, new_id, "province", "P", None)
    for c in range(11):
        city = _org(db, new_id, "city", f"C{c:02d}", province)
        world["cities"].append(city)
        _staff(rng, new_id, city, "supervisor", 1, users)
        cons = [_org(db, new_id, "contractor", f"C{c:02d}K{k}", city) for k in range(2)]
        for con in cons:
            _staff(rng, new_id, con, "supervisor", 1, users)
            world["techs"][con["id"]] = [
                u[0] for u in _staff(rng, new_id, con, "technician", 50, users)
            ]
        for d in range(4):
            district = _org(db, new_id, "district", f"C{c:02d}D{d}", city)
            _staff(rng, new_id, district, "supervisor", 1, users)
            for t in range(5):
                team = _org(db, new_id, "team", f"C{c:02d}D{d}T{t}", district)
                world["teams"].append((team, cons))
                _staff(rng, new_id, team, "supervisor", 1, users)
                world["ams"][team["id"]] = [
                    u[0] for u in _staff(rng, new_id, team, "account_manager", 20, users)
                ]
                world["techs"][team["id"]] = [
                    u[0] for u in _staff(rng, new_id, team, "technician", 20, users)
                ]
    db.conn.executemany(
        "INSERT INTO app_user (id, username, display_name, role, org_id, password_hash,"
        " created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        users,
    )
    world["province"], world["staff"] = province, len(users)
    return world


def customers(db, rng, new_id, world) -> None:
    """Ten customers per account manager."""
    world["customers"] = {}
    out = []
    for team, _cons in world["teams"]:
        mine = world["customers"][team["id"]] = []
        for am in world["ams"][team["id"]]:
            for _ in range(10):
                cid = new_id()
                cls = rng.choices("ABC", (5, 25, 70))[0]
                grade = rng.choices([g for g, _w in GRADES], [w for _g, w in GRADES])[0]
                out.append(
                    (
                        cid,
                        f"CU{cid[-10:]}",
                        f"客户{cid[-6:]}",
                        cls,
                        cls,
                        grade,
                        am,
                        team["id"],
                        STAMP,
                        STAMP,
                        1,
                    )
                )
                mine.append((cid, am, grade))
    db.conn.executemany(
        "INSERT INTO customer (id, code, name, computed_class, customer_class, sla_grade,"
        " account_manager_id, org_id, created_at, updated_at, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        out,
    )


VISIT_STATUS = (
    ("completed", 40),
    ("approved", 50),
    ("returned", 3),
    ("cancelled", 4),
    ("in_progress", 3),
)


def _visits(rng, new_id, world, day: datetime, n: int, version) -> list:
    out = []
    for at in sorted(day + timedelta(seconds=rng.randrange(86400)) for _ in range(n)):
        team, _cons = rng.choice(world["teams"])
        cid, am, _grade = rng.choice(world["customers"][team["id"]])
        status = rng.choices([s for s, _w in VISIT_STATUS], [w for _s, w in VISIT_STATUS])[0]
        stamp = iso(at)
        out.append(
            (new_id(), cid, am, team["id"], status, stamp[:10], stamp, stamp, stamp, next(version))
        )
    return out


def _clocks(rng, at: datetime, grade: str, open_: bool) -> tuple:
    response, arrival, restore = DEFAULT_LIMITS[grade]
    due = [iso(at + timedelta(minutes=m)) for m in (response, arrival, restore)]
    if open_:
        return (*due, None, None, None)
    accepted = at + timedelta(minutes=response * rng.uniform(0.1, 1.1))
    on_site = at + timedelta(minutes=arrival * rng.uniform(0.1, 1.15))
    resolved = on_site + timedelta(minutes=(restore - arrival) * rng.uniform(0.1, 1.2))
    return (*due, iso(accepted), iso(on_site), iso(resolved))


def _order(rng, new_id, world, at: datetime, template, version) -> tuple:
    team, cons = rng.choice(world["teams"])
    wo_type = rng.choices([t for t, _w in TYPES], [w for _t, w in TYPES])[0]
    worker = team if rng.random() < 0.5 else rng.choice(cons)
    customer, grade = None, rng.choices([g for g, _w in GRADES], [w for _g, w in GRADES])[0]
    if wo_type in ("fault_repair", "on_demand", "accompanying") and rng.random() < 0.6:
        customer, _am, grade = rng.choice(world["customers"][team["id"]])
    recent = (NOW - at).days < 3
    status = (
        rng.choice(("dispatched", "en_route", "on_site"))
        if recent
        else rng.choices(("closed", "approved", "cancelled"), (80, 15, 5))[0]
    )
    clocks = (None,) * 6
    if wo_type != "exception_report":
        clocks = _clocks(rng, at, grade, recent or status == "cancelled")
    cause = ""
    if wo_type == "fault_repair" and clocks[5]:
        cause = rng.choices(CAUSES, [1 / (i + 1) for i in range(len(CAUSES))])[0]
    stamp = iso(at)
    oid = new_id()
    return (
        oid,
        f"WO-{oid[-10:]}",
        wo_type,
        status,
        team["id"],
        worker["id"],
        rng.choice(world["techs"][worker["id"]]),
        customer,
        grade,
        1 if clocks[0] else None,
        stamp if clocks[0] else None,
        *clocks,
        cause,
        template["id"] if wo_type == "inspection" else None,
        stamp,
        stamp,
        next(version),
    )


ORDER_SQL = (
    "INSERT INTO work_order (id, code, wo_type, status, org_id, assigned_org_id, assignee_id,"
    " customer_id, sla_grade, sla_policy_version, dispatched_at, response_due_at,"
    " arrival_due_at, restore_due_at, accepted_at, on_site_at, resolved_at, cause,"
    " checklist_template_id, created_at, updated_at, version)"
    " VALUES (" + ", ".join("?" * 22) + ")"
)


def _answers(rng, new_id, order: tuple, items: list, version) -> list:
    if order[2] != "inspection" or order[3] == "cancelled" or order[16] is None:
        return []
    out = []
    for item in items:
        passed = rng.random() > 0.03
        out.append(
            (new_id(), order[0], item["id"], int(passed), order[16], order[16], next(version))
        )
        if not passed and rng.random() < 0.3:  # fixed on the spot: a later passing answer
            out.append((new_id(), order[0], item["id"], 1, order[16], order[16], next(version)))
    return out


def records(db, rng, new_id, world) -> int:
    """A year of visits, work orders and checklist answers, day by day; return answers."""
    template = create_template(
        db,
        None,
        "base_station",
        "基站巡检",
        [{"label": label, "kind": "pass_fail"} for label in ITEMS],
    )
    items, version, n_answers = template["items"], iter(range(1000, 10**9)), 0
    start = NOW - timedelta(days=DAYS)
    for d in range(DAYS):
        day = start + timedelta(days=d)
        n = N_VISITS // DAYS + (1 if d < N_VISITS % DAYS else 0)
        db.conn.executemany(
            "INSERT INTO visit (id, customer_id, account_manager_id, org_id, status,"
            " planned_date, check_in_at, created_at, updated_at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _visits(rng, new_id, world, day, n, version),
        )
        times = sorted(day + timedelta(seconds=rng.randrange(86400)) for _ in range(n))
        orders = [_order(rng, new_id, world, at, template, version) for at in times]
        db.conn.executemany(ORDER_SQL, orders)
        answers = [a for o in orders for a in _answers(rng, new_id, o, items, version)]
        n_answers += len(answers)
        db.conn.executemany(
            "INSERT INTO inspection_answer (id, work_order_id, item_id, passed, created_at,"
            " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            answers,
        )
    return n_answers


def _drop_indexes(db) -> list[str]:
    found = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({', '.join('?' * len(BIG))})",
        BIG,
    ).fetchall()
    for name, _sql in found:
        db.execute(f"DROP INDEX [{name}]")
    return [sql for _name, sql in found]


def _build(path: str) -> dict:
    db = connect(path)
    upgrade(db)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    rng, new_id = random.Random(9), Ids()
    db.execute("BEGIN")
    indexes = _drop_indexes(db)
    world = orgs_and_staff(db, rng, new_id)
    city = world["cities"][0]
    district = db.execute(
        "SELECT * FROM org WHERE parent_id = ? AND kind = 'district'", [city["id"]]
    ).fetchone()
    bench_users = {
        "admin": factories.make_user(db, world["province"], "admin", username="stats_admin"),
        "sup_city": factories.make_user(db, city, "supervisor", username="stats_sup_city"),
    }
    customers(db, rng, new_id, world)
    n_answers = records(db, rng, new_id, world)
    for sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return {
        "staff": world["staff"] + 2,
        "answers": n_answers,
        "city": city["id"],
        "district": district["id"],
        "users": {k: v["username"] for k, v in bench_users.items()},
    }


def cached() -> tuple[str, dict]:
    """The cached build's path and description, building it first if missing."""
    import json

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"statistics-{VERSION}.db")
    about = path + ".json"
    if not os.path.exists(path) or not os.path.exists(about):
        started = time.perf_counter()
        partial = path + ".building"
        for leftover in (partial, partial + "-wal", partial + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        described = _build(partial)
        described["build_s"] = round(time.perf_counter() - started, 1)
        os.replace(partial, path)
        with open(about, "w") as fh:
            json.dump(described, fh)
        print(f"built the statistics province in {described['build_s']:.0f} s")
    with open(about) as fh:
        return path, json.load(fh)


def private_copy(tmp: str) -> tuple[str, dict]:
    """A copy of the cached build in `tmp`, migrated to the current schema."""
    source, described = cached()
    path = os.path.join(tmp, "statistics.db")
    shutil.copyfile(source, path)
    db = connect(path)
    applied = upgrade(db)
    if applied:
        print(f"migrated the copy: {', '.join(applied)}")
    db.conn.close()
    return path, described

"""The scores bench's data set: 10,000 staff over 1,000,000 records, built once, cached.

A province of 11 cities × 4 districts × 5 teams and 2 contractors per city, with 6,000
account managers (60,000 customers, 5 % class A) and 4,000 technicians (three in five
in-house, two in five at contractors; 20,000 sites), and a year of work before June 2026:
500,000 visits with about 90,000 follow-ups and 500,000 work orders (faults, inspections,
on-demand, rectifications), 4 % of them returned once (review rows). Rows are written by
plain executemany: the bench measures the readers. Cached in bench/out/ (git-ignored) by
VERSION: bump it on any change to the generator.
"""

import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from server.db import connect
from server.migrations import upgrade
from server.times import LOCAL
from server.times import to_stored as iso

VERSION = "s2"
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
START = datetime(2025, 6, 1, tzinfo=UTC)
STAMP = "2026-01-01T00:00:00.000Z"
N_AM, N_TECH, N_VISITS, N_ORDERS = 6_000, 4_000, 500_000, 500_000


def org_tag(orgs) -> str:
    return orgs[0]["kind"][:1]


class Gen:
    def __init__(self, db):
        self.db, self.rng = db, random.Random(5)

    def rid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def many(self, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        stamps = [c for c in ("created_at", "updated_at") if c not in cols]
        names = ", ".join(cols + stamps)
        marks = ", ".join(["?"] * len(cols) + [f"'{STAMP}'"] * len(stamps))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        self.db.conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows])

    def org(self, kind, code, parent) -> dict:
        path = (parent["path"] if parent else "") + code + "/"
        row = dict(
            id=self.rid(),
            parent_id=parent and parent["id"],
            kind=kind,
            code=code,
            name=f"{kind} {code}",
            path=path,
            depth=path.count("/") - 1,
        )
        self.many("org", [row])
        return row

    def tree(self) -> tuple[list, list]:
        province = self.org("province", "P", None)
        teams, contractors = [], []
        for c in range(11):
            city = self.org("city", f"C{c:02d}", province)
            contractors += [self.org("contractor", f"C{c:02d}K{k}", city) for k in range(2)]
            for d in range(4):
                district = self.org("district", f"C{c:02d}D{d}", city)
                teams += [self.org("team", f"C{c:02d}D{d}T{t}", district) for t in range(5)]
        return teams, contractors

    def users(self, role, n, orgs) -> list[dict]:
        rows = [
            dict(
                id=self.rid(),
                username=f"{role[:2]}{org_tag(orgs)}{i:05d}",
                display_name=f"{role} {i}",
                role=role,
                org_id=orgs[i % len(orgs)]["id"],
                password_hash="!",  # noqa: S106  (no sign-in in this bench)
            )
            for i in range(n)
        ]
        self.many("app_user", rows)
        return rows

    def moment(self) -> datetime:
        return START + timedelta(seconds=self.rng.randrange(365 * 86400))

    def visits(self, ams) -> None:
        rng, customers = self.rng, []
        for i, am in enumerate(ams):
            for k in range(10):
                cls = "A" if rng.random() < 0.05 else ("B" if rng.random() < 0.3 else "C")
                customers.append(
                    dict(
                        id=self.rid(),
                        code=f"CU{i:05d}{k}",
                        name=f"customer {i}/{k}",
                        computed_class=cls,
                        customer_class=cls,
                        sla_grade="standard",
                        org_id=am["org_id"],
                        account_manager_id=am["id"],
                    )
                )
        self.many("customer", customers)
        visits, follow_ups, reviews = [], [], []
        for _ in range(N_VISITS):
            c = customers[rng.randrange(len(customers))]
            at = self.moment()
            status = rng.choices(
                ("approved", "completed", "returned", "planned", "cancelled"), (70, 15, 3, 7, 5)
            )[0]
            done = status in ("approved", "completed", "returned")
            late = timedelta(hours=rng.choice((0.2, 1, 3, 30)))
            visits.append(
                dict(
                    id=self.rid(),
                    customer_id=c["id"],
                    account_manager_id=c["account_manager_id"],
                    org_id=c["org_id"],
                    status=status,
                    planned_date=at.astimezone(LOCAL).date().isoformat()
                    if rng.random() < 0.8
                    else None,
                    check_in_at=iso(at) if done else None,
                    check_out_device_at=iso(at + timedelta(hours=1)) if done else None,
                    check_out_at=iso(at + timedelta(hours=1) + late) if done else None,
                    satisfaction=rng.randint(2, 5) if done and rng.random() < 0.7 else None,
                )
            )
            if done and rng.random() < 0.2:
                due = at + timedelta(days=rng.randint(1, 20))
                follow_ups.append(
                    dict(
                        id=self.rid(),
                        visit_id=visits[-1]["id"],
                        customer_id=c["id"],
                        account_manager_id=c["account_manager_id"],
                        action="call back",
                        due_date=due.date().isoformat(),
                        done_at=iso(due + timedelta(days=rng.choice((-2, -1, 0, 3))))
                        if rng.random() < 0.9
                        else None,
                    )
                )
            if status in ("approved", "returned") and rng.random() < 0.04:
                reviews.append(self.review("visit", visits[-1], at))
        self.many("visit", visits)
        self.many("follow_up", follow_ups)
        self.many("review", reviews)

    def review(self, entity, row, at) -> dict:
        return dict(
            id=self.rid(),
            entity=entity,
            entity_id=row["id"],
            action="return",
            at=iso(at + timedelta(days=1)),
            org_id=row["org_id"],
        )

    def orders(self, techs, teams) -> None:
        rng = self.rng
        sites = {}
        for team in teams:
            sites[team["id"]] = [
                dict(
                    id=self.rid(),
                    code=f"S{team['path']}{k}",
                    name="site",
                    site_type="base_station",
                    org_id=team["id"],
                )
                for k in range(20000 // len(teams))
            ]
            self.many("site", sites[team["id"]])
        orders, reviews = [], []
        kinds = ("fault_repair", "inspection", "on_demand", "rectification")
        for n in range(N_ORDERS):
            tech, team = techs[rng.randrange(len(techs))], teams[rng.randrange(len(teams))]
            site = sites[team["id"]][rng.randrange(len(sites[team["id"]]))]
            at, kind = self.moment(), rng.choices(kinds, (50, 30, 10, 10))[0]
            status = rng.choices(
                ("approved", "closed", "submitted", "returned", "cancelled", "on_site"),
                (65, 15, 8, 3, 4, 5),
            )[0]
            on_site = at + timedelta(hours=rng.uniform(0.5, 6))
            resolved = on_site + timedelta(hours=rng.uniform(0.5, 6))
            worked = status not in ("cancelled", "on_site")
            orders.append(
                dict(
                    id=self.rid(),
                    code=f"WO-{n:07d}",
                    wo_type=kind,
                    status=status,
                    site_id=site["id"],
                    org_id=team["id"],
                    assigned_org_id=tech["org_id"],
                    assignee_id=tech["id"],
                    dispatched_at=iso(at),
                    created_at=iso(at),
                    arrival_due_at=iso(at + timedelta(hours=4)),
                    restore_due_at=iso(at + timedelta(hours=8)),
                    on_site_at=iso(on_site) if status != "cancelled" else None,
                    resolved_at=iso(resolved) if worked else None,
                    submitted_at=iso(resolved + timedelta(hours=rng.choice((0.5, 2, 30))))
                    if worked
                    else None,
                    plan_period=f"{at.date()}/{(at + timedelta(days=29)).date()}"
                    if kind == "inspection"
                    else None,
                )
            )
            if worked and rng.random() < 0.04:
                reviews.append(self.review("work_order", orders[-1], resolved))
        self.many("work_order", orders)
        self.many("review", reviews)


def cached() -> str:
    """The cached build, made first when missing."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"scores-{VERSION}.db")
    if os.path.exists(path):
        return path
    started, partial = time.perf_counter(), path + ".building"
    if os.path.exists(partial):
        os.remove(partial)
    db = connect(partial)
    upgrade(db)
    db.execute("PRAGMA synchronous = OFF")
    gen = Gen(db)
    with db.atomic():
        teams, contractors = gen.tree()
        ams = gen.users("account_manager", N_AM, teams)
        techs = gen.users("technician", N_TECH * 3 // 5, teams)
        techs += gen.users("technician", N_TECH * 2 // 5, contractors)
        gen.visits(ams)
        gen.orders(techs, teams)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    os.replace(partial, path)
    print(f"built the data set in {time.perf_counter() - started:.0f} s")
    return path

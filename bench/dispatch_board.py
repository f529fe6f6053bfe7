"""Dispatch board benchmark (issue 4): board pages on a province-scale data set.

Run: .venv/bin/python bench/dispatch_board.py [orders] (default 1,000,000). Ends with one line
of JSON. Builds a fresh temporary SQLite file (the server's migrations and connection
settings) with 1 province, 11 cities, 44 districts, 176 teams, 22 contractors, 2,000
technicians, 20,000 sites and the orders written by plain executemany (the board reads; how
the rows got there does not matter), then times board pages through the real views
(test client, signed in) and prints each query's plan.
"""

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from server import create_app  # noqa: E402
from server.db import connect  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.scope import Caller  # noqa: E402
from server.work_orders import board, sla  # noqa: E402
from tests import factories  # noqa: E402

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
RUNS = 40


def _org(db, kind, code, parent, rng_id):
    path = (parent["path"] if parent else "") + code + "/"
    row = dict(
        id=rng_id(),
        kind=kind,
        code=code,
        name=code,
        parent_id=parent["id"] if parent else None,
        path=path,
        depth=path.count("/"),
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        version=1,
    )
    db["org"].insert(row)
    return row


def build(db, n_orders: int, rng: random.Random) -> dict:
    """Orgs, staff, sites and orders; return the users to sign in as and some ids."""
    rid = lambda: str(uuid.UUID(int=rng.getrandbits(128)))  # noqa: E731
    province = _org(db, "province", "P", None, rid)
    teams, contractors, districts = [], [], []
    for c in range(11):
        city = _org(db, "city", f"C{c:02d}", province, rid)
        contractors += [_org(db, "contractor", f"C{c:02d}K{k}", city, rid) for k in range(2)]
        for d in range(4):
            district = _org(db, "district", f"C{c:02d}D{d}", city, rid)
            districts.append(district)
            teams += [_org(db, "team", f"C{c:02d}D{d}T{t}", district, rid) for t in range(4)]
    users = {"admin": factories.make_user(db, province, "admin", username="bench_admin")}
    users["sup_city"] = factories.make_user(db, teams[0] and _city(db, teams[0]), "supervisor")
    users["sup_district"] = factories.make_user(db, districts[0], "supervisor")
    techs = []
    stamp = "2026-01-01T00:00:00.000Z"
    for n in range(2000):
        org = rng.choice(teams + contractors)
        techs.append((rid(), f"t{n}", f"技术员{n}", "technician", org["id"], "x", stamp, stamp))
    db.conn.executemany(
        "INSERT INTO app_user (id, username, display_name, role, org_id, password_hash,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        techs,
    )
    sites = []
    for n in range(20000):
        team = rng.choice(teams)
        sites.append((rid(), f"BS-{n:05d}", f"站点{n}", team["id"], rng.choice(contractors)["id"]))
    db.conn.executemany(
        "INSERT INTO site (id, code, name, site_type, org_id, contractor_id, lat, lon,"
        f" created_at, updated_at) VALUES (?, ?, ?, 'base_station', ?, ?, 30.2, 120.1,"
        f" '{stamp}', '{stamp}')",
        sites,
    )
    _orders(db, n_orders, rng, rid, sites, techs)
    return dict(users=users, tech=techs[0], team=teams[0], site=sites[0])


def _city(db, team):
    district = db["org"].get(team["parent_id"])
    return db["org"].get(district["parent_id"])


STATUS_OPEN = ("dispatched", "accepted", "en_route", "on_site", "resolved", "submitted")


def _orders(db, n_orders, rng, rid, sites, techs):
    limits = {r["sla_grade"]: r for r in db["sla_policy"].rows}
    grades = sla.GRADES
    batch = []
    cols = (
        "id, code, wo_type, status, title, site_id, org_id, assigned_org_id, assignee_id,"
        " sla_grade, sla_policy_version, dispatched_at, response_due_at, arrival_due_at,"
        " restore_due_at, accepted_at, on_site_at, resolved_at, created_at, updated_at, version"
    )
    sql = f"INSERT INTO work_order ({cols}) VALUES ({', '.join('?' * 21)})"
    with db.atomic():
        for n in range(n_orders):
            site = rng.choice(sites)
            tech = rng.choice(techs)
            age_min = rng.uniform(0, 365 * 24 * 60) if rng.random() > 0.03 else rng.uniform(0, 600)
            start = NOW - timedelta(minutes=age_min)
            grade = rng.choices(grades, (1, 3, 6, 10, 30))[0]
            pol = limits[grade]
            due = [
                start + timedelta(minutes=pol[k])
                for k in ("response_minutes", "arrival_minutes", "restore_minutes")
            ]
            if age_min > 3 * 24 * 60:
                status = rng.choices(("closed", "cancelled"), (97, 3))[0]
            else:
                status = rng.choice(STATUS_OPEN)
            step = STATUS_OPEN.index(status) if status in STATUS_OPEN else 9
            late = rng.random() < 0.1
            done = [
                (d + timedelta(minutes=30 if late else -5)) if step > i else None
                for i, d in zip((0, 2, 3), due, strict=True)
            ]
            at = sla.iso(start)
            batch.append(
                (
                    rid(),
                    f"WO-{start:%Y%m%d}-{n:07d}",
                    rng.choice(("fault_repair", "fault_repair", "on_demand", "inspection")),
                    status,
                    "基站退服",
                    site[0],
                    site[3],
                    tech[4],
                    tech[0],
                    grade,
                    1,
                    at,
                    *(sla.iso(d) for d in due),
                    *(sla.iso(d) if d else None for d in done),
                    at,
                    at,
                    n + 1,
                )
            )
            if len(batch) == 20000:
                db.conn.executemany(sql, batch)
                batch = []
        db.conn.executemany(sql, batch)


def timed(call) -> tuple[float, float]:
    """(median, p95) in ms of RUNS calls."""
    out = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    out.sort()
    return round(statistics.median(out), 1), round(out[int(len(out) * 0.95) - 1], 1)


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)


def main() -> None:
    n_orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    tmp = tempfile.mkdtemp(prefix="fieldbook-board-")
    try:
        path = os.path.join(tmp, "bench.db")
        db = connect(path)
        upgrade(db)
        started = time.perf_counter()
        world = build(db, n_orders, random.Random(4))
        print(f"built {n_orders:,} orders in {time.perf_counter() - started:.0f} s")
        db.execute("ANALYZE")
        app = create_app({"DATABASE": path, "SECRET_KEY": "bench", "TESTING": True})
        app.config["WTF_CSRF_ENABLED"] = False
        now = sla.iso(NOW)
        pages = {
            "first page (admin, open)": ("admin", {}),
            "first page (city supervisor, open)": ("sup_city", {}),
            "first page (district supervisor, open)": ("sup_district", {}),
            "breached (admin)": ("admin", {"sla": "breached"}),
            "due within 120 min (admin)": ("admin", {"sla": "due_soon", "within": "120"}),
            "team + fault repair (admin, all)": (
                "admin",
                {"assigned_org": world["team"]["id"], "wo_type": "fault_repair", "status": "all"},
            ),
            "one technician (admin, all)": (
                "admin",
                {"assignee": world["tech"][0], "status": "all"},
            ),
            "site search (admin, all)": ("admin", {"q": world["site"][1], "status": "all"}),
            "order number prefix (admin, all)": ("admin", {"q": "WO-20260531", "status": "all"}),
            "closed, gold, page 40 (admin)": (
                "admin",
                {"status": "closed", "sla_grade": "gold", "page": "40"},
            ),
        }
        figures = {}
        for name, (who, args) in pages.items():
            user = world["users"][who]
            caller = Caller(user["id"], user["role"], user["org_id"], *_org_of(db, user))
            query = board.query(
                db, caller, {k: v for k, v in args.items() if k != "page"}, now, "Asia/Shanghai"
            )
            plan = board.explain(db, query)
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = f"{user['id']}:1"
                session["_fresh"] = True
            url = "/work-orders/?" + "&".join(f"{k}={v}" for k, v in args.items())
            number = int(args.get("page", 1))
            q_med, q_p95 = timed(lambda q=query, n=number: board.page(db, q, n, 25, now))
            p_med, p_p95 = timed(lambda u=url, c=client: _get(c, u, {"HX-Request": "true"}))
            f_med, f_p95 = timed(lambda u=url, c=client: _get(c, u, {}))
            figures[name] = {
                "query_median_ms": q_med,
                "query_p95_ms": q_p95,
                "htmx_median_ms": p_med,
                "htmx_p95_ms": p_p95,
                "page_median_ms": f_med,
                "page_p95_ms": f_p95,
            }
            print(
                f"{name}: query {q_med} / {q_p95} ms, htmx table {p_med} / {p_p95} ms,"
                f" whole page {f_med} / {f_p95} ms (median / p95)"
            )
            print("   plan: " + " | ".join(plan))
        print(json.dumps({"dispatch_board_ms": figures, "orders": n_orders}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _org_of(db, user):
    org = db["org"].get(user["org_id"])
    return org["path"], org["kind"]


if __name__ == "__main__":
    main()

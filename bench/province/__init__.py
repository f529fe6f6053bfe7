"""The province-scale data set of issue 4, built once and cached for every bench.

`private_copy(tmp, n_orders)` returns a copy of the cached database file (a bench may
write to it), migrated to the current schema, and the world description (users to sign in
as, ids). The cache lives in
bench/out/ (git-ignored), keyed by VERSION and the number of orders: change VERSION when
the generator changes, so no bench runs on a stale build.
"""

import json
import os
import random
import shutil
import time

from server.db import connect
from server.migrations import upgrade
from tests import factories

from . import build

VERSION = "p2"  # bump on any change to build.py
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
NOW = build.NOW


def _build(path: str, n_orders: int) -> None:
    db = connect(path)
    upgrade(db)
    db.execute("PRAGMA cache_size = -2000000")  # 2 GB: random ids would spill pages to the WAL
    world = build.World(random.Random(4))
    province = build.orgs(db, world)
    users = {"admin": factories.make_user(db, province, "admin", username="bench_admin")}
    users["sup_city"] = factories.make_user(db, world.cities[0], "supervisor")
    users["sup_district"] = factories.make_user(db, world.districts[0], "supervisor")
    build.technicians(db, world)
    site_rows = build.sites(db, world)
    n_events = build.orders(db, world, site_rows, n_orders)
    first_tech = world.techs_of[world.teams[0]["id"]][0]
    described = {
        "orders": n_orders,
        "events": n_events,
        "users": {
            k: {f: v[f] for f in ("id", "username", "role", "org_id")} for k, v in users.items()
        },
        "tech": list(first_tech[:5]),
        "team": world.teams[0],
        "site": list(site_rows[0]),
    }
    db["meta"].insert({"key": "bench_world", "value": json.dumps(described)}, replace=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def cached(n_orders: int = 1_000_000) -> str:
    """The path of the cached build for `n_orders`, building it first if missing."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"province-{VERSION}-{n_orders}.db")
    if not os.path.exists(path):
        started = time.perf_counter()
        partial = path + ".building"
        for leftover in (partial, partial + "-wal", partial + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        _build(partial, n_orders)
        os.replace(partial, path)
        print(f"built the province ({n_orders:,} orders) in {time.perf_counter() - started:.0f} s")
    return path


def private_copy(tmp: str, n_orders: int = 1_000_000) -> tuple[str, dict]:
    """Copy the cached build into `tmp`; return (path, world description)."""
    source = cached(n_orders)
    path = os.path.join(tmp, "province.db")
    shutil.copyfile(source, path)
    db = connect(path)
    started = time.perf_counter()
    applied = upgrade(db)  # migrations newer than the build (as a deploy would run them)
    if applied:
        print(f"migrated the copy: {', '.join(applied)} in {time.perf_counter() - started:.1f} s")
    value = db.execute("SELECT value FROM meta WHERE key = 'bench_world'").fetchone()[0]
    db.conn.close()
    return path, json.loads(value)


def median(values) -> float:
    """The median (not statistics.median: a bench script named statistics.py in bench/,
    the scripts' first import path, shadows the standard library's module)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

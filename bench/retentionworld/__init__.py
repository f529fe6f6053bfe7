"""The retention bench's data set: 100,000 customers and 12 monthly billing files.

A province of 11 cities × 4 districts × 5 teams (scoreworld's tree generator), 2,000
account managers with 50 customers each (5 % class A, 25 % B, 70 % C by handsets), and a
CSV per month for 2025-07 … 2026-06 with every customer's ARPU, usage, data, handsets,
contract end and products. Month to month figures wander a little; 1 % of customers change
handset count each month; in the last months about 4 % drop ARPU or usage by a third or more
and contracts end throughout the year, so the rules have work. The database (customers only,
no billing yet) and the CSVs are cached in bench/out/ (git-ignored) by VERSION: bump it on any
change to the generator.
"""

import os
import random
import time

from scoreworld import Gen

from server.customers.model import compute_class
from server.db import connect
from server.migrations import upgrade

VERSION = "r1"
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out")
N_AM, PER_AM = 2_000, 50
MONTHS = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
PRODUCTS = ("VOICE", "DATA", "LINE", "BROADBAND", "CLOUD", "IOT")
HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\r\n"


def _customers(gen: Gen, ams: list[dict]) -> list[dict]:
    rng, rows = gen.rng, []
    for i, am in enumerate(ams):
        for k in range(PER_AM):
            r = rng.random()
            handsets = (
                rng.randrange(500, 3000)
                if r < 0.05
                else rng.randrange(100, 500)
                if r < 0.30
                else rng.randrange(10, 100)
            )
            cls = compute_class(handsets, "manufacturing")
            rows.append(
                dict(
                    id=gen.rid(),
                    code=f"BC{i:04d}{k:02d}",
                    name=f"客户{i:04d}-{k:02d}",
                    industry="manufacturing",
                    handsets=handsets,
                    top500=0,
                    computed_class=cls,
                    customer_class=cls,
                    sla_grade="standard",
                    account_manager_id=am["id"],
                    org_id=am["org_id"],
                )
            )
    gen.many("customer", rows)
    return rows


def _files(customers: list[dict], folder: str) -> None:
    rng = random.Random(12)
    state = []
    for c in customers:
        n_products = 1 if rng.random() < 0.35 else rng.randrange(2, 5)
        year = rng.choice((2025, 2026, 2027))
        state.append(
            dict(
                code=c["code"],
                arpu=round(rng.uniform(20, 80) * c["handsets"], 2),
                usage=c["handsets"] * rng.randrange(100, 600),
                data=round(c["handsets"] * rng.uniform(500, 5000), 1),
                handsets=c["handsets"],
                end=f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                products=";".join(rng.sample(PRODUCTS, n_products)),
                falls_in=rng.randrange(4, 12) if rng.random() < 0.04 else None,
            )
        )
    for index, month in enumerate(MONTHS):
        lines = [HEADER]
        for s in state:
            if index and rng.random() < 0.01:
                s["handsets"] = max(1, s["handsets"] + rng.randrange(-20, 40))
            wobble = rng.uniform(0.93, 1.07)
            arpu, usage = s["arpu"] * wobble, int(s["usage"] * rng.uniform(0.93, 1.07))
            if s["falls_in"] is not None and index >= s["falls_in"]:
                arpu, usage = arpu * 0.6, int(usage * 0.55)
            lines.append(
                f"{s['code']},{arpu:.2f},{usage},{s['data'] * wobble:.1f},{s['handsets']},"
                f"{s['end']},{s['products']}\r\n"
            )
        with open(os.path.join(folder, f"{month}.csv"), "w", encoding="utf-8") as fh:
            fh.write("\ufeff" + "".join(lines))


def cached() -> tuple[str, str]:
    """(database path, folder of the monthly CSVs), built first when missing."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"retention-{VERSION}.db")
    folder = os.path.join(OUT, f"retention-{VERSION}-csv")
    if os.path.exists(path) and os.path.isdir(folder):
        return path, folder
    started, partial = time.perf_counter(), path + ".building"
    for stale in (partial, path):
        if os.path.exists(stale):
            os.remove(stale)
    db = connect(partial)
    upgrade(db)
    db.execute("PRAGMA synchronous = OFF")
    gen = Gen(db)
    with db.atomic():
        teams, _contractors = gen.tree()
        ams = gen.users("account_manager", N_AM, teams)
        customers = _customers(gen, ams)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    os.makedirs(folder + ".building", exist_ok=True)
    _files(customers, folder + ".building")
    if os.path.isdir(folder):
        import shutil

        shutil.rmtree(folder)
    os.replace(folder + ".building", folder)
    os.replace(partial, path)
    print(f"built the data set in {time.perf_counter() - started:.0f} s")
    return path, folder

"""Inspection plan run benchmark (issue 4): a month of plans over the province's sites.

Run: .venv/bin/python bench/plan_run.py [orders] (default 1,000,000). Ends with one line of
JSON. On a private copy of the cached province build (bench/province: 20,000 sites of three
types with inspection cycles of 30, 90 or 180 days, and a year of orders), 33 plans cover
the province: one per city and site type, starting on staggered days of January and
February 2026 (plan i on 1 January + 5·i mod 60 days), each order going to the site's own
contractor. Then server.inspections.plans.run_plans runs, as
`flask --app server plans run` would:

1. the month in one run: today 1 June 2026 with horizon_days=29 (every cycle period that
   overlaps 1–30 June gets its order);
2. the same run again (idempotent: everything exists, nothing is created);
3. a daily run on each day of June (horizon 0), as a nightly job would: all existing.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import province  # noqa: E402

from server.db import connect  # noqa: E402
from server.inspections import plans  # noqa: E402
from server.sites.model import SITE_TYPES  # noqa: E402

MONTH = date(2026, 6, 1)
DAYS = 30


def make_plans(db, admin_id: str) -> int:
    """One plan per city and site type, orders to each site's contractor."""
    cities = db.execute("SELECT id, code FROM org WHERE kind = 'city' ORDER BY code").fetchall()
    for n, (city, site_type) in enumerate((c, t) for c in cities for t in SITE_TYPES):
        plans.create_plan(
            db,
            admin_id,
            name=f"{city['code']} {site_type} inspection",
            org_id=city["id"],
            site_type=site_type,
            assigned_org_id=None,
            start_date=(date(2026, 1, 1) + timedelta(days=5 * n % 60)).isoformat(),
        )
    return len(cities) * len(SITE_TYPES)


def timed_run(db, admin_id: str, today: date, horizon: int) -> tuple[dict, float]:
    started = time.perf_counter()
    totals = plans.run_plans(db, admin_id, today, horizon_days=horizon)
    return totals, time.perf_counter() - started


def main() -> None:
    n_orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    tmp = tempfile.mkdtemp(prefix="fieldbook-plans-")
    try:
        path, world = province.private_copy(tmp, n_orders)
        db = connect(path)
        admin_id = world["users"]["admin"]["id"]
        n_plans = make_plans(db, admin_id)
        cycles = dict(
            db.execute("SELECT inspection_cycle_days, count(*) FROM site GROUP BY 1").fetchall()
        )
        print(f"{n_plans} plans over 20,000 sites (sites by cycle in days: {cycles})")
        first, first_s = timed_run(db, admin_id, MONTH, DAYS - 1)
        print(
            f"month in one run (horizon {DAYS - 1} days): {first['created']:,} created,"
            f" {first['existing']:,} existing in {first_s:.1f} s"
            f" ({first['created'] / first_s:,.0f} orders/s)"
        )
        again, again_s = timed_run(db, admin_id, MONTH, DAYS - 1)
        print(
            f"same run again: {again['created']:,} created, {again['existing']:,} existing"
            f" in {again_s:.1f} s"
        )
        assert again["created"] == 0, again
        daily_s, daily_created = [], 0
        for day in range(DAYS):
            totals, seconds = timed_run(db, admin_id, MONTH + timedelta(days=day), 0)
            daily_s.append(seconds)
            daily_created += totals["created"]
        print(
            f"daily runs on each of {DAYS} days: {daily_created} created, median"
            f" {sorted(daily_s)[DAYS // 2]:.2f} s a day, {sum(daily_s):.1f} s in all"
        )
        print(
            json.dumps(
                {
                    "plan_run_month_s": round(first_s, 2),
                    "plan_run_month_created": first["created"],
                    "plan_run_month_existing": first["existing"],
                    "plan_run_repeat_s": round(again_s, 2),
                    "plan_run_repeat_created": again["created"],
                    "plan_run_repeat_existing": again["existing"],
                    "plan_run_daily_median_s": round(sorted(daily_s)[DAYS // 2], 2),
                    "plan_run_daily_created": daily_created,
                    "plans": n_plans,
                    "orders": n_orders,
                }
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

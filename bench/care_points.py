"""Customer points and the care calendar at province scale.

A generated province (no cache needed: built in about half a minute on a temporary file):
100,000 customers of 500 account managers (200 each), 3 contacts per customer (birthday
and a key date spread over the year; 300,000 contacts), founding days for half the
customers, 12 months of billing figures (1.2 M billing_month rows, as the billing import
leaves them), the bundled public holidays.

Measured in a fresh process (so its peak memory is the work's):
- points earned for the 12 months the first time (`earn_month`, 1.2 M ledger rows), again
  with nothing changed (nothing appended), and one month re-imported with every spend
  changed (100,000 corrections);
- the week-ahead care list of 100 account managers (`calendar.week_ahead`), median and max.

Ends with one JSON line: {"points_earn_12m_s", "points_earn_rerun_12m_s",
"points_earn_changed_month_s", "care_week_ahead_median_ms", "care_week_ahead_max_ms",
"peak_rss_mb", "cpu_s"}. cpu_s is the measuring process's CPU time (the steadier figure on
a busy machine).
"""

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from server.db import connect  # noqa: E402
from server.migrations import upgrade  # noqa: E402

CUSTOMERS = 100_000
MANAGERS = 500
CONTACTS_PER_CUSTOMER = 3
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
TODAY = date(2026, 9, 20)  # a week with 中秋节 (25 September) in it
AT = "2026-01-01T00:00:00Z"


def build(path: str) -> None:
    rnd = random.Random(8)
    db = connect(path)
    upgrade(db)
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO org (id, code, name, kind, path, depth, created_at, updated_at)"
        " VALUES ('org-p', 'P', '省公司', 'province', 'org-p/', 0, ?, ?)",
        [AT, AT],
    )
    db.conn.executemany(
        "INSERT INTO app_user (id, username, display_name, role, org_id, password_hash,"
        " created_at, updated_at) VALUES (?, ?, ?, 'account_manager', 'org-p', 'x', ?, ?)",
        [(f"am-{i:04d}", f"am{i}", f"客户经理{i}", AT, AT) for i in range(MANAGERS)],
    )
    start = date(1950, 1, 1)

    def day(years: int) -> str:
        return (start + timedelta(days=rnd.randrange(365 * years))).isoformat()

    db.conn.executemany(
        "INSERT INTO customer (id, code, name, computed_class, customer_class, sla_grade,"
        " org_id, account_manager_id, founded_on, created_at, updated_at)"
        " VALUES (?, ?, ?, 'C', 'C', 'standard', 'org-p', ?, ?, ?, ?)",
        [
            (
                f"cu-{i:06d}",
                f"C{i:06d}",
                f"客户{i}",
                f"am-{i % MANAGERS:04d}",
                day(70) if i % 2 else None,
                AT,
                AT,
            )
            for i in range(CUSTOMERS)
        ],
    )
    db.conn.executemany(
        "INSERT INTO contact (id, customer_id, name, birthday, key_dates, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"co-{i:06d}-{k}",
                f"cu-{i:06d}",
                f"联系人{i}-{k}",
                day(50),
                json.dumps([{"label": "签约纪念日", "date": day(75)}], ensure_ascii=False),
                AT,
                AT,
            )
            for i in range(CUSTOMERS)
            for k in range(CONTACTS_PER_CUSTOMER)
        ],
    )
    for month in MONTHS:
        db.conn.executemany(
            "INSERT INTO billing_month (customer_id, month, arpu, usage_minutes, data_mb,"
            " handsets, contract_end, products) VALUES (?, ?, ?, 1000, 100.0, 20, NULL,"
            " '[\"VOICE\"]')",
            [(f"cu-{i:06d}", month, round(rnd.uniform(50, 20000), 2)) for i in range(CUSTOMERS)],
        )
    db.execute("COMMIT")
    db.conn.close()


def peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(path: str) -> None:
    from server.care import calendar
    from server.points import ledger

    db = connect(path)
    t = time.monotonic()
    first = [ledger.earn_month(db, month)["entries"] for month in MONTHS]
    earn = time.monotonic() - t
    t = time.monotonic()
    again = [ledger.earn_month(db, month)["entries"] for month in MONTHS]
    rerun = time.monotonic() - t
    db.execute("UPDATE billing_month SET arpu = arpu + 10 WHERE month = '2026-06'")
    t = time.monotonic()
    changed = ledger.earn_month(db, "2026-06")
    changed_s = time.monotonic() - t
    timings, items = [], 0
    for i in range(0, MANAGERS, MANAGERS // 100):
        t = time.monotonic()
        items += len(calendar.week_ahead(db, f"am-{i:04d}", TODAY))
        timings.append(time.monotonic() - t)
    rows = db.execute("SELECT count(*) FROM points_entry").fetchone()[0]
    db.conn.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            dict(
                earn=earn,
                first=sum(first),
                rerun=rerun,
                again=sum(again),
                changed=changed_s,
                corrections=changed["corrected"],
                ledger_rows=rows,
                week=sorted(timings),
                items=items,
                mb=peak_mb(),
                cpu=usage.ru_utime + usage.ru_stime,
            )
        )
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        return measure(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="fieldbook-care-points-")
    try:
        path = os.path.join(tmp, "care.db")
        t = time.monotonic()
        build(path)
        print(f"built the data set in {time.monotonic() - t:.1f} s")
        out = subprocess.run(
            [sys.executable, __file__, "--measure", path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    found = json.loads(out.splitlines()[-1])
    week = found["week"]
    median = week[len(week) // 2]
    print(f"customers {CUSTOMERS:,}, account managers {MANAGERS}, billing rows {CUSTOMERS * 12:,}")
    print(f"points earned, 12 months: {found['earn']:.1f} s ({found['first']:,} ledger rows)")
    print(f"again with nothing changed: {found['rerun']:.1f} s ({found['again']} rows appended)")
    print(
        f"one month re-imported, every spend changed: {found['changed']:.1f} s"
        f" ({found['corrections']:,} corrections; ledger now {found['ledger_rows']:,} rows)"
    )
    print(
        f"week-ahead care list of {len(week)} account managers ({found['items']:,} items):"
        f" median {median * 1000:.1f} ms, max {week[-1] * 1000:.1f} ms"
    )
    print(f"peak RSS {found['mb']:.0f} MB; CPU time {found['cpu']:.1f} s")
    print(
        json.dumps(
            {
                "points_earn_12m_s": round(found["earn"], 2),
                "points_earn_rerun_12m_s": round(found["rerun"], 2),
                "points_earn_changed_month_s": round(found["changed"], 2),
                "care_week_ahead_median_ms": round(median * 1000, 1),
                "care_week_ahead_max_ms": round(week[-1] * 1000, 1),
                "peak_rss_mb": round(found["mb"], 1),
                "cpu_s": round(found["cpu"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Statistics page benchmark (issue 5): the page's p95 at 10,000 staff over 1,000,000 records.

Run: .venv/bin/python bench/statistics_page.py. Works on a private copy of the cached build of
bench/statsworld (10,199 staff, 44,000 customers, 500,000 visits and 500,000 work orders
over a year, ~1.6 M checklist answers; built once, ~2 min, cached in bench/out/), migrated
and ANALYZEd. Times the whole statistics page (four charts: SQL, SVG, tables, template)
through the real view with the Flask test client, signed in as a city supervisor and as
an admin, for several filter sets; prints each chart query's plan. Ends with one JSON line.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import statsworld  # noqa: E402

from server import create_app  # noqa: E402
from server.db import connect  # noqa: E402
from server.scope import Caller  # noqa: E402
from server.statistics import queries  # noqa: E402
from server.statistics.filters import validate  # noqa: E402
from server.times import LOCAL_ZONE_NAME  # noqa: E402

RUNS = 20
MONTH = {"month": "2026-05"}


def filter_sets(described: dict) -> dict:
    """The filter sets timed for each user (the aim covers these)."""
    return {
        "month": MONTH,
        "quarter, gold": {"from": "2026-03-01", "to": "2026-05-31", "sla_grade": "gold"},
        "month, fault repair": {**MONTH, "wo_type": "fault_repair"},
        "month, class A, one district": {
            **MONTH,
            "customer_class": "A",
            "org": described["district"],
        },
    }


def _median(values: list[float]) -> float:
    # Not statistics.median: this script is itself named statistics and shadows the module.
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def timed(call, runs=RUNS) -> tuple[float, float, float]:
    """(median, p95, median CPU) in ms: wall time, and this process's CPU time (the request
    runs in-process, so CPU time is the server's work without waiting for a busy machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    cpu.sort()
    p95 = wall[max(0, int(len(wall) * 0.95) - 1)]
    return round(_median(wall), 1), round(p95, 1), round(_median(cpu), 1)


def signed_in(app, user: dict):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user['id']}:1"
        session["_fresh"] = True
    return client


def get(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert b'data-chart="inspections"' in response.data


def plans(db, caller: Caller, args: dict) -> None:
    """Print the plan of each chart's query for one filter set."""
    now = statsworld.NOW
    clean, _errors = validate(db, args, ("1", []), LOCAL_ZONE_NAME, now)
    sqls = {
        "visits": ("SELECT 1 FROM visit v WHERE {}", queries.visit_where(caller, clean)),
        "orders": ("SELECT 1 FROM work_order wo WHERE {}", queries.order_where(caller, clean)),
    }
    for name, (template, (where, params)) in sqls.items():
        plan = db.execute("EXPLAIN QUERY PLAN " + template.format(where), params).fetchall()
        print(f"   plan {name}: " + " | ".join(r[3] for r in plan))
    where, params = queries.order_where(caller, clean)
    sql = queries.FAILURES_SQL.format(where=where)
    plan = db.execute("EXPLAIN QUERY PLAN " + sql, [*params, 10]).fetchall()
    print("   plan failures: " + " | ".join(r[3] for r in plan))


def bench_user(app, db, described: dict, who: str, figures: dict) -> list[tuple]:
    """Time every filter set for one user; return their (p95, median) pairs."""
    user = dict(
        db.execute(
            "SELECT * FROM app_user WHERE username = ?", [described["users"][who]]
        ).fetchone()
    )
    org = db["org"].get(user["org_id"])
    caller = Caller(user["id"], user["role"], user["org_id"], org["path"], org["kind"])
    client = signed_in(app, user)
    out = []
    for name, args in filter_sets(described).items():
        url = "/statistics/?" + urlencode(args)
        get(client, url)  # warm
        median, p95, cpu = timed(lambda u=url, c=client: get(c, u))
        figures[f"{who}: {name}"] = {"median_ms": median, "p95_ms": p95, "cpu_median_ms": cpu}
        out.append((p95, median, cpu))
        print(
            f"{who:8} {name:32} page median {median:7.1f} ms  p95 {p95:7.1f} ms  cpu {cpu:6.1f} ms"
        )
    plans(db, caller, MONTH)
    extras = {
        "sla.csv, month": ("/statistics/sla.csv?" + urlencode(MONTH), RUNS),
        "whole year, outside the aim": (
            "/statistics/?" + urlencode({"from": "2025-06-01", "to": "2026-05-31"}),
            5,
        ),
    }
    for name, (url, runs) in extras.items():
        median, p95, cpu = timed(lambda u=url, c=client: c.get(u), runs=runs)
        figures[f"{who}: {name}"] = {"median_ms": median, "p95_ms": p95, "cpu_median_ms": cpu}
        print(f"{who:8} {name:32} median {median:7.1f} ms  p95 {p95:7.1f} ms  cpu {cpu:6.1f} ms")
    return out


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="fieldbook-statistics-")
    try:
        path, described = statsworld.private_copy(tmp)
        db = connect(path)
        db.execute("ANALYZE")
        tables = ("app_user", "visit", "work_order", "inspection_answer")
        counts = {t: db[t].count for t in tables}
        print(f"data: {counts}")
        app = create_app({"DATABASE": path, "SECRET_KEY": "bench", "TESTING": True})
        figures, worst = {}, []
        for who in ("sup_city", "admin"):
            worst += bench_user(app, db, described, who, figures)
        summary = {
            "statistics_page_p95_ms": max(worst)[0],
            "statistics_page_median_ms": max(w[1] for w in worst),
            "statistics_page_cpu_median_ms": max(w[2] for w in worst),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "aim_ms": 200,
            "staff": counts["app_user"],
            "records": counts["visit"] + counts["work_order"],
            "inspection_answers": counts["inspection_answer"],
            "pages": figures,
        }
        print(json.dumps(summary, ensure_ascii=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

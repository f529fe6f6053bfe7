"""Dispatch board benchmark (issue 4): board pages on a province-scale data set.

Run: .venv/bin/python bench/dispatch_board.py [orders] (default 1,000,000). Ends with one line
of JSON. Works on a private copy of the cached province build (bench/province: the server's
migrations and connection settings, 1 province, 11 cities, 44 districts, 176 teams, 22
contractors, 2,000 technicians, 20,000 sites, the orders written by plain executemany),
ANALYZEd, then times board pages through the real views (test client, signed in) and
prints each query's plan.
"""

import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import province  # noqa: E402

from server import create_app, times  # noqa: E402
from server.db import connect  # noqa: E402
from server.scope import Caller  # noqa: E402
from server.work_orders import board, views  # noqa: E402

NOW = province.NOW
RUNS = 40


def timed(call) -> tuple[float, float]:
    """(median, p95) in ms of RUNS calls."""
    out = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    out.sort()
    return round(province.median(out), 1), round(out[int(len(out) * 0.95) - 1], 1)


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)


def main() -> None:
    n_orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    tmp = tempfile.mkdtemp(prefix="fieldbook-board-")
    try:
        path, world = province.private_copy(tmp, n_orders)
        db = connect(path)
        db.execute("ANALYZE")
        app = create_app({"DATABASE": path, "SECRET_KEY": "bench", "TESTING": True})
        app.config["WTF_CSRF_ENABLED"] = False
        now = times.to_stored(NOW)
        # The views read the clock: pin it to the data set's NOW, as the query timings are.
        # (On the real clock, months after the data, "due within 120 min" finds nothing and
        # walks every running order: a page the data never meant to show.)
        views.now_utc = lambda: now
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
                db,
                caller,
                {k: v for k, v in args.items() if k != "page"},
                now,
                times.LOCAL_ZONE_NAME,
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
        print(json.dumps(summary(figures) | {"dispatch_board_ms": figures, "orders": n_orders}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summary(figures: dict) -> dict:
    """The worst whole-page figures: of the first pages, and of the filtered pages."""
    first = [f for name, f in figures.items() if name.startswith("first page")]
    filtered = [f for name, f in figures.items() if not name.startswith("first page")]
    out = {}
    for key, group in (("board_first_page", first), ("board_filtered", filtered)):
        out[f"{key}_median_ms"] = max(f["page_median_ms"] for f in group)
        out[f"{key}_p95_ms"] = max(f["page_p95_ms"] for f in group)
    return out


def _org_of(db, user):
    org = db["org"].get(user["org_id"])
    return org["path"], org["kind"]


if __name__ == "__main__":
    main()

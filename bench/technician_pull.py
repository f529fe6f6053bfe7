"""Technician first-pull benchmark (issue 4): a new device's whole working set, over HTTP.

Run: .venv/bin/python bench/technician_pull.py [orders] (default 1,000,000). Ends with one
line of JSON. On a private copy of the cached province build (bench/province, not
ANALYZEd, like a server that never ran ANALYZE), the real app is served in-process on
loopback (tests/live.LiveServer); for each of ten technicians of typical load (five
in-house, five at contractors: those whose number of orders in scope is nearest their
group's median) a client signs in through POST /api/auth/token and pulls from an empty
cursor through POST /api/sync/pull with Accept-Encoding: gzip, page after page at the
default limit until has_more is false. Time runs from sending the first page's request to
the last byte of the last page. p95 over ten is the nearest rank, i.e. the slowest.
"""

import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import province  # noqa: E402
from syncbench.device import Http  # noqa: E402

from server import create_app  # noqa: E402
from server.db import connect  # noqa: E402
from tests import factories  # noqa: E402
from tests.live import LiveServer  # noqa: E402

PER_GROUP = 5


def typical(db) -> list[dict]:
    """Five in-house and five contractor technicians whose load is nearest their median."""
    found = db.execute(
        "SELECT u.id, u.username, o.kind, o.code,"
        " (SELECT count(*) FROM work_order w WHERE w.assignee_id = u.id) AS orders,"
        " (SELECT count(*) FROM work_order w WHERE w.assignee_id = u.id"
        "  AND w.status NOT IN ('closed', 'cancelled')) AS open_orders"
        " FROM app_user u JOIN org o ON o.id = u.org_id WHERE u.role = 'technician'"
    ).fetchall()
    picked = []
    for kind in ("team", "contractor"):
        group = [dict(r) for r in found if r["kind"] == kind]
        middle = province.median(r["orders"] for r in group)
        group.sort(key=lambda r: (abs(r["orders"] - middle), r["username"]))
        picked += group[:PER_GROUP]
    return picked


def first_pull(http, epoch: str) -> dict:
    """All pages of a first pull; time, pages, bytes (gzip and not) and puts per entity."""
    body = {"client_id": str(uuid.uuid4()), "server_epoch": epoch, "cursor": None}
    pages, wire, raw, puts = 0, 0, 0, {}
    started = time.perf_counter()
    while True:
        status, data, w, r, _ = http.post("/api/sync/pull", body, accept_gzip=True)
        assert status == 200, data
        pages, wire, raw = pages + 1, wire + w, raw + r
        for change in data["changes"]:
            puts[change["entity"]] = puts.get(change["entity"], 0) + (change["op"] == "put")
        body["cursor"] = data["cursor"]
        if not data["has_more"]:
            break
    seconds = time.perf_counter() - started
    return dict(seconds=seconds, pages=pages, wire=wire, raw=raw, puts=puts)


def sign_in(port: int, username: str) -> Http:
    http = Http(port)
    creds = {"username": username, "password": factories.PASSWORD, "device_name": "bench"}
    status, data, *_ = http.post("/api/auth/token", creds)
    assert status == 200, data
    http.token = data["access_token"]
    return http


def report(tech: dict, pull: dict) -> None:
    puts = ", ".join(f"{n} {e}" for e, n in pull["puts"].items() if n)
    print(
        f"{tech['username']} ({tech['kind']} {tech['code']}, {tech['orders']} orders assigned,"
        f" {tech['open_orders']} open): {pull['seconds']:.3f} s, {pull['pages']} pages,"
        f" {pull['wire']:,} bytes gzip / {pull['raw']:,} uncompressed; {puts}"
    )


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(pulls: list[dict], n_orders: int) -> dict:
    seconds = [p["seconds"] for p in pulls]
    rows = [sum(p["puts"].values()) for p in pulls]
    out = {
        "technician_first_pull_median_s": round(province.median(seconds), 3),
        "technician_first_pull_p95_s": round(nearest_rank(seconds, 0.95), 3),
        "technician_first_pull_gzip_bytes": int(province.median(p["wire"] for p in pulls)),
        "technician_first_pull_gzip_bytes_max": max(p["wire"] for p in pulls),
        "technician_first_pull_uncompressed_bytes": int(province.median(p["raw"] for p in pulls)),
        "technician_first_pull_rows": int(province.median(rows)),
        "technician_first_pull_rows_max": max(rows),
        "technicians": len(pulls),
        "orders": n_orders,
    }
    for entity in pulls[0]["puts"]:
        counts = [p["puts"].get(entity, 0) for p in pulls]
        out[f"technician_first_pull_{entity}_rows"] = int(province.median(counts))
    return out


def main() -> None:
    n_orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="fieldbook-pull-")
    try:
        path, _world = province.private_copy(tmp, n_orders)
        db = connect(path)
        epoch = db.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()[0]
        techs = typical(db)
        config = {"DATABASE": path, "BLOB_DIR": os.path.join(tmp, "blobs"), "SECRET_KEY": "b"}
        server = LiveServer(create_app(config | {"SESSION_COOKIE_SECURE": False})).start()
        pulls = []
        try:
            for tech in techs:
                pulls.append(first_pull(sign_in(server.port, tech["username"]), epoch))
                report(tech, pulls[-1])
        finally:
            server.stop()
        figures = summary(pulls, n_orders)
        print(
            f"first pull over {len(pulls)} technicians: median"
            f" {figures['technician_first_pull_median_s']} s, p95"
            f" {figures['technician_first_pull_p95_s']} s; median"
            f" {figures['technician_first_pull_gzip_bytes']:,} bytes gzip,"
            f" {figures['technician_first_pull_rows']:,} rows"
        )
        print(json.dumps(figures))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Sync ingest benchmark (issue 3): pushes through the real HTTP endpoint against a raw
sqlite-utils insert_all of the same final rows, the cost of a replay, and a first pull.

Run: .venv/bin/python bench/sync_ingest.py (also `make bench`). Ends with one line of JSON.
Everything runs on a fresh temporary SQLite file with the server's own connection settings
(WAL, synchronous=FULL), the app served in-process on loopback by werkzeug (HTTP/1.1).
"""

import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from syncbench import world  # noqa: E402
from syncbench.device import PER_VISIT, Http, Phone  # noqa: E402

from server import create_app  # noqa: E402
from tests import factories  # noqa: E402
from tests.live import LiveServer  # noqa: E402

BATCHES = {50: 20, 200: 10, 1000: 5}  # batch size → batches timed (1,600 visits in all)
PULL_VISITS = 2000


def raw_insert(db, tables: dict[str, list[dict]]) -> float:
    """Seconds to insert_all the rows into fresh twin tables in one transaction."""
    world.fresh_raw_tables(db, tables)
    started = time.perf_counter()
    with db.atomic():
        for table, rows in tables.items():
            db[f"{table}_raw"].insert_all(rows)
    return time.perf_counter() - started


def ingest(http, db, bodies: list[dict]) -> tuple[list[float], list[dict]]:
    """Push each batch once; return the times and the log rows each batch wrote."""
    times, logs = [], []
    for body in bodies:
        mark = world.log_marks(db)
        times.append(http.push(body, "applied")[0])
        logs.append(world.log_rows(db, mark, world.log_marks(db)))
    return times, logs


def baselines(db, bodies: list[dict], logs: list[dict], per_batch: int) -> tuple:
    """Raw insert times per batch: of the final rows, and of every row the ingest kept."""
    final_s, kept_s, rows = [], [], {}
    for body, log in zip(bodies, logs, strict=True):
        visits, follow_ups = world.final_rows(db, body)
        assert len(visits) == len(follow_ups) == per_batch
        final = {"visit": visits, "follow_up": follow_ups}
        final_s.append(raw_insert(db, final))
        kept_s.append(raw_insert(db, final | log))
        rows = {t: len(r) for t, r in (final | log).items()}
    return final_s, kept_s, rows


def bench_size(http, db, customers, epoch, size: int, start: int) -> dict:
    """First ingest, replay and raw baselines for batches of `size`; medians over batches."""
    phone, per_batch = Phone(), size // PER_VISIT
    bodies = [
        phone.push_body(phone.visits(customers, per_batch, start + b * per_batch), epoch)
        for b in range(BATCHES[size])
    ]
    first, logs = ingest(http, db, bodies)
    replay = [http.push(body, "duplicate")[0] for body in bodies]
    final_s, kept_s, rows = baselines(db, bodies, logs, per_batch)
    t_first, t_replay, t_raw, t_kept = map(statistics.median, (first, replay, final_s, kept_s))
    final_rows = rows["visit"] + rows["follow_up"]
    return {
        "visits": per_batch * len(bodies),
        "mps": size / t_first,
        "first_s": t_first,
        "replay_s": t_replay,
        "raw_rows_per_s": final_rows / t_raw,
        "raw_mps": size / t_raw,
        "ratio": t_raw / t_first,
        "kept_rows": sum(rows.values()),
        "kept_rows_per_s": sum(rows.values()) / t_kept,
        "kept_ratio": t_kept / t_first,
        "speedup": t_first / t_replay,
        "written": {t: n / size for t, n in rows.items() if t not in ("visit", "follow_up")},
    }


def top_up(http, customers, epoch, have: int) -> None:
    """Push more visits (same mix, batches of 1000) until the manager has PULL_VISITS."""
    phone = Phone()
    while have < PULL_VISITS:
        n = min(PULL_VISITS - have, 1000 // PER_VISIT)
        http.push(phone.push_body(phone.visits(customers, n, have), epoch), "applied")
        have += n


def pull_all(http, epoch) -> dict:
    """A first pull by a new device: all pages at the default limit, gzip accepted."""
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
    return {"seconds": seconds, "pages": pages, "wire": wire, "raw": raw, "puts": puts}


def empty_push(http, epoch) -> float:
    """Median seconds of a push with no mutations: the fixed cost of one push request."""
    phone = Phone()
    return statistics.median(http.push(phone.push_body([], epoch), "-")[0] for _ in range(20))


def print_push(push: dict, fixed_s: float) -> None:
    print(f"mix: {PER_VISIT} mutations per visit (check_in, update notes, add_follow_up,")
    print("     update satisfaction, check_out) -> 2 final rows (visit, follow_up)")
    print("raw mut-eq/s = mutations that produced the final rows / raw insert_all time")
    print("ratio = endpoint mut/s / raw mut-eq/s (= raw time / endpoint time, same final rows)")
    print()
    print(
        " batch   n  endpoint mut/s  first s  raw rows/s  raw mut-eq/s  ratio  replay s  speedup"
    )
    for size, r in push.items():
        print(
            f"{size:6d} {BATCHES[size]:3d} {r['mps']:15,.0f} {r['first_s']:8.4f}"
            f" {r['raw_rows_per_s']:11,.0f} {r['raw_mps']:13,.0f} {r['ratio']:6.3f}"
            f" {r['replay_s']:9.4f} {r['speedup']:8.1f}"
        )
    print("(medians over n batches; speedup = first ingest / replay of the same batch;")
    print(" aims: ratio at 1000 >= 0.333, speedup >= 5)")
    w = push[1000]["written"]
    entity = w["change_log"]  # one entity row written per change-log row
    total = entity + sum(w.values())
    print(
        f"rows written per ingested mutation: {entity:.2f} entity + "
        + " + ".join(f"{v:.2f} {k}" for k, v in w.items())
        + f" = {total:.2f}; the raw insert writes {2 / PER_VISIT:.2f}"
    )
    print("second baseline: insert_all of every row the ingest keeps (final rows plus their")
    print(f"{', '.join(w)} rows), raw time / endpoint time:")
    for size, r in push.items():
        print(
            f"  batch {size:4d}: {r['kept_rows']:5d} rows, {r['kept_rows_per_s']:9,.0f} rows/s,"
            f" ratio {r['kept_ratio']:.3f}"
        )
    print(f"fixed cost of one push request (no mutations): {fixed_s * 1000:.1f} ms")


def print_pull(pull: dict) -> None:
    puts = ", ".join(f"{v} {k}" for k, v in pull["puts"].items())
    print(f"first pull: {puts}; {pull['pages']} pages at the default limit")
    print(
        f"  {pull['seconds']:.3f} s; {pull['wire']:,} bytes gzip,"
        f" {pull['raw']:,} bytes uncompressed ({pull['raw'] / max(pull['wire'], 1):.1f}x)"
    )


def figures(push: dict, pull: dict, fixed_s: float) -> dict:
    out = {}
    for size, r in push.items():
        out[f"push_mps_batch_{size}"] = round(r["mps"], 1)
        out[f"first_ingest_s_batch_{size}"] = round(r["first_s"], 4)
        out[f"raw_insert_rows_per_s_batch_{size}"] = round(r["raw_rows_per_s"])
        out[f"raw_insert_mutation_equiv_per_s_batch_{size}"] = round(r["raw_mps"])
        out[f"ingest_ratio_batch_{size}"] = round(r["ratio"], 4)
        out[f"ingest_ratio_all_kept_rows_batch_{size}"] = round(r["kept_ratio"], 4)
        out[f"replay_s_batch_{size}"] = round(r["replay_s"], 4)
        out[f"replay_speedup_batch_{size}"] = round(r["speedup"], 1)
    out["raw_insert_rows_per_s"] = out["raw_insert_rows_per_s_batch_1000"]
    out["ingest_rows_written_per_mutation"] = round(
        sum(push[1000]["written"].values()) + push[1000]["written"]["change_log"], 2
    )
    out["empty_push_s"] = round(fixed_s, 4)
    out["first_pull_s"] = round(pull["seconds"], 3)
    out["first_pull_gzip_bytes"] = pull["wire"]
    out["first_pull_uncompressed_bytes"] = pull["raw"]
    out["first_pull_pages"] = pull["pages"]
    for entity, n in pull["puts"].items():
        out[f"first_pull_{entity}_rows"] = n
    return out


def run(tmp: str) -> dict:
    path = os.path.join(tmp, "fieldbook.db")
    config = {"DATABASE": path, "BLOB_DIR": os.path.join(tmp, "blobs"), "SECRET_KEY": "bench"}
    app = create_app(config | {"SESSION_COOKIE_SECURE": False})
    db, am, customers = world.build(path)
    epoch = db.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()[0]
    server = LiveServer(app).start()
    try:
        http = Http(server.port)
        creds = {"username": am["username"], "password": factories.PASSWORD}
        status, data, *_ = http.post("/api/auth/token", creds | {"device_name": "bench"})
        assert status == 200, data
        http.token = data["access_token"]
        fixed_s = empty_push(http, epoch)
        push, made = {}, 0
        for size in BATCHES:
            push[size] = bench_size(http, db, customers, epoch, size, made)
            made += push[size]["visits"]
        top_up(http, customers, epoch, made)
        pull = pull_all(http, epoch)
    finally:
        server.stop()
    assert pull["puts"].get("visit") == PULL_VISITS, pull["puts"]
    assert pull["puts"].get("customer") == world.CUSTOMERS, pull["puts"]
    print(f"database: fresh SQLite file, {world.CUSTOMERS} customers of 1 account manager")
    print_push(push, fixed_s)
    print()
    print_pull(pull)
    return figures(push, pull, fixed_s)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    began = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="fieldbook-bench-")
    try:
        out = run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"run took {time.perf_counter() - began:.1f} s")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

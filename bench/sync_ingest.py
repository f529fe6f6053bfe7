"""Sync ingest benchmark (issues 3, 19): pushes through the real HTTP endpoint against a raw
sqlite-utils insert_all of the same final rows and against the peer a team would pick
instead (PouchDB Server's _bulk_docs, the same visits as one finished document each), the
cost of a replay, the peak memory of a 1000-mutation push, and a first pull.

Run: .venv/bin/python bench/sync_ingest.py (also `make bench`). Ends with one line of JSON.
Everything runs on a fresh temporary SQLite file with the server's own connection settings
(WAL, synchronous=FULL), the app served in-process on loopback by werkzeug (HTTP/1.1).
PouchDB Server 4.2 is installed by npm into bench/out/pouchdb on the first run and runs
beside it on a free loopback port, its LevelDOWN databases in the same temporary directory.
"""

import gc
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from syncbench import pouch, world  # noqa: E402
from syncbench.device import PER_VISIT, Http, Phone  # noqa: E402

from server import create_app  # noqa: E402
from tests import factories  # noqa: E402
from tests.live import LiveServer  # noqa: E402

BATCHES = {50: 20, 200: 10, 1000: 5}  # batch size → batches timed (1,600 visits in all)
PULL_VISITS = 2000
POUCH_DB = "visits"


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


def same_values(db, body: dict, docs: list[dict]) -> None:
    """The documents hold what the push left in Fieldbook's rows (same text, same sizes)."""
    visits, follow_ups = world.final_rows(db, body)
    rows = {v["id"]: v for v in visits}
    ups = {f["id"]: f for f in follow_ups}
    assert len(rows) == len(docs) and len(ups) == sum(len(d["follow_ups"]) for d in docs)
    for doc in docs:
        row = rows[doc["_id"]]
        for key in ("customer_id", "status", "purpose", "notes", "feedback", "satisfaction"):
            assert row[key] == doc[key], (key, row[key], doc[key])
        for key in ("check_in_lat", "check_in_lon", "check_out_lat", "check_out_lon"):
            assert row[key] == doc[key], (key, row[key], doc[key])
        assert json.loads(row["contacts_met"]) == doc["contacts_met"]
        for up in doc["follow_ups"]:
            assert (ups[up["id"]]["action"], ups[up["id"]]["due_date"]) == (
                up["action"],
                up["due_date"],
            )


def pouch_ingest(http, docs_batches: list[list[dict]]) -> dict:
    """POST each batch's documents to _bulk_docs once; every doc must come back ok."""
    times = []
    for docs in docs_batches:
        status, data, *_, seconds = http.post(f"/{POUCH_DB}/_bulk_docs", {"docs": docs})
        assert status == 201 and isinstance(data, list), (status, data)
        bad = [r for r in data if not r.get("ok") or "error" in r]
        assert not bad and len(data) == len(docs), (len(data), bad[:3])
        # pouchdb-server 4.2 answers in any order now and then (its plugins' bulk-docs
        # wrapper): match the answers by id, as its maintainers tell callers to
        assert sorted(r["id"] for r in data) == sorted(d["_id"] for d in docs)
        times.append(seconds)
    t, n = statistics.median(times), len(docs_batches[0])
    return {"docs_per_s": n / t, "s": t, "bytes": wire_bytes({"docs": docs_batches[0]}) / n}


def wire_bytes(body) -> int:
    """Bytes of a request body as the bench's client sends it (compact UTF-8 JSON)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def bench_size(http, db, phttp, customers, epoch, size: int, start: int) -> dict:
    """First ingest, replay and raw baselines for batches of `size`; medians over batches.
    Then the same visits, one finished document each, into PouchDB Server."""
    phone, per_batch = Phone(), size // PER_VISIT
    bodies = [
        phone.push_body(phone.visits(customers, per_batch, start + b * per_batch), epoch)
        for b in range(BATCHES[size])
    ]
    first, logs = ingest(http, db, bodies)
    replay = [http.push(body, "duplicate")[0] for body in bodies]
    final_s, kept_s, rows = baselines(db, bodies, logs, per_batch)
    docs = [pouch.visit_docs(body) for body in bodies]
    for body, batch in zip(bodies, docs, strict=True):
        same_values(db, body, batch)
    peer_r = pouch_ingest(phttp, docs)
    t_first, t_replay, t_raw, t_kept = map(statistics.median, (first, replay, final_s, kept_s))
    final_rows = rows["visit"] + rows["follow_up"]
    return {
        "pouch": peer_r,
        "bytes_per_visit": wire_bytes(bodies[0]) / per_batch,
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


def push_peak_mb(http, customers, epoch, start: int) -> tuple[float, float]:
    """tracemalloc peak (MiB) of the process over one push of 1000 mutations (200 visits):
    the in-process server's work plus the client's encoding of the request (also returned)."""
    phone = Phone()
    body = phone.push_body(phone.visits(customers, 1000 // PER_VISIT, start), epoch)
    sent = wire_bytes(body)
    gc.collect()
    tracemalloc.start()
    try:
        http.push(body, "applied")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 2**20, sent / 2**20


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


def print_peer(push: dict, peak: tuple[float, float]) -> None:
    print(f"the peer: PouchDB Server {pouch.VERSION} (LevelDOWN on disk), POST /db/_bulk_docs,")
    print("  the same visits as one finished document each (follow-up embedded)")
    print(
        " batch  docs  fieldbook visits/s  pouchdb docs/s  visit ratio  mutation ratio"
        "  bytes/visit fb pouch"
    )
    for size, r in push.items():
        p = r["pouch"]
        print(
            f"{size:6d} {size // PER_VISIT:5d} {r['mps'] / PER_VISIT:19,.0f}"
            f" {p['docs_per_s']:15,.0f} {r['mps'] / PER_VISIT / p['docs_per_s']:12.3f}"
            f" {r['mps'] / p['docs_per_s']:15.3f} {r['bytes_per_visit']:15,.0f}"
            f" {p['bytes']:6,.0f}"
        )
    print("(batch = mutations per Fieldbook push; docs = visits per _bulk_docs; medians over")
    print(" the same batches; visit ratio = Fieldbook visits/s / PouchDB docs/s, aims >= 0.5")
    print(" at 1000, >= 1.0 at 200 and 1000; mutation ratio = mutations/s / docs/s, >= 1.5)")
    print(
        f"peak memory over one push of 1000 mutations (tracemalloc, in-process server):"
        f" {peak[0]:.1f} MiB (the request itself is {peak[1]:.2f} MiB)"
    )


def print_pull(pull: dict) -> None:
    puts = ", ".join(f"{v} {k}" for k, v in pull["puts"].items())
    print(f"first pull: {puts}; {pull['pages']} pages at the default limit")
    print(
        f"  {pull['seconds']:.3f} s; {pull['wire']:,} bytes gzip,"
        f" {pull['raw']:,} bytes uncompressed ({pull['raw'] / max(pull['wire'], 1):.1f}x)"
    )


def figures(push: dict, pull: dict, fixed_s: float, peak: tuple[float, float]) -> dict:
    out = {}
    for size, r in push.items():
        visits, docs = r["mps"] / PER_VISIT, r["pouch"]["docs_per_s"]
        out[f"visits_per_s_batch_{size}"] = round(visits, 1)
        out[f"pouchdb_docs_per_s_batch_{size}"] = round(docs, 1)
        out[f"visit_ratio_vs_pouchdb_batch_{size}"] = round(visits / docs, 4)
        out[f"mutation_ratio_vs_pouchdb_batch_{size}"] = round(r["mps"] / docs, 4)
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
    out["push_1000_mutations_peak_mb"] = round(peak[0], 1)
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
    pouch.install()
    peer = pouch.PouchServer(tmp)
    server = None
    try:
        peer.start()
        peer.create_db(POUCH_DB)
        phttp = Http(peer.port)
        server = LiveServer(app).start()
        http = Http(server.port)
        creds = {"username": am["username"], "password": factories.PASSWORD}
        status, data, *_ = http.post("/api/auth/token", creds | {"device_name": "bench"})
        assert status == 200, data
        http.token = data["access_token"]
        fixed_s = empty_push(http, epoch)
        push, made = {}, 0
        for size in BATCHES:
            push[size] = bench_size(http, db, phttp, customers, epoch, size, made)
            made += push[size]["visits"]
        posted = sum(r["visits"] for r in push.values())
        assert peer.doc_count(POUCH_DB) == posted, (peer.doc_count(POUCH_DB), posted)
        peak = push_peak_mb(http, customers, epoch, made)
        made += 1000 // PER_VISIT
        top_up(http, customers, epoch, made)
        pull = pull_all(http, epoch)
    finally:
        if server is not None:
            server.stop()
        peer.stop()
    assert pull["puts"].get("visit") == PULL_VISITS, pull["puts"]
    assert pull["puts"].get("customer") == world.CUSTOMERS, pull["puts"]
    print(f"database: fresh SQLite file, {world.CUSTOMERS} customers of 1 account manager")
    print_push(push, fixed_s)
    print()
    print_peer(push, peak)
    print()
    print_pull(pull)
    return figures(push, pull, fixed_s, peak)


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

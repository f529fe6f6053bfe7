"""Concurrent devices pushing through the real HTTP server (issue 12): nothing lost, nothing
doubled, no 5xx.

Run: .venv/bin/python bench/sync_concurrency.py [--server dev|gunicorn] [--threads 8,32]
[--seconds 20] (also `make bench`). Ends with one line of JSON.

For each N, N device threads, each its own account manager, device token (signed in
through POST /api/auth/token) and client id, pull once and then push flat out for
--seconds: each batch is 1–3 visits as the field app records them (check_in, update notes,
add_follow_up, update satisfaction, check_out). A device behaves as docs/sync-protocol.md
says: on `stopped` it waits retry_after (capped) and pushes from stopped.id, on 503 it waits
Retry-After, on another 5xx or a dropped connection it resends the same batch. After the
run each thread finishes its outbox, and the database is counted against what each was told.
"""

import os
import sqlite3
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadbench import cli, serve, world  # noqa: E402
from loadbench.client import Http, percentile  # noqa: E402
from loadbench.device import PULL, PUSH, SIGNIN, Device, Fatal  # noqa: E402
from loadbench.lockholder import LockHolder  # noqa: E402
from loadbench.stats import Tally  # noqa: E402

DRAIN_S = 60  # how long a device may take to empty its outbox after the run


def device_thread(dev: Device, start: threading.Barrier, until: list, out: dict) -> None:
    """Sign in, pull, wait for the others, push batches until the run ends, then drain."""
    batches = out.setdefault("batch_s", [])
    try:
        dev.sign_in(time.monotonic() + DRAIN_S)
        dev.pull(time.monotonic() + DRAIN_S)
    except Fatal as exc:
        out.setdefault("errors", []).append(str(exc))
        start.abort()
        return
    try:
        start.wait()
    except threading.BrokenBarrierError:
        return
    try:
        while time.monotonic() < until[0]:
            dev.record_visits(dev.rng.randint(1, 3))
            began = time.perf_counter()
            while dev.outbox and time.monotonic() < until[0] + DRAIN_S:
                wait = dev.push_once()
                if wait:
                    time.sleep(wait)
            batches.append(time.perf_counter() - began)
    except Fatal as exc:
        out.setdefault("errors", []).append(str(exc))
    out.setdefault("done_at", []).append(time.monotonic())


def run_n(port: int, n: int, managers: list, customers: dict, seconds: float, hold) -> dict:
    tally, out = Tally(), {}
    devices = [
        Device(Http(port), am, customers[am["id"]], tally, seed=i) for i, am in enumerate(managers)
    ]
    start, until = threading.Barrier(n + 1), [0.0]
    threads = [
        threading.Thread(target=device_thread, args=(d, start, until, out), daemon=True)
        for d in devices
    ]
    for t in threads:
        t.start()
    until[0] = time.monotonic() + seconds + DRAIN_S  # if the barrier breaks
    start.wait(timeout=DRAIN_S * 2)
    began = time.monotonic()
    until[0] = began + seconds
    with hold as holder:
        for t in threads:
            t.join(timeout=seconds + DRAIN_S * 2)
    out["lock_holds"] = holder.holds
    elapsed = max(out.get("done_at", [time.monotonic()])) - began
    for d in devices:
        d.http.close()
    return {"tally": tally, "devices": devices, "elapsed": elapsed, **out}


def check(db_path: str, devices: list) -> dict:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        found = [d.check(db) for d in devices]
    finally:
        db.close()
    return {k: sum(f[k] for f in found) for k in ("lost", "duplicated", "unacknowledged")}


def figures(n: int, r: dict, counted: dict, log: dict) -> dict:
    t, devices = r["tally"], r["devices"]
    applied = sum(1 for d in devices for s, _m in d.acked.values() if s == "applied")
    acked = sum(len(d.acked) for d in devices)
    push = t.summary(PUSH)
    return {
        "threads": n,
        "seconds": round(r["elapsed"], 1),
        "pushes": push["requests"],
        "5xx": push["5xx"] + t.summary(SIGNIN)["5xx"] + t.summary(PULL)["5xx"],
        "push_5xx": push["5xx"],
        "push_503": push["503"],
        "push_5xx_not_503": push["5xx"] - push["503"],
        "busy": push.get("busy", 0) + push["503"],
        "stopped_answers": push.get("busy", 0),
        "busy_503_without_retry_after": r["no_retry_after"],
        "dropped": push["dropped"],
        "mutations_acked": acked,
        "mutations_applied": applied,
        "mutations_rejected": push.get("mutations_rejected", 0),
        "mutations_per_s": round(acked / r["elapsed"], 1) if r["elapsed"] else 0,
        "push_p50_ms": push["p50_ms"],
        "push_p95_ms": push["p95_ms"],
        "batch_ack_p95_ms": round(percentile(r.get("batch_s", []), 95) * 1000, 1),
        "signin_5xx": t.summary(SIGNIN)["5xx"],
        "pull_5xx": t.summary(PULL)["5xx"],
        "device_errors": len(r.get("errors", [])),
        "lock_holds": r["lock_holds"],
        "server_log_tracebacks": log["tracebacks"],
        "server_log_locked": log["locked"],
        "server_error_origins": log["origins"],
        **counted,
        "statuses": push["statuses"],
        "errors": r.get("errors", [])[:3],
    }


def print_row(f: dict) -> None:
    print(
        f"{f['threads']:7d} {f['seconds']:6.1f} {f['pushes']:7d} {f['mutations_per_s']:8.1f}"
        f" {f['push_p50_ms']:8.1f} {f['push_p95_ms']:8.1f} {f['push_5xx']:5d}"
        f" {f['busy']:5d} {f['dropped']:5d} {f['lost']:5d} {f['duplicated']:5d}"
        f" {f['signin_5xx']:7d}"
    )


def run(args, tmp: str) -> dict:
    counts = [int(x) for x in args.threads.split(",")]
    path = os.path.join(tmp, "fieldbook.db")
    w = world.build(path, sum(counts), customers_each=10)
    srv = serve.AppServer(
        args.server,
        serve.server_env(tmp, path),
        os.path.join(tmp, "server.log"),
        workers=args.workers,
        threads=args.gunicorn_threads,
        port=args.port,
    )
    results, before = [], {"tracebacks": 0, "locked": 0, "origins": {}}
    with srv:
        print(f"server: {srv.describe()} on 127.0.0.1:{srv.port}")
        print(f"{args.seconds:g} s per run, batches of 1-3 visits (5 mutations each)")
        if args.hold_lock:
            print(
                f"another writer holds the lock {args.hold_lock:g} s every {args.hold_every:g} s"
            )
        print()
        print(
            "threads      s  pushes  mut/s    p50 ms   p95 ms   5xx  busy  drop  lost  dupl"
            "  signin5xx"
        )
        used = 0
        for n in counts:
            managers, used = w["managers"][used : used + n], used + n
            hold = LockHolder(path, args.hold_lock, args.hold_every)
            seen_503s = len(Http.no_retry_after)
            r = run_n(srv.port, n, managers, w["customers"], args.seconds, hold)
            r["no_retry_after"] = len(Http.no_retry_after) - seen_503s
            now = srv.log_counts()
            log = serve.log_delta(before, now)
            before = now
            f = figures(n, r, check(path, r["devices"]), log)
            results.append(f)
            print_row(f)
    print("(busy = `stopped` answers + 503; lost = acknowledged but not in the database;")
    print(" dupl = rows, log rows or audit rows beyond what was acknowledged)")
    for f in results:
        if f["errors"]:
            print(f"threads {f['threads']}: device errors, e.g. {f['errors']}")
        if f["statuses"]:
            print(f"threads {f['threads']}: push answers by HTTP status {f['statuses']}")
        for where, count in f["server_error_origins"].items():
            print(f"threads {f['threads']}: server traceback ×{count} at {where}")
    out = {"server": args.server, "server_detail": srv.describe(), "seconds_per_run": args.seconds}
    out["hold_lock_s"] = args.hold_lock
    keep = ("threads", "statuses", "errors")
    for f in results:
        for key, value in f.items():
            if key not in keep:
                out[f"threads_{f['threads']}_{key}"] = value
    return out


def main() -> None:
    parser = cli.parser(__doc__, hold_every=12)
    parser.add_argument("--threads", default="8,32", help="device thread counts, e.g. 8,32")
    parser.add_argument("--seconds", type=float, default=20, help="push phase per count")
    cli.run_and_report(run, parser.parse_args(), _must_be_zero)


def _must_be_zero(out: dict) -> list[str]:
    ends = ("_5xx_not_503", "_lost", "_duplicated", "_without_retry_after")
    return [k for k, v in out.items() if k.endswith(ends) and v]


if __name__ == "__main__":
    main()

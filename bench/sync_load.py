"""Sync load with sign-ins, refreshes and web form writes at the same time (issue 12).

Run: .venv/bin/python bench/sync_load.py [--server dev|gunicorn] [--seconds 60] [--rate 50]
(also `make bench`). Ends with one line of JSON.

Pushes arrive at a fixed rate (--rate per second for --seconds, from a bounded pool of
device threads; each push is the device's outbox: a new visit of five mutations, or what a
busy or failed push left). At the same time, each at its own steady rate: device sign-ins
(POST /api/auth/token), token refreshes (POST /api/auth/refresh, rotating) and supervisors'
web form writes (signed-in sessions posting the pages' own forms with their CSRF token: add
a contact, edit a customer, reassign and cancel a work order, approve and return a visit).
Per kind it reports requests, successes, 5xx, 503, p50/p95, and afterwards counts the
database against what the devices were told (lost, duplicated).
"""

import itertools
import os
import sqlite3
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadbench import cli, serve, world  # noqa: E402
from loadbench.client import Dropped, Http  # noqa: E402
from loadbench.device import PUSH, Device, Fatal  # noqa: E402
from loadbench.lockholder import LockHolder  # noqa: E402
from loadbench.stats import Tally  # noqa: E402
from loadbench.web import KINDS, READ, WRITE, Supervisor, Targets  # noqa: E402

SIGNIN, REFRESH = "signin", "refresh"
LATE_S = 1.0  # a request that starts this much after its scheduled time counts as late
GRACE_S = 30.0  # a request not started this long after the load's end is skipped (bounded run)


class Pool:
    """Things one thread uses at a time (devices, sessions), each ready from a given time."""

    def __init__(self, items):
        self.cond = threading.Condition()
        self.ready = [(0.0, i, item) for i, item in enumerate(items)]

    def take(self):
        with self.cond:
            while True:
                now = time.monotonic()
                if self.ready:
                    self.ready.sort(key=lambda r: r[0])
                    if self.ready[0][0] <= now:
                        return self.ready.pop(0)[1:]
                    self.cond.wait(self.ready[0][0] - now)
                else:
                    self.cond.wait()

    def give(self, key, item, after: float = 0.0) -> None:
        with self.cond:
            self.ready.append((time.monotonic() + after, key, item))
            self.cond.notify()


def paced(rate: float, seconds: float, workers: int, job, tally: Tally, kind: str):
    """Start job(i) at a fixed rate on a bounded pool; return the pacer thread."""

    def pace():
        with ThreadPoolExecutor(workers, thread_name_prefix=kind) as pool:
            t0, total = time.monotonic(), int(rate * seconds)
            for i in range(total):
                due = t0 + i / rate
                time.sleep(max(0.0, due - time.monotonic()))
                pool.submit(timed, i, due, t0 + seconds + GRACE_S)

    def timed(i, due, give_up):
        if time.monotonic() > give_up:  # the machine cannot keep up: keep the run bounded
            tally.note(kind, "skipped")
            return
        late = time.monotonic() - due
        tally.add(f"{kind}_start_late", "ok", None, max(0.0, late))
        if late > LATE_S:
            tally.note(kind, "started_late")
        try:
            job(i)
        except Exception as exc:  # a bench bug must not hang the run: count it, go on
            tally.note(kind, "client_errors")
            print(f"{kind}: {type(exc).__name__}: {exc}", file=sys.stderr)

    thread = threading.Thread(target=pace, daemon=True)
    thread.start()
    return thread


class Load:
    def __init__(self, port: int, w: dict, args, refresh_tokens: list[str]):
        self.port, self.args, self.tally = port, args, Tally()
        self.local = threading.local()
        n_dev = args.push_threads
        self.devices = [
            Device(Http(port), am, w["customers"][am["id"]], self.tally, seed=i)
            for i, am in enumerate(w["managers"][:n_dev])
        ]
        self.signers = itertools.cycle(w["managers"])
        self.refresh = deque(refresh_tokens)
        self.refresh_lock = threading.Lock()
        self.targets = Targets(
            [c for am in w["managers"] for c in w["customers"][am["id"]]],
            w["orders"],
            w["technicians"],
        )
        self.sups = [Supervisor(port, s, self.tally, self.targets) for s in w["supervisors"]]
        self.kinds = itertools.cycle(KINDS)

    def http(self) -> Http:
        if not hasattr(self.local, "http"):
            self.local.http = Http(self.port)
        return self.local.http

    def prepare(self) -> None:
        deadline = time.monotonic() + 120
        for d in self.devices:
            d.sign_in(deadline)
            d.pull(deadline)
        for s in self.sups:
            s.sign_in()
        self.tally = Tally()  # count the load only
        for d in self.devices:
            d.tally = self.tally
        for s in self.sups:
            s.tally = self.tally
        self.device_pool = Pool(self.devices)
        self.sup_pool = Pool(self.sups)

    # --- the four kinds of request --------------------------------------------------
    def push(self, _i) -> None:
        key, dev = self.device_pool.take()
        wait = 0.0
        try:
            if not dev.outbox:
                dev.record_visits(1)
            wait = dev.push_once()
            for visit_id in dev.completed:
                self.targets.completed.append(visit_id)
            dev.completed.clear()
        except Fatal as exc:
            self.tally.note(PUSH, "device_errors")
            print(f"device {dev.user['username']}: {exc}", file=sys.stderr)
        finally:
            self.device_pool.give(key, dev, wait)

    def signin(self, _i) -> None:
        user = next(self.signers)
        body = {"username": user["username"], "password": world.PASSWORD, "device_name": "bench"}
        try:
            ans = self.http().post_json("/api/auth/token", body)
        except Dropped:
            self.tally.add(SIGNIN, "dropped")
            return
        ok = ans.status == 200 and "access_token" in (ans.json() or {})
        self.tally.add(SIGNIN, self._outcome(ok, ans.status), ans.status, ans.seconds)
        if ok:
            with self.refresh_lock:
                self.refresh.append(ans.json()["refresh_token"])

    def refresh_one(self, _i) -> None:
        with self.refresh_lock:
            token = self.refresh.popleft() if self.refresh else None
        if token is None:
            self.tally.note(REFRESH, "no_token")
            return
        keep = token
        try:
            ans = self.http().post_json("/api/auth/refresh", {"refresh_token": token})
        except Dropped:
            self.tally.add(REFRESH, "dropped")
        else:
            ok = ans.status == 200 and "refresh_token" in (ans.json() or {})
            self.tally.add(REFRESH, self._outcome(ok, ans.status), ans.status, ans.seconds)
            keep = ans.json()["refresh_token"] if ok else (token if ans.status >= 500 else None)
        if keep:
            with self.refresh_lock:
                self.refresh.append(keep)

    def web_write(self, _i) -> None:
        key, sup = self.sup_pool.take()
        try:
            for _ in KINDS:  # the next kind that has something to act on
                if sup.act(next(self.kinds)):
                    break
        finally:
            self.sup_pool.give(key, sup)

    @staticmethod
    def _outcome(ok: bool, status: int) -> str:
        if ok:
            return "ok"
        if status == 503:
            return "busy_503"
        return "error" if status >= 500 else "refused"

    def run(self) -> float:
        a = self.args
        began = time.monotonic()
        pacers = [
            paced(a.rate, a.seconds, a.push_threads, self.push, self.tally, PUSH),
            paced(a.signin_rate, a.seconds, 4, self.signin, self.tally, SIGNIN),
            paced(a.refresh_rate, a.seconds, 4, self.refresh_one, self.tally, REFRESH),
            paced(a.web_rate, a.seconds, len(self.sups), self.web_write, self.tally, WRITE),
        ]
        for p in pacers:
            p.join(timeout=a.seconds + 300)
        elapsed = time.monotonic() - began
        for d in self.devices:  # finish what the devices still hold, to count the database
            d.drain(time.monotonic() + 60)
        return elapsed


# Rows each kind of web write leaves (the world starts with no contacts, cancelled orders or
# reviewed visits): fewer than its successes is a write lost, more is one saved unconfirmed.
SAVED = {
    "contact_add": "SELECT count(*) FROM contact",
    "order_cancel": "SELECT count(*) FROM work_order WHERE status = 'cancelled'",
    "visit_approve": "SELECT count(*) FROM visit WHERE status = 'approved'",
    "visit_return": "SELECT count(*) FROM visit WHERE status = 'returned'",
}


def check(db_path: str, devices: list, tally: Tally) -> dict:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        found = [d.check(db) for d in devices]
        rows = {kind: db.execute(sql).fetchone()[0] for kind, sql in SAVED.items()}
    finally:
        db.close()
    out = {k: sum(f[k] for f in found) for k in ("lost", "duplicated", "unacknowledged")}
    ok = {kind: tally.summary(f"{WRITE}:{kind}")["ok"] for kind in SAVED}
    out["web_write_lost"] = sum(max(0, ok[k] - rows[k]) for k in SAVED)
    out["web_write_saved_unconfirmed"] = sum(max(0, rows[k] - ok[k]) for k in SAVED)
    return out


def report(load: Load, elapsed: float, counted: dict, srv, log: dict, args) -> dict:
    t = load.tally
    kinds = [PUSH, SIGNIN, REFRESH, WRITE, READ] + [f"{WRITE}:{k}" for k in KINDS]
    print(f"server: {srv.describe()}; {elapsed:.1f} s of load")
    print(
        f"targets per s: push {args.rate:g}, sign-in {args.signin_rate:g},"
        f" refresh {args.refresh_rate:g}, web write {args.web_rate:g}"
    )
    print()
    print("kind                        reqs     ok    5xx    503  other  drop   p50 ms   p95 ms")
    for kind in kinds:
        s = t.summary(kind)
        if not s["requests"]:
            continue
        other = s["requests"] - s["ok"] - s["5xx"] - s["dropped"]
        print(
            f"{kind:26s} {s['requests']:6d} {s['ok']:6d} {s['5xx']:6d} {s['503']:6d}"
            f" {other:6d} {s['dropped']:5d} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f}"
        )
    print("(5xx includes 503, the documented busy answer; other = 4xx and `stopped` answers;")
    print(" web writes succeed with 303)")
    for kind in kinds:
        s = t.summary(kind)
        if s["requests"]:
            extra = {k: v for k, v in s.items() if k not in ("p50_ms", "p95_ms")}
            print(f"  {kind}: {extra}")
    push = t.summary(PUSH)
    print(
        f"pushes: {push['requests'] / elapsed:.1f}/s achieved, {push.get('started_late', 0)}"
        f" started over {LATE_S:g} s late (p95 {t.ms(PUSH + '_start_late', 95):.0f} ms late),"
        f" {push.get('busy', 0)} `stopped` answers, {push.get('skipped', 0)} skipped"
        f" (not started {GRACE_S:g} s after the load's end);"
        f" database: {counted['lost']} lost, {counted['duplicated']} duplicated,"
        f" {counted['unacknowledged']} unacknowledged"
    )
    print(
        f"web writes: {counted['web_write_lost']} confirmed but not saved,"
        f" {counted['web_write_saved_unconfirmed']} saved but not confirmed"
        " (contacts, cancellations, approvals, returns counted in the database)"
    )
    if args.hold_lock:
        print(
            f"lock holder: held the write lock {load.holds} times for {args.hold_lock:g} s"
            f" (every {args.hold_every:g} s)"
        )
    print(f"server log: {log['tracebacks']} tracebacks, {log['locked']} 'database is locked'")
    for where, count in log["origins"].items():
        print(f"  traceback ×{count} at {where}")
    out = {
        "server": args.server,
        "server_detail": srv.describe(),
        "seconds": args.seconds,
        "pushes_per_s_target": args.rate,
        "pushes_per_s_achieved": round(push["requests"] / elapsed, 1),
        "push_started_late": push.get("started_late", 0),
        "push_start_late_p95_ms": t.ms(f"{PUSH}_start_late", 95),
        "push_stopped_answers": push.get("busy", 0),
        "push_skipped": push.get("skipped", 0),
        "mutations_acked": sum(len(d.acked) for d in load.devices),
        "lost": counted["lost"],
        "duplicated": counted["duplicated"],
        "unacknowledged": counted["unacknowledged"],
        "web_write_lost": counted["web_write_lost"],
        "web_write_saved_unconfirmed": counted["web_write_saved_unconfirmed"],
        "hold_lock_s": args.hold_lock,
        "lock_holds": load.holds,
        "server_log_tracebacks": log["tracebacks"],
        "server_log_locked": log["locked"],
        "server_error_origins": log["origins"],
    }
    names = {PUSH: "push", SIGNIN: "signin", REFRESH: "refresh", WRITE: "web_write"}
    names[READ] = "web_read"
    for kind, name in names.items():
        s = t.summary(kind)
        out |= {
            f"{name}_requests": s["requests"],
            f"{name}_ok": s["ok"],
            f"{name}_5xx": s["5xx"],
            f"{name}_503": s["503"],
            f"{name}_5xx_not_503": s["5xx"] - s["503"],
            f"{name}_dropped": s["dropped"],
            f"{name}_p50_ms": s["p50_ms"],
            f"{name}_p95_ms": s["p95_ms"],
        }
    # 5xx other than the documented busy answer (503 + Retry-After) must be 0; busy answers
    # (503s and `stopped` pushes) are allowed but should be few.
    out["5xx"] = sum(out[f"{n}_5xx_not_503"] for n in names.values())
    out["busy"] = push.get("busy", 0) + sum(out[f"{n}_503"] for n in names.values())
    out["busy_503_without_retry_after"] = len(Http.no_retry_after)
    for k in KINDS:
        s = t.summary(f"{WRITE}:{k}")
        out[f"web_write_{k}_ok"], out[f"web_write_{k}_5xx"] = s["ok"], s["5xx"]
    return out


def run(args, tmp: str) -> dict:
    path = os.path.join(tmp, "fieldbook.db")
    managers = max(args.push_threads, 8) + 8  # the pushers plus more who only sign in
    orders = 2 * int(args.web_rate * args.seconds / len(KINDS)) + 10
    w = world.build(path, managers, customers_each=10, orders=orders)
    tokens = world.refresh_tokens(path, w["managers"], 20)
    srv = serve.AppServer(
        args.server,
        serve.server_env(tmp, path),
        os.path.join(tmp, "server.log"),
        workers=args.workers,
        threads=args.gunicorn_threads,
        port=args.port,
    )
    with srv:
        load = Load(srv.port, w, args, tokens)
        load.prepare()
        before = srv.log_counts()
        with LockHolder(path, args.hold_lock, args.hold_every) as holder:
            elapsed = load.run()
        load.holds = holder.holds
        now = srv.log_counts()
    log = serve.log_delta(before, now)
    return report(load, elapsed, check(path, load.devices, load.tally), srv, log, args)


def main() -> None:
    parser = cli.parser(__doc__, hold_every=20)
    parser.add_argument("--seconds", type=float, default=60, help="length of the load")
    parser.add_argument("--rate", type=float, default=50, help="pushes per second")
    parser.add_argument("--push-threads", type=int, default=16, help="device threads (pool)")
    parser.add_argument("--signin-rate", type=float, default=1.0, help="sign-ins per second")
    parser.add_argument("--refresh-rate", type=float, default=1.0, help="refreshes per second")
    parser.add_argument("--web-rate", type=float, default=2.0, help="web writes per second")
    cli.run_and_report(run, parser.parse_args(), _must_be_zero)


def _must_be_zero(out: dict) -> list[str]:
    keys = ("5xx", "lost", "duplicated", "web_write_lost", "busy_503_without_retry_after")
    return [k for k in keys if out[k]]


if __name__ == "__main__":
    main()

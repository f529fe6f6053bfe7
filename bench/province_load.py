"""A province's end-of-shift burst against the production setup (issue 16).

Run: .venv/bin/python bench/province_load.py [--steps 50:30,200:60,500:30] (also `make bench`).
Ends with one line of JSON.

The server is started as deploy/ starts it: gunicorn with deploy/gunicorn.conf.py (only the
bind address is given on the command line), and the jobs process (`flask --app server jobs`)
beside it on the same database. Simulated devices (account managers' and technicians'
phones, bench/loadbench/field.py) sign in and pull their working set, then, at a fixed
arrival rate of pushes per step, push what they recorded since their last push (one step of a
visit or an inspection, or a whole one after being offline), upload the photos those steps
name first, and pull again every few turns. Supervisors load the review desk, the dispatch
list and the statistics page meanwhile. Per step and endpoint: success rate, p50/p95/p99, 5xx,
busy answers; at the end the database is counted against what every device was told
(lost, duplicated). The knee is the first step whose push p95 passes 1 s.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadbench import cli, serve, world  # noqa: E402
from loadbench.client import Http  # noqa: E402
from loadbench.device import PULL, PUSH, Fatal  # noqa: E402
from loadbench.field import BLOB, ManagerPhone, TechnicianPhone, base_jpeg  # noqa: E402
from loadbench.stats import Tally  # noqa: E402
from loadbench.web import READ, Supervisor  # noqa: E402
from sync_load import Pool, paced  # noqa: E402

CONF = os.environ.get("BENCH_GUNICORN_CONF") or os.path.join(ROOT, "deploy", "gunicorn.conf.py")
PAGES = {"review_desk": "/reviews/", "dispatch": "/work-orders/", "statistics": "/statistics/"}
PULL_EVERY = 5  # a device pulls after every fifth push (ours)
KNEE_MS = 1000.0


class Production(serve.AppServer):
    """gunicorn exactly as the web unit runs it, on a free loopback port."""

    def describe(self) -> str:
        return f"gunicorn -c {os.path.relpath(CONF, ROOT)} (the deploy/ configuration)"

    def command(self) -> list[str]:
        gunicorn = os.path.join(serve.BIN, "gunicorn")
        return [gunicorn, "-c", CONF, "--bind", f"127.0.0.1:{self.port}", "server.wsgi:app"]


def start_jobs(env: dict, log_path: str):
    """The jobs process beside the server, when this build has one."""
    flask = os.path.join(serve.BIN, "flask")
    probe = subprocess.run(
        [flask, "--app", "server", "jobs", "--help"],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    log = open(log_path, "w")  # closed with the process
    proc = subprocess.Popen(
        [flask, "--app", "server", "jobs"], cwd=ROOT, env=os.environ | env, stdout=log, stderr=log
    )
    proc.log = log
    return proc


def build_world(path: str, managers: int, technicians: int, orders_each: int) -> dict:
    from server.db import connect
    from server.inspections import checklists
    from tests import factories

    w = world.build(path, managers, customers_each=10, orders=0)
    db = connect(path)
    items = [
        {"label": "整流模块无告警", "kind": "pass_fail"},
        {"label": "蓄电池外观", "kind": "pass_fail"},
        {"label": "空调运行", "kind": "pass_fail"},
        {"label": "机房温度", "kind": "reading", "unit": "℃", "min_value": 10, "max_value": 30},
    ]
    template = checklists.create_template(db, None, "base_station", "基站巡检表", items)
    site = factories.make_site(db, w["team"], lat=30.28, lon=120.16)
    w["items"] = template["items"]
    w["techs"] = []
    for i in range(technicians):
        tech = factories.make_user(db, w["team"], "technician", username=f"bench_field{i:03d}")
        orders = [
            factories.make_work_order(
                db,
                w["team"],
                "inspection",
                assignee=tech,
                assigned_org=w["team"],
                site_id=site["id"],
                checklist_template_id=template["id"],
                title=f"基站巡检 {i}-{n}",
            )
            for n in range(orders_each)
        ]
        w["techs"].append((tech, orders))
    db.conn.close()
    return w


class Load:
    def __init__(self, port: int, w: dict, args):
        self.tally = Tally()
        jpeg = base_jpeg()
        self.devices = [
            ManagerPhone(Http(port), am, w["customers"][am["id"]], self.tally, seed=i, jpeg=jpeg)
            for i, am in enumerate(w["managers"])
        ]
        self.devices += [
            TechnicianPhone(
                Http(port),
                tech,
                [],
                self.tally,
                seed=1000 + i,
                jpeg=jpeg,
                orders=o,
                items=w["items"],
            )
            for i, (tech, o) in enumerate(w["techs"])
        ]
        self.sups = [Supervisor(port, s, self.tally, None) for s in w["supervisors"]]
        self.turns = 0
        self.lock = threading.Lock()

    def prepare(self) -> None:
        deadline = time.monotonic() + 300
        for d in self.devices:
            d.sign_in(deadline)
            d.cursor = None
            self.pull(d, deadline)
        for s in self.sups:
            s.sign_in()
        self.device_pool = Pool(self.devices)
        self.sup_pool = Pool(self.sups)

    def pull(self, d, deadline: float) -> None:
        """Pull from the device's cursor until the server has no more."""
        while time.monotonic() < deadline:
            body = {"client_id": d.phone.client_id, "server_epoch": d.epoch, "cursor": d.cursor}
            ans = d.http.post_json("/api/sync/pull", body)
            data = ans.json() or {}
            outcome = "ok" if ans.status == 200 else "busy_503" if ans.status == 503 else "error"
            d.tally.add(
                PULL,
                outcome if ans.status >= 500 or ans.status == 200 else "refused",
                ans.status,
                ans.seconds,
            )
            if ans.status != 200:
                if ans.status < 500:
                    raise Fatal(f"pull answered {ans.status}: {ans.text[:200]}")
                time.sleep(ans.retry_after(1.0))
                continue
            d.epoch, d.cursor = data["server_epoch"], data["cursor"]
            if not data["has_more"]:
                return

    def use(self, tally: Tally) -> None:
        self.tally = tally
        for d in self.devices:
            d.tally = tally
        for s in self.sups:
            s.tally = tally

    def push(self, _i) -> None:
        key, dev = self.device_pool.take()
        wait = 0.0
        try:
            wait = dev.turn()
            dev.turns = getattr(dev, "turns", 0) + 1
            if dev.turns % PULL_EVERY == 0:
                self.pull(dev, time.monotonic() + 30)
        except Fatal as exc:
            self.tally.note(PUSH, "device_errors")
            print(f"device {dev.user['username']}: {exc}", file=sys.stderr)
        finally:
            self.device_pool.give(key, dev, wait)

    def read(self, i) -> None:
        key, sup = self.sup_pool.take()
        try:
            name = list(PAGES)[i % len(PAGES)]
            ans = sup.http.get(PAGES[name])
            outcome = "ok" if ans.status == 200 else "error" if ans.status >= 500 else "refused"
            self.tally.add(f"{READ}:{name}", outcome, ans.status, ans.seconds)
        finally:
            self.sup_pool.give(key, sup)

    def step(self, rate: float, seconds: float, threads: int, read_rate: float) -> float:
        began = time.monotonic()
        pacers = [
            paced(rate, seconds, threads, self.push, self.tally, PUSH),
            paced(read_rate, seconds, len(self.sups), self.read, self.tally, READ),
        ]
        for p in pacers:
            p.join(timeout=seconds + 300)
        return time.monotonic() - began


def figures(t: Tally, rate: float, elapsed: float, acked_before: int, acked_now: int) -> dict:
    out = {}
    kinds = {"push": PUSH, "pull": PULL, "blob": BLOB} | {k: f"{READ}:{k}" for k in PAGES}
    for name, kind in kinds.items():
        s = t.summary(kind)
        if not s["requests"]:
            continue
        out |= {
            f"{name}_requests": s["requests"],
            f"{name}_success_pct": round(100.0 * s["ok"] / s["requests"], 2),
            f"{name}_5xx": s["5xx"] - s["503"],
            f"{name}_busy": s["503"] + s.get("busy", 0),
            f"{name}_p50_ms": t.ms(kind, 50),
            f"{name}_p95_ms": t.ms(kind, 95),
            f"{name}_p99_ms": t.ms(kind, 99),
        }
    push = t.summary(PUSH)
    out["pushes_per_s_target"] = rate
    out["pushes_per_s_achieved"] = round(push["requests"] / elapsed, 1)
    out["mutations_per_s"] = round((acked_now - acked_before) / elapsed, 1)
    out["push_started_late"] = push.get("started_late", 0)
    out["push_start_late_p95_ms"] = t.ms(f"{PUSH}_start_late", 95)
    out["blob_mb"] = round(t.get(BLOB, "bytes") / 1e6, 1)
    # Answers other than applied (a rejected step is a bench bug: the script is valid), and
    # requests the bench itself failed to make.
    for what in ("mutations_rejected", "mutations_held", "device_errors", "client_errors"):
        out[what] = push.get(what, 0)
    return out


def print_step(rate: float, f: dict) -> None:
    print(
        f"\n== {rate:g} pushes/s: achieved {f['pushes_per_s_achieved']}/s,"
        f" {f['mutations_per_s']} mutations/s, {f['blob_mb']} MB of photos"
    )
    print("endpoint        reqs   ok %   5xx  busy  p50 ms  p95 ms  p99 ms")
    for name in ("push", "pull", "blob", *PAGES):
        if f"{name}_requests" in f:
            print(
                f"{name:14s} {f[name + '_requests']:6d} {f[name + '_success_pct']:6.2f}"
                f" {f[name + '_5xx']:5d} {f[name + '_busy']:5d} {f[name + '_p50_ms']:7.1f}"
                f" {f[name + '_p95_ms']:7.1f} {f[name + '_p99_ms']:7.1f}"
            )
    print(
        f"pushes started over 1 s late: {f['push_started_late']}"
        f" (p95 {f['push_start_late_p95_ms']:.0f} ms late)"
    )


def check(path: str, devices) -> dict:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = [d.check(db) for d in devices]
    finally:
        db.close()
    return {k: sum(f[k] for f in found) for k in ("lost", "duplicated", "unacknowledged")}


def run(args, tmp: str) -> dict:
    path = os.path.join(tmp, "fieldbook.db")
    w = build_world(path, args.managers, args.technicians, args.orders_each)
    env = serve.server_env(tmp, path)
    if not os.path.exists(CONF):
        sys.exit(f"{CONF} is missing: this build has no production configuration")
    srv = Production("gunicorn", env, os.path.join(tmp, "server.log"), port=args.port)
    steps = [(float(r), float(s)) for r, s in (x.split(":") for x in args.steps.split(","))]
    out = {"server_detail": srv.describe(), "devices": args.managers + args.technicians}
    with srv:
        jobs = start_jobs(env | {"PYTHONPATH": ROOT}, os.path.join(tmp, "jobs.log"))
        out["jobs_process"] = jobs is not None
        try:
            load = Load(srv.port, w, args)
            load.prepare()
            knee = None
            before_log = srv.log_counts()
            for rate, seconds in steps:
                load.use(Tally())
                acked = sum(len(d.acked) for d in load.devices)
                elapsed = load.step(rate, seconds, args.push_threads, args.read_rate)
                f = figures(
                    load.tally, rate, elapsed, acked, sum(len(d.acked) for d in load.devices)
                )
                print_step(rate, f)
                out |= {f"{k}_rate_{rate:g}": v for k, v in f.items()}
                # The knee: pushes take over 1 s at p95, or the server no longer keeps the
                # rate (pushes start late: the latency then hides in the queue).
                kept = f["pushes_per_s_achieved"] >= 0.95 * rate
                if knee is None and (f.get("push_p95_ms", 0) > KNEE_MS or not kept):
                    knee = rate
            for d in load.devices:  # finish what the devices still hold, then count
                deadline = time.monotonic() + 60
                while d.outbox and time.monotonic() < deadline:
                    time.sleep(d.push_once())
            log = serve.log_delta(before_log, srv.log_counts())
        finally:
            if jobs is not None:
                jobs.terminate()
                jobs.wait(timeout=30)
                jobs.log.close()
    counted = check(path, load.devices)
    out |= counted
    out["mutations_acked"] = sum(len(d.acked) for d in load.devices)
    out["knee_pushes_per_s"] = knee if knee is not None else f">{max(r for r, _ in steps):g}"
    out["server_log_tracebacks"] = log["tracebacks"]
    out["5xx"] = sum(v for k, v in out.items() if k.split("_rate_")[0].endswith("_5xx"))
    print(
        f"\ndatabase: {counted['lost']} lost, {counted['duplicated']} duplicated,"
        f" {counted['unacknowledged']} unacknowledged of {out['mutations_acked']} acknowledged;"
        f" knee (push p95 over {KNEE_MS:g} ms or the rate not kept):"
        f" {out['knee_pushes_per_s']} pushes/s;"
        f" server log: {log['tracebacks']} tracebacks"
    )
    for where, count in log["origins"].items():
        print(f"  traceback ×{count} at {where}")
    return out


def main() -> None:
    parser = cli.parser(__doc__, hold_every=20)
    parser.add_argument("--steps", default="50:30,200:60,350:30,500:30", help="rate:seconds,…")
    parser.add_argument("--managers", type=int, default=96, help="account managers' phones")
    parser.add_argument("--technicians", type=int, default=32, help="technicians' phones")
    parser.add_argument("--orders-each", type=int, default=40, help="inspections per technician")
    parser.add_argument("--push-threads", type=int, default=48, help="device threads (pool)")
    parser.add_argument("--read-rate", type=float, default=2.0, help="supervisor page loads/s")
    cli.run_and_report(
        run, parser.parse_args(), lambda o: [k for k in ("5xx", "lost", "duplicated") if o[k]]
    )


if __name__ == "__main__":
    main()

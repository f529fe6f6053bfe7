"""Monthly performance scores at province scale: 10,000 staff over 1,000,000 records.

The data set (bench/scoreworld: 6,000 account managers, 4,000 technicians, 500,000 visits,
500,000 work orders over a year) is built once and cached in bench/out/. This times
compute_month for one month on a copy (no cards yet: every card written), and again
(nothing changed), in a fresh process so its peak memory is the computation's. Wall time
and CPU time (the process's own, time.process_time: SQLite runs in it) are both reported;
the CPU figure is the steadier one on a shared machine. The parent also reads the child's
whole CPU time (resource.getrusage RUSAGE_CHILDREN: start-up, ANALYZE and both runs).

    python bench/scores.py                      # this checkout
    python bench/scores.py --against DIR        # and another checkout (e.g. an older
                                                # commit's git worktree), alternating on
                                                # fresh copies of the same data, with ratios
    python bench/scores.py --without-indexes    # and this checkout without the indexes
    python bench/scores.py --rounds 3 ...       # repeat (medians are reported)

This checkout runs with server/scores/indexes.py's covering indexes created on its copy
(until a migration makes them); --against and --without-indexes run without them.

Ends with one JSON line: {"scores_month_s", "scores_month_cpu_s", "scores_recompute_s",
"scores_recompute_cpu_s", "scores_child_cpu_s", "scores_disk_read_mb", "scores_peak_mb"}
(this checkout's medians; the month's bytes read from the disk itself, not the page cache;
with --against also "against_month_s", "against_month_cpu_s" and the ratios
"against_month_wall_ratio", "against_month_cpu_ratio": against ÷ this; with
--without-indexes the same with the prefix "without_indexes").
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.dirname(os.path.abspath(__file__))

MONTH = "2026-03"
NOW = "2026-06-01T00:00:00.000Z"


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over fork and exec, so it would report the parent's build of the data set."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_read_mb() -> float:
    """Bytes this process had read from the disk itself (not from the OS's page cache)."""
    try:
        with open("/proc/self/io") as io:
            for line in io:
                if line.startswith("read_bytes:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def measure(path: str, code_root: str) -> None:
    """In a fresh process, with the code of `code_root`: time compute_month twice (wall and
    CPU); print one JSON line."""
    sys.path.insert(0, code_root)
    import server
    from server.db import connect
    from server.scores.compute import compute_month

    code = os.path.dirname(os.path.dirname(os.path.abspath(server.__file__)))
    if code != os.path.abspath(code_root):
        raise SystemExit(f"imported the code of {code}, not {code_root}")
    db = connect(path)
    db.execute("ANALYZE")
    runs = []
    for _ in range(2):
        started, started_cpu, disk = time.perf_counter(), time.process_time(), disk_read_mb()
        result = compute_month(db, MONTH, now=NOW)
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        runs.append((result, wall, cpu, disk_read_mb() - disk))
    (first, s, cpu, disk), (again, again_s, again_cpu, _) = runs
    print(
        json.dumps(
            dict(
                first=first,
                again=again,
                s=s,
                cpu=cpu,
                again_s=again_s,
                again_cpu=again_cpu,
                disk_mb=disk,
                mb=peak_mb(),
            )
        )
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(source: str, code_root: str, indexes: bool) -> dict:
    """Copy the data set, migrate it as a deploy would, measure in a fresh process.

    `indexes`: also create server/scores/indexes.py's covering indexes on the copy (what
    the migration proposed there will make; IF NOT EXISTS, so a no-op once it has)."""
    from server.db import connect
    from server.migrations import upgrade
    from server.scores import indexes as score_indexes

    tmp = tempfile.mkdtemp(prefix="fieldbook-scores-")
    try:
        path = os.path.join(tmp, "scores.db")
        shutil.copyfile(source, path)
        db = connect(path)
        upgrade(db)  # migrations newer than the build, as a deploy would
        if indexes:
            score_indexes.create(db)
        db.conn.close()
        before = children_cpu()
        out = subprocess.run(
            [sys.executable, __file__, "--measure", path, "--code", code_root],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(out.stdout.strip().splitlines()[-1])
        found["child_cpu"] = children_cpu() - before
        return found
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--code", default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--against", help="another checkout to time on the same data")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="also time this checkout without server/scores/indexes.py's indexes",
    )
    args = parser.parse_args()
    if args.measure:
        return measure(args.measure, args.code)
    sys.path.insert(0, ROOT)
    sys.path.insert(0, BENCH)
    import scoreworld

    from server.db import connect

    source = scoreworld.cached()
    trees = {"this": (ROOT, True)}  # name: (checkout, with the scores' indexes)
    if args.without_indexes:
        trees = {"this-without-indexes": (ROOT, False), **trees}
    if args.against:
        trees = {"against": (os.path.abspath(args.against), False), **trees}
    found: dict[str, list[dict]] = {name: [] for name in trees}
    for n in range(args.rounds):
        for name, (tree, indexes) in trees.items():  # alternating: all see the same load
            one = run_once(source, tree, indexes)
            found[name].append(one)
            print(
                f"round {n + 1} {name} ({tree}): month {one['s']:.2f} s wall,"
                f" {one['cpu']:.2f} s CPU, {one['disk_mb']:.0f} MB read from disk;"
                f" again {one['again_s']:.2f} s wall,"
                f" {one['again_cpu']:.2f} s CPU; child process {one['child_cpu']:.2f} s CPU;"
                f" load {load()}",
                flush=True,
            )
    db = connect(source)
    counts = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("app_user", "customer", "visit", "follow_up", "work_order", "review")
    }
    print("records:", ", ".join(f"{n:,} {t}" for t, n in counts.items()))

    def median(name, key):
        return statistics.median(r[key] for r in found[name])

    this = found["this"][-1]
    print(
        f"compute_month {MONTH}: {this['first']['cards']:,} cards in"
        f" {median('this', 's'):.2f} s ({median('this', 'cpu'):.2f} s CPU);"
        f" again (nothing changed, {this['again']['changed']} written) in"
        f" {median('this', 'again_s'):.2f} s ({median('this', 'again_cpu'):.2f} s CPU);"
        f" peak RSS {median('this', 'mb'):.0f} MB; load {load()}"
    )
    report = {
        "scores_month_s": round(median("this", "s"), 2),
        "scores_month_cpu_s": round(median("this", "cpu"), 2),
        "scores_recompute_s": round(median("this", "again_s"), 2),
        "scores_recompute_cpu_s": round(median("this", "again_cpu"), 2),
        "scores_child_cpu_s": round(median("this", "child_cpu"), 2),
        "scores_disk_read_mb": round(median("this", "disk_mb"), 1),
        "scores_peak_mb": round(median("this", "mb"), 1),
    }
    for name, prefix in (("against", "against"), ("this-without-indexes", "without_indexes")):
        if name in found:
            report.update(
                {
                    f"{prefix}_month_s": round(median(name, "s"), 2),
                    f"{prefix}_month_cpu_s": round(median(name, "cpu"), 2),
                    f"{prefix}_month_wall_ratio": round(
                        median(name, "s") / median("this", "s"), 2
                    ),
                    f"{prefix}_month_cpu_ratio": round(
                        median(name, "cpu") / median("this", "cpu"), 2
                    ),
                }
            )
    print(json.dumps(report))


if __name__ == "__main__":
    main()

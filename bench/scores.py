"""Monthly performance scores at province scale: 10,000 staff over 1,000,000 records.

The data set (bench/scoreworld: 6,000 account managers, 4,000 technicians, 500,000 visits,
500,000 work orders over a year) is built once and cached in bench/out/. This times
compute_month for one month on a copy (no cards yet: every card written), and again
(nothing changed), in a fresh process so its peak memory is the computation's.
Ends with one JSON line: {"scores_month_s", "scores_recompute_s", "scores_peak_mb"}.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import scoreworld  # noqa: E402

from server.db import connect  # noqa: E402
from server.migrations import upgrade  # noqa: E402

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


def measure(path: str) -> None:
    """In a fresh process: time compute_month twice; print one JSON line."""
    from server.scores.compute import compute_month

    db = connect(path)
    db.execute("ANALYZE")
    started = time.perf_counter()
    first = compute_month(db, MONTH, now=NOW)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    again = compute_month(db, MONTH, now=NOW)
    unchanged = time.perf_counter() - started
    peak = peak_mb()
    print(json.dumps(dict(first=first, again=again, s=elapsed, again_s=unchanged, mb=peak)))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        return measure(sys.argv[2])
    source = scoreworld.cached()
    tmp = tempfile.mkdtemp(prefix="fieldbook-scores-")
    try:
        path = os.path.join(tmp, "scores.db")
        shutil.copyfile(source, path)
        upgrade(connect(path))  # migrations newer than the build, as a deploy would
        out = (
            subprocess.run(
                [sys.executable, __file__, "--measure", path],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    found = json.loads(out)
    db = connect(source)
    counts = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("app_user", "customer", "visit", "follow_up", "work_order", "review")
    }
    print("records:", ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print(
        f"compute_month {MONTH}: {found['first']['cards']:,} cards in {found['s']:.2f} s;"
        f" again (nothing changed, {found['again']['changed']} written) in"
        f" {found['again_s']:.2f} s; peak RSS {found['mb']:.0f} MB"
    )
    print(
        json.dumps(
            {
                "scores_month_s": round(found["s"], 2),
                "scores_recompute_s": round(found["again_s"], 2),
                "scores_peak_mb": round(found["mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()

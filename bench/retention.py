"""Retention at province scale: 12 monthly billing files for 100,000 customers (1.2 M rows)
imported through the command line (`flask --app server billing import FILE --month M
--no-rules`, the same importer the web pages use), then the churn rules
(`flask --app server retention run`), in a fresh process so its peak memory is the work's.

The data set (bench/retentionworld) is cached in bench/out/. Ends with one JSON line:
{"billing_import_12m_s", "billing_import_month_max_s", "churn_rules_s", "total_s",
"peak_rss_mb", "cpu_s", "warnings", "retention_tasks"}. cpu_s is the measuring process's
user + system CPU time: on a busy machine it is the steadier figure.
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import retentionworld  # noqa: E402

from server.db import connect  # noqa: E402
from server.migrations import upgrade  # noqa: E402

AS_OF = "2026-07-05"


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss carries over fork and exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: str, folder: str) -> None:
    """In a fresh process: the twelve imports and the rule run through the CLI commands."""
    from server import create_app

    app = create_app({"DATABASE": path, "SECRET_KEY": "bench"})
    runner = app.test_cli_runner()
    months = {}
    started = time.perf_counter()
    for month in retentionworld.MONTHS:
        file = os.path.join(folder, f"{month}.csv")
        t = time.perf_counter()
        result = runner.invoke(
            args=["billing", "import", file, "--month", month, "--no-rules"],
            catch_exceptions=False,
        )
        if result.exit_code:
            raise SystemExit(result.output)
        months[month] = time.perf_counter() - t
    imported = time.perf_counter() - started
    t = time.perf_counter()
    result = runner.invoke(args=["retention", "run", "--as-of", AS_OF], catch_exceptions=False)
    if result.exit_code:
        raise SystemExit(result.output)
    rules = time.perf_counter() - t
    db = connect(path)
    counts = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("billing_month", "churn_warning", "retention_task", "churn_standing")
    }
    db.conn.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            dict(
                months=months,
                imported=imported,
                rules=rules,
                counts=counts,
                rules_out=result.output.strip(),
                mb=peak_mb(),
                cpu=usage.ru_utime + usage.ru_stime,
            )
        )
    )


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--measure":
        return measure(sys.argv[2], sys.argv[3])
    source, folder = retentionworld.cached()
    tmp = tempfile.mkdtemp(prefix="fieldbook-retention-")
    try:
        path = os.path.join(tmp, "retention.db")
        shutil.copyfile(source, path)
        upgrade(connect(path))  # migrations newer than the build, as a deploy would
        out = (
            subprocess.run(
                [sys.executable, __file__, "--measure", path, folder],
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
    counts = found["counts"]
    print(f"customers: 100,000; billing rows imported: {counts['billing_month']:,}")
    for month, seconds in found["months"].items():
        print(f"  billing import {month}: {seconds:.2f} s")
    print(f"12 months imported in {found['imported']:.1f} s")
    print(f"{found['rules_out']}")
    print(f"churn rules: {found['rules']:.1f} s; peak RSS {found['mb']:.0f} MB")
    print(f"CPU time of the measuring process (user + system): {found['cpu']:.1f} s")
    print(
        json.dumps(
            {
                "billing_import_12m_s": round(found["imported"], 2),
                "billing_import_month_max_s": round(max(found["months"].values()), 2),
                "churn_rules_s": round(found["rules"], 2),
                "total_s": round(found["imported"] + found["rules"], 2),
                "peak_rss_mb": round(found["mb"], 1),
                "cpu_s": round(found["cpu"], 1),
                "warnings": counts["churn_warning"],
                "retention_tasks": counts["retention_task"],
            }
        )
    )


if __name__ == "__main__":
    main()

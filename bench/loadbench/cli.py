"""The command line both load benches share: server options, a temporary folder for the
run, the JSON line last, and a non-zero exit when a figure that must be 0 is not."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time


def parser(doc: str, hold_every: float) -> argparse.ArgumentParser:
    """A parser with the server and lock-holder options; the bench adds its own."""
    found = argparse.ArgumentParser(description=doc.splitlines()[0])
    found.add_argument("--server", choices=("dev", "gunicorn"), default="gunicorn")
    found.add_argument(
        "--hold-lock", type=float, default=0, help="another writer holds the lock this long"
    )
    found.add_argument("--hold-every", type=float, default=hold_every, help="… every this many s")
    found.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BENCH_PORT", 0)),
        help="port to serve on (default $BENCH_PORT, else a free one)",
    )
    found.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    found.add_argument("--gunicorn-threads", type=int, default=4, help="1 = sync workers")
    return found


def run_and_report(run, args, must_be_zero) -> None:
    """run(args, tmp) → figures; print them as the last line; exit 1 naming `must_be_zero(out)`."""
    began = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="fieldbook-bench-")
    try:
        out = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"run took {time.perf_counter() - began:.1f} s")
    print(json.dumps(out, sort_keys=True, ensure_ascii=False))
    bad = must_be_zero(out)
    if bad:  # issue 12: none of these may happen (make bench stops here)
        sys.exit(f"FAILED: {', '.join(bad)}")

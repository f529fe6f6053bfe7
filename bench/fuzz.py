"""The long hostile-input run: 50,000 requests picked at random (seeded) from the cases
tests/hostile.py generates (mutations, envelope, blobs, auth, push API, every page for every
role), through the Flask test client on one seeded database.

Prints the requests per area, the statuses, the distinct findings (grouped), and ends with
one JSON line: {"requests": …, "status_4xx": {"400": n, …}, "status_5xx": n, "fuzz_s": …}.
Options: --requests N (default 50000), --seed S (default 12).
"""

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import create_app
from tests import hostile, hostile_world


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=12)
    options = parser.parse_args()
    logging.disable(logging.CRITICAL)  # handlers log what they reject; the findings say it
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(hostile_world.app_config(Path(tmp)))
        world = hostile_world.build(app)
        fuzzer = hostile.Fuzzer(world)
        cases = hostile.all_cases(world)
        flat = [c for area in cases.values() for c in area]
        print(
            f"{len(flat)} generated cases: " + ", ".join(f"{k} {len(v)}" for k, v in cases.items())
        )
        rng = random.Random(options.seed)
        tally, by_area, codes = hostile.Tally(), {}, {}
        start = time.perf_counter()
        while tally.requests < options.requests:
            case = rng.choice(flat)
            before = tally.requests
            hostile.run(fuzzer, case, tally)
            by_area[case.area] = by_area.get(case.area, 0) + tally.requests - before
        elapsed = time.perf_counter() - start
        world.db.conn.close()
    for status, n in tally.statuses.items():
        codes[str(status)] = n
    print("requests by area: " + json.dumps(by_area, sort_keys=True))
    print("answers by status (per case): " + json.dumps(dict(sorted(codes.items()))))
    print(f"{len(tally.findings)} findings, distinct:")
    print(hostile.grouped(tally.findings) or "(none)")
    five = sum(n for s, n in tally.statuses.items() if s >= 500)
    four = {str(s): n for s, n in sorted(tally.statuses.items()) if 400 <= s < 500}
    print(
        json.dumps(
            {
                "requests": tally.requests,
                "status_4xx": four,
                "status_5xx": five,
                "findings": len(tally.findings),
                "fuzz_s": round(elapsed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

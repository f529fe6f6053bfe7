"""Security review (issue 13): the reviewer's three walks over every route, on a fresh world.

Run: .venv/bin/python bench/security_review.py. Builds two branches of records
(tests/review_walk.py) and walks app.url_map:

- scope matrix: every GET route taking a record id × every user (each role, both branches and
  the contractor) × the records of each branch: another branch's must be 403/404 (a leak
  otherwise), the supervisors' and admins' own 200; every state-changing route taking an id,
  with a valid token, on records the user may not see: refused and nothing written;
- CSRF: every POST/PUT/DELETE route without a token and with a forged one, by cookie, as an
  admin, a supervisor and an account manager: refused and nothing written;
- fuzz: every route and method with each hostile value in the path, and with the user's own
  ids and a hostile query and body, as four users: no 5xx.

Prints the findings (if any) and the status mix, and ends with one JSON line of counts.
"""

import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import review_walk  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="security-review-") as tmp:
        counts = review_walk.review(
            tmp,
            scope_users=None,  # everyone
            csrf_users=("admin", "sup_d1", "am1", "tech_k"),
            fuzz_users=("am1", "tech_k", "sup_d1", "admin"),
            every_value=True,
        )
    for path, why in counts.skipped_routes:
        print(f"not in the scope matrix: {path} ({why})")
    for finding in counts.findings:
        print("FINDING", *finding)
    print(f"fuzz statuses: {dict(sorted(counts.fuzz_statuses.items()))}")
    figures = counts.figures()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Reminders at province scale: 10,000 field staff, each with a subscribed phone.

Builds bench/pushworld (6,000 account managers, 4,000 technicians, 30,000 customers and
contacts, an order just dispatched to every technician, visits planned for tomorrow,
returned visits, customers overdue), then times one `reminders run` at 18:30 local time
(every rule applies, no quiet hours) against the loopback push service of
tests/pushservice.py, run in its own process (it answers 201 without decrypting, so the
sender is what is measured; the tests check decryption), and a second run at the same
moment (nothing new, nothing sent). Ends with one JSON line: reminders_per_s, sends_per_s,
users, rerun_s.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pushworld  # noqa: E402

from server import create_app  # noqa: E402
from server.db import connect  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.reminders import engine  # noqa: E402
from tests.pushservice import PushService  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # Monday 18:30 in Shanghai


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fieldbook-reminders-") as tmp:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE": os.path.join(tmp, "reminders.db"),
                "SECRET_KEY": "bench",
                "PUSH_VAPID_KEY_FILE": os.path.join(tmp, "vapid.pem"),
                "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],  # the loopback push service
                "PUSH_ALLOW_PRIVATE_ADDRESSES": True,
            }
        )
        db = connect(app.config["DATABASE"])
        upgrade(db)
        keys = PushService(verify=False)  # only makes subscriptions' key material here
        keys.server.server_close()
        with subprocess.Popen(
            [sys.executable, "-m", "tests.pushservice"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as service:
            base = service.stdout.readline().strip()
            started = time.perf_counter()
            world = pushworld.build(db, NOW, lambda: keys.new_endpoint().subscription(base))
            db.execute("ANALYZE")
            print(f"built {world['users']:,} users in {time.perf_counter() - started:.1f} s")
            with app.app_context():
                first = engine.run(app, db, NOW)
                started = time.perf_counter()
                again = engine.run(app, db, NOW)
                rerun_s = time.perf_counter() - started
            with urllib.request.urlopen(base + "/count") as response:  # noqa: S310 (loopback)
                received = int(response.read())
            service.stdin.close()
        kinds = dict(
            db.execute(
                "SELECT kind, count(*) FROM reminder GROUP BY kind ORDER BY kind"
            ).fetchall()
        )
        db.conn.close()
    print("reminders by kind:", ", ".join(f"{k} {n:,}" for k, n in kinds.items()))
    print(
        f"compute: {first['added']:,} reminders in {first['compute_s']:.2f} s;"
        f" send: {first['pushes']:,} pushes in {first['send_s']:.2f} s"
        f" ({received:,} received by the push service);"
        f" again: {again['added']} new, {again['pushes']} sent, in {rerun_s:.2f} s"
    )
    assert again["added"] == 0 and again["pushes"] == 0 and received == first["pushes"]
    print(
        json.dumps(
            {
                "users": world["users"],
                "reminders": first["added"],
                "reminders_per_s": round(first["added"] / first["compute_s"]),
                "sends_per_s": round(first["pushes"] / first["send_s"]),
                "reminders_run_s": round(first["compute_s"] + first["send_s"], 2),
                "rerun_s": round(rerun_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Another writer that holds SQLite's write lock past the app's busy timeout (5 s).

With --hold-lock the benches start one: every --hold-every seconds it takes the lock
(BEGIN IMMEDIATE on its own connection) and keeps it for --hold-lock seconds, as a long
import or backup would. Whatever the app cannot write in that time must be answered as the
documented retryable busy answer (`stopped` for a push, 503 + Retry-After elsewhere).
"""

import sqlite3
import threading


class LockHolder:
    def __init__(self, path: str, hold_s: float, every_s: float):
        self.path, self.hold_s, self.every_s = path, hold_s, max(every_s, hold_s + 1)
        self.stop = threading.Event()
        self.holds = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            while not self.stop.wait(self.every_s - self.hold_s):
                conn.execute("BEGIN IMMEDIATE")
                self.holds += 1
                self.stop.wait(self.hold_s)
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    def __enter__(self):
        if self.hold_s > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=self.hold_s + 5)

"""Thread-safe tallies of answers per kind of request: counts by outcome and latencies."""

import threading
from collections import Counter

from .client import percentile


class Tally:
    """Per kind: requests, successes, answers by HTTP status, dropped connections, times."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, Counter] = {}
        self.times: dict[str, list[float]] = {}

    def add(self, kind: str, outcome: str, status: int | None = None, seconds=None) -> None:
        """Count one request: outcome is ok, busy (a `stopped` push), refused, error …"""
        with self.lock:
            c = self.counts.setdefault(kind, Counter())
            c["requests"] += 1
            c[outcome] += 1
            if status is not None:
                c[f"http_{status}"] += 1
                if status >= 500:
                    c["5xx"] += 1
            if seconds is not None:
                self.times.setdefault(kind, []).append(seconds)

    def note(self, kind: str, what: str, n: int = 1) -> None:
        """Count something that is not a request (a resend, a late start …)."""
        with self.lock:
            self.counts.setdefault(kind, Counter())[what] += n

    def get(self, kind: str, what: str) -> int:
        return self.counts.get(kind, Counter())[what]

    def ms(self, kind: str, p: float) -> float:
        return round(percentile(self.times.get(kind, []), p) * 1000, 1)

    def summary(self, kind: str) -> dict:
        c = self.counts.get(kind, Counter())
        statuses = {k[5:]: v for k, v in sorted(c.items()) if k.startswith("http_")}
        return {
            "requests": c["requests"],
            "ok": c["ok"],
            "5xx": c["5xx"],
            "503": c["http_503"],
            "dropped": c["dropped"],
            "p50_ms": self.ms(kind, 50),
            "p95_ms": self.ms(kind, 95),
            "statuses": statuses,
            **{
                k: v
                for k, v in sorted(c.items())
                if k not in ("requests", "ok", "5xx", "dropped") and not k.startswith("http_")
            },
        }

"""A device that behaves as docs/sync-protocol.md says a device does, and remembers what it
was told, so the database can be checked against it afterwards.

It signs in through /api/auth/token, pulls once (for the server epoch), then records
visits (five mutations each, bench/syncbench/device.Phone) into an outbox and pushes it.
On `stopped` it waits `retry_after` (capped) and pushes from `stopped.id`; on 503 it waits
Retry-After; on any other 5xx or a dropped connection it resends the same batch after a
short back-off (pushes are idempotent: what was applied comes back `duplicate`).
"""

import random
import time

from syncbench.device import Phone

from .client import Dropped
from .world import PASSWORD

PUSH, SIGNIN, PULL = "push", "signin", "pull"
# Audit rows an applied mutation writes under its user (a check-in creates and checks in).
AUDIT_ROWS = {"visit.check_in": 2, "visit.update": 1, "visit.add_follow_up": 1}
AUDIT_ROWS["visit.check_out"] = 1


class Fatal(Exception):
    """An answer the device must not retry (a client bug or a refusal): stop this device."""


class Device:
    def __init__(self, http, user: dict, customers: list[dict], tally, seed: int, cap_s=5.0):
        self.http, self.user, self.customers, self.tally = http, user, customers, tally
        self.rng = random.Random(seed)
        self.phone = Phone()
        self.cap_s = cap_s  # longest wait between retries (the doc's retry_after can be 30 s)
        self.epoch = None
        self.outbox: list[dict] = []
        self.acked: dict[int, tuple[str, dict]] = {}  # id → (status, mutation)
        self.backoff = 0.25
        self.visits_made = 0
        self.completed: list[str] = []  # visits whose check-out was applied (for reviews)

    # --- sign-in and pull -------------------------------------------------------------
    def sign_in(self, deadline: float) -> None:
        creds = {"username": self.user["username"], "password": PASSWORD}
        body = creds | {"device_name": "bench phone"}
        while True:
            try:
                ans = self.http.post_json("/api/auth/token", body)
            except Dropped:
                self.tally.add(SIGNIN, "dropped")
                self._wait(deadline)
                continue
            if ans.status == 200:
                self.tally.add(SIGNIN, "ok", 200, ans.seconds)
                self.http.token = ans.json()["access_token"]
                self.backoff = 0.25
                return
            self.tally.add(SIGNIN, "error", ans.status, ans.seconds)
            if ans.status < 500 and ans.status != 429:
                raise Fatal(f"sign-in answered {ans.status}: {ans.text[:200]}")
            self._wait(deadline, ans.retry_after(self.backoff))

    def pull(self, deadline: float) -> None:
        body = {"client_id": self.phone.client_id, "server_epoch": None, "cursor": None}
        while True:
            try:
                ans = self.http.post_json("/api/sync/pull", body)
            except Dropped:
                self.tally.add(PULL, "dropped")
                self._wait(deadline)
                continue
            data = ans.json() or {}
            if ans.status != 200:
                self.tally.add(PULL, "error", ans.status, ans.seconds)
                if ans.status < 500:
                    raise Fatal(f"pull answered {ans.status}: {ans.text[:200]}")
                self._wait(deadline, ans.retry_after(self.backoff))
                continue
            self.tally.add(PULL, "ok", 200, ans.seconds)
            body |= {"server_epoch": data["server_epoch"], "cursor": data["cursor"]}
            self.epoch = data["server_epoch"]
            if not data["has_more"]:
                return

    def _wait(self, deadline: float, seconds: float | None = None) -> None:
        if time.monotonic() > deadline:
            raise Fatal("gave up: the run's deadline passed while retrying")
        time.sleep(min(seconds if seconds is not None else self.backoff, self.cap_s))
        self.backoff = min(self.backoff * 2, self.cap_s)

    # --- pushing ----------------------------------------------------------------------
    def record_visits(self, count: int) -> None:
        """The user records `count` visits: their mutations join the outbox."""
        for _ in range(count):
            customer = self.customers[self.visits_made % len(self.customers)]
            self.outbox.extend(self.phone.visit(customer, self.visits_made))
            self.visits_made += 1

    def push_once(self) -> float:
        """Push the outbox once; return how long to wait before the next push (0: go on)."""
        body = self.phone.push_body(self.outbox, self.epoch)
        try:
            ans = self.http.post_json("/api/sync/push", body)
        except Dropped:
            self.tally.add(PUSH, "dropped")
            return self._backoff()
        data = ans.json()
        if ans.status >= 500 or not isinstance(data, dict):
            outcome = "busy_503" if ans.status == 503 else "error"
            self.tally.add(PUSH, outcome, ans.status, ans.seconds)
            return self._backoff(ans.retry_after(self.backoff) if ans.status == 503 else None)
        self._take(data.get("results", []))
        if ans.status == 200 and "stopped" in data:
            self.tally.add(PUSH, "busy", 200, ans.seconds)
            return min(float(data["stopped"].get("retry_after", 1)), self.cap_s)
        if ans.status == 200:
            self.tally.add(PUSH, "ok", 200, ans.seconds)
            self.backoff = 0.25
            return 0.0
        if ans.status == 409 and data.get("error") == "gap":
            self.tally.add(PUSH, "gap", 409, ans.seconds)
            self.outbox = [m for m in self.outbox if m["id"] >= data["expected_id"]]
            if self.outbox and self.outbox[0]["id"] != data["expected_id"]:
                raise Fatal(f"server expects {data['expected_id']}, the outbox lost it")
            return 0.0
        if ans.status == 401:  # the token is gone: sign in again, keep the outbox
            self.tally.add(PUSH, "unauthorised", 401, ans.seconds)
            self.sign_in(time.monotonic() + 60)
            return 0.0
        self.tally.add(PUSH, "refused", ans.status, ans.seconds)
        raise Fatal(f"push answered {ans.status}: {ans.text[:300]}")

    def _backoff(self, seconds: float | None = None) -> float:
        wait = min(seconds if seconds is not None else self.backoff, self.cap_s)
        self.backoff = min(self.backoff * 2, self.cap_s)
        return wait

    def _take(self, results: list[dict]) -> None:
        """Acknowledge what the server answered; drop it from the outbox."""
        by_id = {m["id"]: m for m in self.outbox}
        for r in results:
            m = by_id.get(r["id"])
            if m is None:
                continue
            status = r["original"] if r["status"] == "duplicate" else r["status"]
            if r["status"] == "duplicate":
                self.tally.note(PUSH, "duplicate_answers")
            self.acked[m["id"]] = (status, m)
            if status == "applied" and m["name"] == "visit.check_out":
                self.completed.append(m["args"]["id"])
            elif status != "applied":
                self.tally.note(PUSH, f"mutations_{status}")
        done = {r["id"] for r in results}
        self.outbox = [m for m in self.outbox if m["id"] not in done]

    def drain(self, deadline: float) -> None:
        """Push until the outbox is empty (or the deadline passes)."""
        while self.outbox and time.monotonic() < deadline:
            wait = self.push_once()
            if wait:
                time.sleep(wait)

    # --- checking the database --------------------------------------------------------
    def expected(self) -> dict:
        """What the device was told was applied, and what it still holds unacknowledged."""
        out = {"visits": set(), "follow_ups": set(), "checked_out": set(), "rated": {}}
        out["audit"] = 0
        for status, m in self.acked.values():
            if status != "applied":
                continue
            out["audit"] += AUDIT_ROWS[m["name"]]
            args = m["args"]
            if m["name"] == "visit.check_in":
                out["visits"].add(args["id"])
            elif m["name"] == "visit.add_follow_up":
                out["follow_ups"].add(args["id"])
            elif m["name"] == "visit.check_out":
                out["checked_out"].add(args["id"])
            elif m["name"] == "visit.update" and "satisfaction" in args["fields"]:
                out["rated"][args["id"]] = args["fields"]["satisfaction"]
        out["pending"] = {m["args"]["id"] for m in self.outbox}
        return out

    def check(self, db) -> dict:
        """Lost: acknowledged but not in the database. Duplicated: rows beyond acknowledged
        (and pending) ones, mutation-log rows beyond acknowledged ids, or an applied
        mutation written twice (audit rows)."""
        want = self.expected()
        uid = self.user["id"]
        visits = {
            r[0]: r
            for r in db.execute(
                "SELECT id, check_out_at, satisfaction FROM visit WHERE account_manager_id = ?",
                [uid],
            )
        }
        fus = {
            r[0]
            for r in db.execute("SELECT id FROM follow_up WHERE account_manager_id = ?", [uid])
        }
        lost = len(want["visits"] - visits.keys()) + len(want["follow_ups"] - fus)
        lost += sum(1 for v in want["checked_out"] if v not in visits or not visits[v][1])
        lost += sum(1 for v, s in want["rated"].items() if v not in visits or visits[v][2] != s)
        extra = len(visits.keys() - want["visits"] - want["pending"])
        extra += len(fus - want["follow_ups"] - want["pending"])
        logged = db.execute(
            "SELECT count(*), coalesce(max(mutation_id), 0) FROM mutation_log WHERE client_id = ?",
            [self.phone.client_id],
        ).fetchone()
        lost += max(0, len(self.acked) - logged[0])
        extra += max(0, logged[0] - len(self.acked) - len(self.outbox))
        audited = db.execute(
            "SELECT count(*) FROM audit_log"
            " WHERE user_id = ? AND entity IN ('visit', 'follow_up')",
            [uid],
        ).fetchone()[0]
        pending_audit = sum(AUDIT_ROWS[m["name"]] for m in self.outbox)
        extra += max(0, audited - want["audit"] - pending_audit)  # a mutation applied twice
        return {"lost": lost, "duplicated": extra, "unacknowledged": len(self.outbox)}

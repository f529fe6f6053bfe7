"""A benchmark device: numbers its mutations, stamps them with an HLC, speaks HTTP/1.1.

It records what the field app records for one visit and talks to the server the way a
phone does: one keep-alive connection, JSON bodies, a bearer token, gzip accepted on pulls.
"""

import gzip
import http.client
import json
import time
import uuid

from server.ids import uuid7

PER_VISIT = 5  # check_in, update notes, add_follow_up, update satisfaction, check_out
NOTES = "客户反映新开通的专线在午高峰偶有丢包，已记录设备型号并约定下周复测。" * 2


class Phone:
    """One device: its client id, mutation numbering and hybrid logical clock."""

    def __init__(self):
        self.client_id = str(uuid.uuid4())
        self.next_id, self.last_ms, self.counter = 1, 0, 0

    def hlc(self) -> str:
        ms = int(time.time() * 1000)
        self.counter = self.counter + 1 if ms <= self.last_ms else 0
        self.last_ms = max(ms, self.last_ms)
        return f"{self.last_ms:015d}:{self.counter:05d}:{self.client_id[:8]}"

    def mutation(self, name: str, args: dict) -> dict:
        mid, self.next_id = self.next_id, self.next_id + 1
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {"id": mid, "name": name, "args": args, "hlc": self.hlc(), "device_time": at}

    def visit(self, customer: dict, n: int) -> list[dict]:
        """A whole visit as the field app records it: PER_VISIT mutations."""
        vid = uuid7()
        pos = {"lat": customer["lat"] + 0.0003, "lon": customer["lon"] + 0.0002}
        pos["accuracy"] = 8.0 + n % 30
        check_in = {"id": vid, "customer_id": customer["id"], "purpose": "routine", **pos}
        notes = {"notes": NOTES, "contacts_met": ["王经理"]}
        follow_up = {"id": uuid7(), "visit_id": vid, "action": "复测专线丢包并回访"}
        rating = {"satisfaction": 1 + n % 5, "feedback": "满意，希望提速"}
        return [
            self.mutation("visit.check_in", {**check_in, "at": "2026-11-20T02:00:00Z"}),
            self.mutation("visit.update", {"id": vid, "fields": notes}),
            self.mutation("visit.add_follow_up", {**follow_up, "due_date": "2026-11-27"}),
            self.mutation("visit.update", {"id": vid, "fields": rating}),
            self.mutation("visit.check_out", {"id": vid, **pos, "at": "2026-11-20T03:00:00Z"}),
        ]

    def visits(self, customers: list[dict], count: int, start: int) -> list[dict]:
        """`count` whole visits, spread over the customers round-robin from `start`."""
        out = []
        for n in range(start, start + count):
            out.extend(self.visit(customers[n % len(customers)], n))
        return out

    def push_body(self, mutations: list[dict], epoch: str) -> dict:
        return {
            "client_id": self.client_id,
            "server_epoch": epoch,
            "schema_version": 1,
            "app_version": "bench",
            "mutations": mutations,
        }


class Http:
    """A keep-alive JSON client over http.client."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token = None

    def post(self, path: str, body, accept_gzip: bool = False) -> tuple:
        """POST JSON; return (status, body, bytes on the wire, bytes decoded, seconds).

        The seconds run from sending the (already encoded) request to the last byte of
        the response: the server's work plus loopback transport, not the client's JSON.
        """
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if accept_gzip:
            headers["Accept-Encoding"] = "gzip"
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, payload, headers)
        except (BrokenPipeError, ConnectionResetError):
            # The peer closed the idle keep-alive connection (PouchDB Server's Node closes
            # one after 5 s): nothing was received, so open a new one and send it again.
            self.conn.close()
            started = time.perf_counter()
            self.conn.request("POST", path, payload, headers)
        resp = self.conn.getresponse()
        wire = resp.read()
        seconds = time.perf_counter() - started
        raw = gzip.decompress(wire) if resp.getheader("Content-Encoding") == "gzip" else wire
        return resp.status, json.loads(raw), len(wire), len(raw), seconds

    def push(self, body: dict, expect: str) -> tuple[float, dict]:
        """Push a batch; every mutation must come back with status `expect`."""
        status, data, *_, seconds = self.post("/api/sync/push", body)
        results = data.get("results", [])
        statuses = {r["status"] for r in results}
        assert status == 200 and statuses <= {expect}, (status, statuses, data.get("error"))
        assert len(results) == len(body["mutations"]), data.get("stopped")
        return seconds, data

"""A scripted device for sync tests: signs in, numbers its mutations, pushes, pulls.

It speaks the documented protocol (docs/sync-protocol.md) over the Flask test client or
real HTTP, so the server under test is the whole real stack.
"""

import copy
import hashlib
import io
import json
import time
import uuid

from server.ids import uuid7


class Device:
    def __init__(self, client, username, password, clock_offset_ms=0, name="test phone"):
        self.client = client
        self.client_id = str(uuid.uuid4())
        self.clock_offset_ms = clock_offset_ms  # how far this device's clock is off
        self.next_id = 1
        self.counter = 0
        self.epoch = None
        self.cursor = None
        self.rows: dict[tuple[str, str], dict] = {}
        self.last_mutation_id = 0
        resp = client.post(
            "/api/auth/token",
            json={"username": username, "password": password, "device_name": name},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.token = resp.get_json()["access_token"]
        self.user = resp.get_json()["user"]

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def hlc(self) -> str:
        self.counter += 1
        ms = int(time.time() * 1000) + self.clock_offset_ms
        return f"{ms:015d}:{self.counter:05d}:{self.client_id[:8]}"

    def mutation(self, name, args, base_version=None, mid=None) -> dict:
        """Build the next mutation (consumes an id unless mid is given)."""
        if mid is None:
            mid, self.next_id = self.next_id, self.next_id + 1
        m = {"id": mid, "name": name, "args": args, "hlc": self.hlc()}
        if base_version is not None:
            m["base_version"] = base_version
        m["device_time"] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + self.clock_offset_ms / 1000)
        )
        return m

    def push(self, mutations, epoch=None):
        body = {
            "client_id": self.client_id,
            "server_epoch": epoch if epoch is not None else self.epoch,
            "schema_version": 1,
            "app_version": "test",
            "mutations": mutations,
        }
        resp = self.client.post("/api/sync/push", json=body, headers=self.headers)
        data = resp.get_json()
        if resp.status_code == 200 and data.get("server_epoch"):
            self.epoch = data["server_epoch"]  # §5: send it with every later push and pull
        return resp.status_code, data

    def push_one(self, name, args, base_version=None) -> dict:
        """Push one mutation; its result (the push itself must answer 200)."""
        status, body = self.push([self.mutation(name, args, base_version)])
        assert status == 200, body
        return body["results"][0]

    def applied(self, name, args, base_version=None) -> dict:
        """Push one mutation that must be applied; its result's payload."""
        result = self.push_one(name, args, base_version)
        assert result["status"] == "applied", result
        return result["result"]

    def pull(self, limit=500, max_pages=None):
        """Pull to the end (or max_pages), applying puts and deletes; return the last body."""
        pages = 0
        while True:
            pages += 1
            body = {
                "client_id": self.client_id,
                "server_epoch": self.epoch,
                "cursor": self.cursor,
                "limit": limit,
            }
            resp = self.client.post("/api/sync/pull", json=body, headers=self.headers)
            data = resp.get_json()
            if resp.status_code == 409 and data.get("reset"):
                self.epoch, self.cursor, self.rows = data["server_epoch"], None, {}
                continue
            assert resp.status_code == 200, data
            self.epoch, self.cursor = data["server_epoch"], data["cursor"]
            self.last_mutation_id = data["last_mutation_id"]
            for change in data["changes"]:
                key = (change["entity"], change["id"])
                if change["op"] == "put":
                    self.rows[key] = change["row"]
                else:
                    self.rows.pop(key, None)
            if not data["has_more"] or pages == max_pages:
                return data

    def entities(self, name) -> dict[str, dict]:
        return {k[1]: v for k, v in self.rows.items() if k[0] == name}


def new_id() -> str:
    return uuid7()


def jpeg_bytes(seed: int = 0, size: int = 5000) -> bytes:
    """A real JPEG of exactly `size` bytes, deterministic per seed (the server decodes every
    upload): an 8 x 8 image padded with comment segments. Below the smallest JPEG (about
    630 bytes) only bytes that start like one, for tests refused before any check of content."""
    from PIL import Image

    filler = hashlib.sha256(str(seed).encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", (8, 8), tuple(filler[:3])).save(out, "JPEG", quality=50)
    base = out.getvalue()
    remaining = size - len(base)
    if remaining < 4:
        body = filler * (size // 32 + 1)
        return b"\xff\xd8\xff\xe0" + body[: size - 4]
    segments = []
    while remaining:
        n = min(remaining, 65537)  # a COM segment: FF FE, 2 length bytes, <= 65533 bytes
        if 0 < remaining - n < 4:
            n = remaining - 4
        payload = (filler * (n // 32 + 1))[: n - 4]
        segments.append(b"\xff\xfe" + (n - 2).to_bytes(2, "big") + payload)
        remaining -= n
    return base[:2] + b"".join(segments) + base[2:]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def check_in(device, customer, visit_id=None, lat=30.2745, lon=120.1555, accuracy=12.0):
    """A visit.check_in mutation of device's at customer (about 50 m from the factory spot)."""
    args = {
        "id": visit_id or new_id(),
        "customer_id": customer["id"],
        "purpose": "routine",
        "lat": lat,
        "lon": lon,
        "accuracy": accuracy,
        "at": "2026-11-20T02:00:00Z",
    }
    return device.mutation("visit.check_in", args)


def count(db, table, where="1", params=()):
    """How many rows of table match where."""
    return db.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]


def second_phone(dev: Device) -> Device:
    """The same user signed in on another phone: a new client id (no second sign-in)."""
    other = copy.copy(dev)
    other.client_id, other.next_id, other.rows = str(uuid.uuid4()), 1, {}
    return other


class HttpClient:
    """The Flask test client's `post` (JSON in, `.get_json()` out) over real HTTP, so a
    Device can talk to a server running in another process (gunicorn)."""

    def __init__(self, url: str, timeout: float = 10):
        import requests

        self.url, self.timeout = url, timeout
        self.session = requests.Session()

    def post(self, path, json=None, headers=None):
        resp = self.session.post(self.url + path, json=json, headers=headers, timeout=self.timeout)
        resp.get_json = resp.json
        return resp

    def head(self, path, headers=None):
        return self.session.head(self.url + path, headers=headers, timeout=self.timeout)

    def put(self, path, data=None, headers=None, content_type=None):
        headers = {**(headers or {}), "Content-Type": content_type}
        resp = self.session.put(self.url + path, data=data, headers=headers, timeout=self.timeout)
        resp.get_json = resp.json
        return resp

"""Field devices for the province load (bench/province_load.py): a day's work sent in the
small batches a phone with signal sends, photos uploaded before the mutation naming them.

An account manager's phone records a visit (check-in, notes, a photo, a follow-up, rating,
check-out); a technician's phone works an inspection order (accept, travel, arrive, one
answer per checklist item, a photo, resolve, submit). Each turn the device pushes what it
recorded since its last push: usually one step (signal on site), sometimes a whole visit or
order at once (it was offline). The push, retry and acknowledgement logic is Device's.
"""

import hashlib
import io
import json
import random

from PIL import Image

from server.ids import uuid7

from .client import Dropped
from .device import Device

BLOB = "blob"
AT = "2026-11-20T02:00:00Z"
OFFLINE_SHARE = 0.2  # turns that send a whole visit or order at once (ours)


def base_jpeg(seed: int = 1, size=(480, 360)) -> bytes:
    """A real JPEG of noise (about 100 KB, like a phone photo scaled down by the app)."""
    rng = random.Random(seed)
    img = Image.frombytes(
        "RGB", size, bytes(rng.getrandbits(8) for _ in range(3 * size[0] * size[1]))
    )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


class FieldDevice(Device):
    """Device plus a script of recorded steps sent a few at a time, and photo uploads."""

    def __init__(self, *args, jpeg: bytes, **kw):
        super().__init__(*args, **kw)
        self.jpeg = jpeg
        self.script: list[list[dict]] = []  # steps recorded, not yet in the outbox
        self.photos: dict[int, bytes] = {}  # mutation id → the photo it names
        self.photo_seq = 0
        self.uploaded: set[int] = set()

    def photo(self) -> dict:
        """A new photo (unique bytes: the JPEG with a comment segment naming it)."""
        self.photo_seq += 1
        note = f"{self.phone.client_id}:{self.photo_seq}".encode()
        data = (
            self.jpeg[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + self.jpeg[2:]
        )
        return {
            "sha256": hashlib.sha256(data).hexdigest(),
            "mime": "image/jpeg",
            "size": len(data),
            "_bytes": data,
        }

    def step(self, name: str, args: dict) -> dict:
        data = args.pop("_bytes", None)
        m = self.phone.mutation(name, args)
        if data is not None:
            self.photos[m["id"]] = data
        return m

    def turn(self) -> float:
        """Record what is due, upload its photos, push; the wait before the next turn."""
        if not self.outbox:
            if not self.script:
                self.script = self.record()
            take = len(self.script) if self.rng.random() < OFFLINE_SHARE else 1
            for group in self.script[:take]:
                self.outbox.extend(group)
            del self.script[:take]
        for m in self.outbox:
            if m["id"] in self.photos and m["id"] not in self.uploaded:
                if not self.upload(self.photos[m["id"]]):
                    return self._backoff()
                self.uploaded.add(m["id"])
        wait = self.push_once()
        for mid in [mid for mid in self.photos if mid in self.acked]:
            del self.photos[mid]
        return wait

    def upload(self, data: bytes) -> bool:
        sha = hashlib.sha256(data).hexdigest()
        headers = {
            "Upload-Offset": "0",
            "Upload-Length": str(len(data)),
            "Content-Type": "image/jpeg",
        }
        try:
            ans = self.http.request("PUT", f"/api/blobs/{sha}", data, headers)
        except Dropped:
            self.tally.add(BLOB, "dropped")
            return False
        # 409 at the whole length: an earlier try's answer was lost, the server holds it all.
        ok = ans.status == 200 or (
            ans.status == 409 and ans.headers.get("Upload-Offset") == str(len(data))
        )
        outcome = (
            "ok"
            if ok
            else ("busy_503" if ans.status == 503 else "error" if ans.status >= 500 else "refused")
        )
        self.tally.add(BLOB, outcome, ans.status, ans.seconds)
        if ok:
            self.tally.note(BLOB, "bytes", len(data))
        elif ans.status < 500:
            raise RuntimeError(f"upload answered {ans.status}: {ans.text[:200]}")
        return ok


class ManagerPhone(FieldDevice):
    def record(self) -> list[list[dict]]:
        customer = self.customers[self.visits_made % len(self.customers)]
        n, vid = self.visits_made, uuid7()
        self.visits_made += 1
        pos = {
            "lat": customer["lat"] + 0.0003,
            "lon": customer["lon"] + 0.0002,
            "accuracy": 8.0 + n % 30,
        }
        photo = self.photo()
        return [
            [
                self.step(
                    "visit.check_in",
                    {
                        "id": vid,
                        "customer_id": customer["id"],
                        "purpose": "routine",
                        **pos,
                        "at": AT,
                    },
                )
            ],
            [
                self.step(
                    "visit.update",
                    {
                        "id": vid,
                        "fields": {
                            "notes": "客户反映专线午高峰偶有丢包，已记录设备型号。",
                            "contacts_met": ["王经理"],
                        },
                    },
                )
            ],
            [
                self.step(
                    "visit.add_photo",
                    {"id": uuid7(), "visit_id": vid, **photo, "caption": "机房", "taken_at": AT},
                )
            ],
            [
                self.step(
                    "visit.add_follow_up",
                    {
                        "id": uuid7(),
                        "visit_id": vid,
                        "action": "复测专线丢包并回访",
                        "due_date": "2026-11-27",
                    },
                )
            ],
            [
                self.step(
                    "visit.update",
                    {"id": vid, "fields": {"satisfaction": 1 + n % 5, "feedback": "满意"}},
                )
            ],
            [self.step("visit.check_out", {"id": vid, **pos, "at": "2026-11-20T03:00:00Z"})],
        ]

    def check(self, db) -> dict:
        """Lost or duplicated by the mutation log and the visit rows (Device.check's rules
        for what it knows; photos by their rows)."""
        found = mutation_log_check(self, db)
        visits = {
            r[0]
            for r in db.execute(
                "SELECT id FROM visit WHERE account_manager_id = ?", [self.user["id"]]
            )
        }
        want = {
            m["args"]["id"]
            for s, m in self.acked.values()
            if s == "applied" and m["name"] == "visit.check_in"
        }
        photos = {
            m["args"]["id"]
            for s, m in self.acked.values()
            if s == "applied" and m["name"] == "visit.add_photo"
        }
        held = {
            r[0]
            for r in db.execute(
                "SELECT id FROM visit_photo WHERE id IN (SELECT value FROM json_each(?))",
                [json_list(photos)],
            )
        }
        found["lost"] += len(want - visits) + len(photos - held)
        return found


class TechnicianPhone(FieldDevice):
    def __init__(self, *args, orders: list[dict], items: list[dict], **kw):
        super().__init__(*args, **kw)
        self.orders, self.items = list(orders), items

    def record(self) -> list[list[dict]]:
        if not self.orders:
            return [
                [
                    self.step(
                        "work_order.update",
                        {"id": self.last, "fields": {"fix": f"复查 {self.photo_seq}"}},
                    )
                ]
            ]
        order = self.orders.pop(0)
        self.last = oid = order["id"]
        where = {"lat": 30.28, "lon": 120.16, "accuracy": 8.0}
        steps = [
            [self.step("work_order.accept", {"id": oid, "at": AT})],
            [self.step("work_order.travel", {"id": oid, "at": AT, "lat": 30.27, "lon": 120.15})],
            [self.step("work_order.arrive", {"id": oid, "at": AT, **where})],
        ]
        for item in self.items:
            value = {"passed": True} if item["kind"] == "pass_fail" else {"value_number": 22}
            answer = {
                "id": uuid7(),
                "work_order_id": oid,
                "item_id": item["id"],
                "at": AT,
                **value,
            }
            steps.append([self.step("inspection.answer", answer | {"remark": "正常"})])
        photo = self.photo()
        steps.append(
            [
                self.step(
                    "work_order.add_photo",
                    {
                        "id": uuid7(),
                        "work_order_id": oid,
                        "stage": "after",
                        **photo,
                        "caption": "机柜",
                        "taken_at": AT,
                    },
                )
            ]
        )
        report = {"diagnosis": "例行巡检", "cause": "无", "fix": "无需处理", "parts_used": []}
        steps.append([self.step("work_order.resolve", {"id": oid, "at": AT, **report})])
        steps.append([self.step("work_order.submit", {"id": oid, "at": AT})])
        return steps

    def check(self, db) -> dict:
        found = mutation_log_check(self, db)
        answers = {
            m["args"]["id"]
            for s, m in self.acked.values()
            if s == "applied" and m["name"] == "inspection.answer"
        }
        held = {
            r[0]
            for r in db.execute(
                "SELECT id FROM inspection_answer WHERE id IN (SELECT value FROM json_each(?))",
                [json_list(answers)],
            )
        }
        found["lost"] += len(answers - held)
        return found


def json_list(values) -> str:
    return json.dumps(sorted(values))


def mutation_log_check(dev: Device, db) -> dict:
    """Every acknowledged mutation logged once under the device's client id; none beyond."""
    logged = db.execute(
        "SELECT count(*), count(DISTINCT mutation_id) FROM mutation_log WHERE client_id = ?",
        [dev.phone.client_id],
    ).fetchone()
    ids = {
        r[0]
        for r in db.execute(
            "SELECT mutation_id FROM mutation_log WHERE client_id = ?", [dev.phone.client_id]
        )
    }
    lost = len(set(dev.acked) - ids)
    duplicated = (logged[0] - logged[1]) + len(
        ids - set(dev.acked) - {m["id"] for m in dev.outbox}
    )
    return {"lost": lost, "duplicated": duplicated, "unacknowledged": len(dev.outbox)}

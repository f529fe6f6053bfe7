"""Generators of hostile device-API requests: mutations, the push/pull envelope, blobs,
auth and push subscriptions (see tests/hostile.py for what a case checks)."""

import hashlib
import json

from tests.device import new_id
from tests.hostile import (
    MISSING,
    SURROGATE,
    Case,
    api_error_shape,
    deep,
    five_xx,
    hostile_values,
    is_free_text,
    mutation_args,
    with_arg,
)
from tests.hostile_world import dumps, push_subscription

AT = "2026-06-01T09:00:00+08:00"
HERE = {"lat": 30.27, "lon": 120.15, "accuracy": 8.5}  # metres, a float like a phone gives


def _photo(w, owner_key):
    from tests.hostile_world import jpeg

    seeds = {"A": 1, "B": 2, "TA": 3, "TB": 4}
    return {"sha256": w.shas[owner_key], "mime": "image/jpeg", "size": len(jpeg(seeds[owner_key]))}


# A valid-looking base per mutation, for account manager A (or technician TA): which
# record each id names is found through world.ids, so a generator knows B's counterpart.
BASES = {
    "visit.plan": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer0"],
        "planned_date": "2026-12-20",
        "purpose": "routine",
    },
    "visit.check_in": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer1"],
        "purpose": "routine",
        **HERE,
        "at": AT,
    },
    "visit.update": lambda w: {
        "id": w.rec["A.visit_open"],
        "fields": {"notes": "客户满意", "satisfaction": 4, "feedback": "很好"},
    },
    "visit.check_out": lambda w: {"id": w.rec["A.visit_open"], **HERE, "at": AT},
    "visit.cancel": lambda w: {"id": w.rec["A.visit_planned"]},
    "visit.resubmit": lambda w: {"id": w.rec["A.visit_done"], "at": AT},
    "visit.add_photo": lambda w: {
        "id": new_id(),
        "visit_id": w.rec["A.visit_open"],
        **_photo(w, "A"),
        "caption": "门头照片",
        "taken_at": AT,
    },
    "visit.sign": lambda w: {"visit_id": w.rec["A.visit_done"], **_photo(w, "A")},
    "visit.add_follow_up": lambda w: {
        "id": new_id(),
        "visit_id": w.rec["A.visit_open"],
        "action": "回访客户",
        "due_date": "2026-12-01",
    },
    "work_order.accept": lambda w: {"id": w.rec["A.wo_new"], "at": AT},
    "work_order.travel": lambda w: {"id": w.rec["A.wo_new"], "at": AT, "lat": 30.2, "lon": 120.1},
    "work_order.arrive": lambda w: {"id": w.rec["A.wo_new"], "at": AT, **HERE},
    "work_order.update": lambda w: {
        "id": w.rec["A.wo_site"],
        "fields": {"diagnosis": "光模块故障", "parts_used": ["光模块"]},
    },
    "work_order.resolve": lambda w: {
        "id": w.rec["A.wo_site"],
        "at": AT,
        "diagnosis": "光模块故障",
        "cause": "老化",
        "fix": "更换光模块",
        "parts_used": ["光模块"],
    },
    "work_order.submit": lambda w: {"id": w.rec["A.wo_site"], "at": AT},
    "work_order.add_photo": lambda w: {
        "id": new_id(),
        "work_order_id": w.rec["A.wo_site"],
        "stage": "evidence",
        **_photo(w, "TA"),
        "caption": "现场照片",
    },
    "work_order.report_exception": lambda w: {
        "id": new_id(),
        "title": "线缆破损",
        "description": "光缆外皮破损",
        **HERE,
        "at": AT,
        "site_id": w.rec["A.site"],
    },
    "inspection.answer": lambda w: {
        "id": new_id(),
        "work_order_id": w.rec["A.wo_insp"],
        "item_id": w.rec["A.item1"],
        "passed": True,
        "remark": "正常",
        "at": AT,
    },
    "inspection.open_rectification": lambda w: {
        "id": new_id(),
        "work_order_id": w.rec["A.wo_insp"],
        "item_id": w.rec["A.item1"],
        "title": "整改接地",
        "description": "接地电阻超标",
    },
    "task.complete": lambda w: {"id": w.rec["A.task"], "at": AT, "note": "已完成回访"},
    "appointment.record": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer0"],
        "wanted_at": "2026-12-01T10:00",
        "need": "宽带报修",
        "contact_name": "张先生",
        "contact_phone": "13800000000",
    },
    "care.done": lambda w: {
        "id": new_id(),
        "key": w.rec["A.care_key"],
        "how": "call",
        "note": "已致电",
        "at": AT,
    },
    "retention.outcome": lambda w: {
        "id": w.rec["A.retention_task"],
        "outcome": "retained",
        "reason": "客户续约",
        "at": AT,
    },
    "user.locale": lambda w: {"locale": "zh_CN"},
    "contact.add": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer0"],
        "name": "赵秘书",
        "title": "秘书",
        "phone": "0571-88886666",
        "email": "zhao@example.com",
        "birthday": "1980-02-29",
        "key_dates": [{"label": "签约纪念日", "date": "2020-06-01"}],
        "notes": "周三在",
    },
    "contact.update": lambda w: {
        "id": w.rec["A.contact"],
        "fields": {"phone": "13900000000", "birthday": "1981-03-01", "notes": "改"},
    },
    "contact.remove": lambda w: {"id": w.rec["A.contact_gone"]},
    "customer.update": lambda w: {
        "id": w.rec["A.customer1"],
        "fields": {"address": "新地址", "notes": "前台", "founded_on": "2001-01-01"},
    },
    "visit.log_contact": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer1"],
        "channel": "phone",
        "at": AT,
        "notes": "电话回访",
    },
    "follow_up.done": lambda w: {"id": w.rec["A.follow_up"], "at": AT, "note": "已回访"},
    "complaint.add": lambda w: {
        "id": new_id(),
        "customer_id": w.rec["A.customer0"],
        "channel": "visit",
        "category": "network_quality",
        "severity": "high",
        "words": "信号差，电话经常掉线",
        "at": AT,
    },
    "complaint.update": lambda w: {
        "id": w.rec["A.complaint"],
        "fields": {"words": "补充：晚上更严重", "channel": "hotline_transfer"},
    },
    "complaint.give_feedback": lambda w: {
        "id": w.rec["A.complaint_handled"],
        "how": "phone",
        "reaction": "satisfied",
        "note": "客户认可",
        "at": AT,
    },
}
# What a mutation whose base `id` is new creates (its counterpart of B's is an id taken).
CREATES = {
    "visit.plan": "visit",
    "visit.check_in": "visit",
    "visit.add_photo": "visit_photo",
    "visit.add_follow_up": "follow_up",
    "work_order.add_photo": "work_order_photo",
    "work_order.report_exception": "work_order",
    "inspection.answer": "inspection_answer",
    "inspection.open_rectification": "work_order",
    "appointment.record": "appointment",
    "care.done": "care_done",
    "contact.add": "contact",
    "visit.log_contact": "visit",
    "complaint.add": "complaint",
}


def device_of(name: str) -> str:
    return "TA" if name.startswith(("work_order.", "inspection.")) else "A"


# Arguments the bases leave out, with a valid value of their type (text when not listed).
SAMPLES = {"value_number": 12.5}


def fuzzed_args(world, name: str) -> dict[str, bool]:
    """The arguments to fuzz: those the code reads, the base's, and nested `fields` keys."""
    spec = world.app.extensions["sync_registry"].mutations[name]
    found = mutation_args(spec)
    base = BASES[name](world)
    for key in base:
        found.setdefault(key, False)
    for key in base.get("fields", {}):
        found[f"fields.{key}"] = False
    if "fields" in base:
        found["fields.unknown_field"] = False
    return found


def _base_value(base: dict, path: str):
    target, *rest = path.split(".")
    value = base.get(target, MISSING)
    if rest and isinstance(value, dict):
        return value.get(rest[0], MISSING)
    return value


def mutation_cases(world):
    registry = world.app.extensions["sync_registry"]
    for name in sorted(registry.mutations):
        if name not in BASES:
            yield Case("mutation_args", name, "*", "no_base", _no_base(name))
            continue
        base = BASES[name](world)
        for arg in fuzzed_args(world, name):
            value = _base_value(base, arg)
            if arg == "fields.unknown_field":
                yield Case("mutation_args", name, arg, "unknown", _push(name, arg, "x", True))
                continue
            sample = SAMPLES.get(arg, "x") if value is MISSING else value
            for cls, hostile, must in hostile_values(sample, is_free_text(value)):
                yield Case("mutation_args", name, arg, cls, _push(name, arg, hostile, must))
            if isinstance(value, str) and value in world.ids:
                yield from _reference_cases(world, name, arg, value)
            elif arg == "id" and name in CREATES:
                foreign = world.of(CREATES[name], "B")
                if foreign:
                    yield Case(
                        "mutation_args",
                        name,
                        arg,
                        "taken_by_other_scope",
                        _push(name, arg, foreign, True),
                    )


def _reference_cases(world, name, arg, value):
    entity, _ = world.ids[value]
    foreign = world.of(entity, "B")
    if foreign:
        yield Case(
            "mutation_args",
            name,
            arg,
            "foreign_vs_missing",
            _foreign_vs_missing(name, arg, foreign),
        )
    other = next((v for v, (e, o) in world.ids.items() if o == "A" and e != entity), None)
    if other:
        yield Case("mutation_args", name, arg, "other_entity_id", _push(name, arg, other, True))


def _no_base(name):
    def run(fz):
        return 0, [f"no valid base for {name}: add it to tests/hostile_api.BASES"]

    return run


def _push(name, arg, value, must):
    def run(fz):
        dev = fz.world.devices[device_of(name)]
        args = with_arg(BASES[name](fz.world), arg, value)
        status, problems, _ = fz.mutation(dev, name, args, arg, must)
        return status, problems

    return run


def _foreign_vs_missing(name, arg, foreign):
    def run(fz):
        dev = fz.world.devices[device_of(name)]
        s1, p1, theirs = fz.mutation(
            dev, name, with_arg(BASES[name](fz.world), arg, foreign), arg, True
        )
        missing = new_id()
        s2, p2, absent = fz.mutation(
            dev, name, with_arg(BASES[name](fz.world), arg, missing), arg, True
        )
        problems = p1 + p2
        if theirs and absent:
            one = (theirs[0], theirs[1].get("code"), theirs[1].get("message"))
            two = (absent[0], absent[1].get("code"), absent[1].get("message"))
            if one != two:
                problems.append(f"foreign {one[:2]} differs from missing {two[:2]}")
        return max(s1, s2), problems

    return run


# ---- the push and pull envelope ----

DEVICE = {
    "unsynced_count": 1,
    "oldest_unsynced_at": "2026-06-01T09:00:00Z",
    "storage_used": 1000,
    "storage_quota": 100000,
    "clock_offset_ms": 120,
}


def _envelope_push(field, value, must, known_client=True):
    def run(fz):
        dev = fz.world.devices["A2"]
        m = {"id": dev.next_id, "name": "fuzz.nothing", "args": {}, "hlc": dev.hlc()}
        body = {
            "client_id": dev.client_id,
            "server_epoch": dev.epoch,
            "schema_version": 1,
            "app_version": "fuzz",
            "device": dict(DEVICE),
            "mutations": [m],
        }
        if field.startswith("mutation."):
            body["mutations"] = [with_arg(m, field.split(".", 1)[1], value)]
        else:
            body = with_arg(body, field, value)
        return _envelope_check(fz, dev, "/api/sync/push", dumps(body), must)

    return run


def _envelope_check(fz, dev, path, text, must):
    before = fz.snapshot()
    headers = {**dev.headers, "Content-Type": "application/json"}
    if path.endswith("push"):
        answer = fz.push_text(dev, text)
    else:
        answer = fz.send("POST", path, data=text.encode("utf-8", "surrogatepass"), headers=headers)
    problems = five_xx(answer) + api_error_shape(answer) + fz.changed(before)
    if must and answer.status == 200:
        problems.append("accepted (200) instead of 400 with a reason")
    return answer.status, problems


def _envelope_pull(field, value, must):
    def run(fz):
        dev = fz.world.devices["A2"]
        body = {
            "client_id": dev.client_id,
            "server_epoch": dev.epoch,
            "cursor": dev.cursor,
            "limit": 50,
        }
        return _envelope_check(
            fz, dev, "/api/sync/pull", dumps(with_arg(body, field, value)), must
        )

    return run


def _raw(path, text, must=True):
    def run(fz):
        return _envelope_check(fz, fz.world.devices["A2"], path, text, must)

    return run


RAW_BODIES = {
    "list": "[]",
    "number": "1",
    "string": '"push"',
    "null": "null",
    "not_json": "{nope",
    "deep_100k": "[" * 100_000 + "]" * 100_000,
    "deep_object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "surrogate_raw": '{"client_id": "\\ud83d\\ud83d\\ud83d\\ud83d"}',
}


def envelope_cases(world):
    dev = world.devices["A2"]
    for cls, text in RAW_BODIES.items():
        for path in ("/api/sync/push", "/api/sync/pull"):
            yield Case("envelope", path, "body", cls, _raw(path, text))
    base = {
        "client_id": dev.client_id,
        "server_epoch": "e" * 16,
        "schema_version": 1,
        "app_version": "fuzz",
    }
    for field, sample in base.items():
        for cls, value, must in hostile_values(sample):
            if field == "app_version" and cls in ("missing", "null"):
                must = False
            if field == "server_epoch" and cls in ("missing", "null"):
                must = True  # a client the server knows must send its epoch
            if field == "schema_version" and cls in ("missing", "null"):
                must = False
            yield Case(
                "envelope", "/api/sync/push", field, cls, _envelope_push(field, value, must)
            )
    for cls, value in (("short", "x"), ("65_chars", "c" * 65), ("other_users", None)):
        yield Case(
            "envelope",
            "/api/sync/push",
            "client_id",
            cls,
            _envelope_push("client_id", value or world.devices["B"].client_id, True),
        )
    for key, sample in DEVICE.items():
        for cls, value, _must in hostile_values(sample):
            # The device report is advisory: a figure out of range is clamped and one that is
            # not a number stored as NULL (docs/sync-protocol.md §12), never refused; no 5xx.
            must = False
            yield Case(
                "envelope",
                "/api/sync/push",
                f"device.{key}",
                cls,
                _envelope_push(f"device.{key}", value, must),
            )
    yield Case(
        "envelope",
        "/api/sync/push",
        "device.clock_offset_ms",
        "int64_min",
        _envelope_push("device.clock_offset_ms", -(2**63), False),  # clamped
    )
    mutation_fields = {
        "id": 1,
        "name": "fuzz.nothing",
        "args": {},
        "hlc": "x",
        "base_version": 1,
        "device_time": AT,
    }
    for key, sample in mutation_fields.items():
        for cls, value, must in hostile_values(sample):
            if key in ("base_version", "device_time") and cls in ("missing", "null"):
                must = False
            if key == "name" and cls in ("nul", "text", "numeric_text", "surrogate", "1MB"):
                must = False  # an unknown name is rejected in the results, not the envelope
            yield Case(
                "envelope",
                "/api/sync/push",
                f"mutation.{key}",
                cls,
                _envelope_push(f"mutation.{key}", value, must),
            )
    pull = {"client_id": dev.client_id, "server_epoch": "e" * 16, "cursor": "c:1", "limit": 50}
    for field, sample in pull.items():
        for cls, value, must in hostile_values(sample):
            if field in ("cursor", "limit") and cls in ("missing", "null"):
                must = False
            if field == "limit" and cls in ("2**63", "-2**63-1"):
                must = False  # any integer is clamped to 1 … 5000 (docs/sync-protocol.md §6)
            if field == "server_epoch":
                must = False  # an unknown epoch is a 409 reset, a missing one a first pull
            yield Case(
                "envelope", "/api/sync/pull", field, cls, _envelope_pull(field, value, must)
            )
    for cls, value in (
        ("c:2**64", "c:99999999999999999999"),
        ("c:-1", "c:-1"),
        ("c:nan", "c:nan"),
        ("c:1e308", "c:1e308"),
        ("x:1", "x:1"),
    ):
        yield Case(
            "envelope", "/api/sync/pull", "cursor", cls, _envelope_pull("cursor", value, True)
        )
    for cls, value in (("zero", 0), ("negative", -1), ("huge", 10**9)):
        yield Case(
            "envelope", "/api/sync/pull", "limit", cls, _envelope_pull("limit", value, False)
        )
    yield Case(
        "envelope", "/api/sync/pull", "client_id", "short", _envelope_pull("client_id", "x", True)
    )


# ---- blobs ----

SHAS = {
    "upper": "A" * 64,
    "short": "a" * 63,
    "long": "a" * 65,
    "not_hex": "g" * 64,
    "dots": "..%2F..%2Fetc%2Fpasswd",
    "surrogate": "%ED%A0%BD" * 4,
    "10KB": "a" * 10_000,
}
HEADER_VALUES = {
    "missing": None,
    "negative": "-1",
    "text": "abc",
    "float": "1.5",
    "exp": "1e3",
    "2**64": "99999999999999999999",
    "space": " 0 ",
    "hex": "0x10",
    "10KB": "9" * 10_000,
}


def _blob(method, sha_of, headers=None, data=b"", as_user="A", compare_missing=False):
    def run(fz):
        w = fz.world
        sha = sha_of(w)
        dev = w.devices[as_user]
        hdrs = {**dev.headers, **{k: v for k, v in (headers or {}).items() if v is not None}}
        answer = fz.send(method, f"/api/blobs/{sha}", data=data, headers=hdrs)
        problems = five_xx(answer) + api_error_shape(answer, method)
        if compare_missing:
            missing = fz.send(method, f"/api/blobs/{'0' * 64}", headers=dev.headers)
            if (answer.status, answer.text) != (missing.status, missing.text):
                problems.append(f"another user's blob {answer.status} vs missing {missing.status}")
        return answer.status, problems

    return run


def blob_cases(world):
    data = b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>" * 10
    new_sha = hashlib.sha256(data).hexdigest()
    shas = {"new": lambda w: new_sha, **{k: (lambda w, v=v: v) for k, v in SHAS.items()}}
    for method in ("HEAD", "GET", "PUT"):
        for cls, sha_of in shas.items():
            yield Case("blobs", f"{method} /api/blobs/<sha>", "sha", cls, _blob(method, sha_of))
        yield Case(
            "blobs",
            f"{method} /api/blobs/<sha>",
            "sha",
            "no_token",
            _blob(method, lambda w: new_sha, {"Authorization": "Bearer nope"}),
        )
    for method in ("HEAD", "GET"):
        yield Case(
            "blobs",
            f"{method} /api/blobs/<sha>",
            "sha",
            "other_users_blob",
            _blob(method, lambda w: w.shas["B"], compare_missing=True),
        )
    good = {"Upload-Offset": "0", "Upload-Length": str(len(data)), "Content-Type": "image/jpeg"}
    for header in ("Upload-Offset", "Upload-Length", "Content-Type", "Chunk-SHA256"):
        values = dict(HEADER_VALUES)
        if header == "Content-Type":
            values = {
                "missing": None,
                "html": "text/html",
                "params": 'image/jpeg; x="y"',
                "10KB": "image/" + "j" * 10_000,
                "empty": "",
            }
        if header == "Chunk-SHA256":
            values = {"wrong": "0" * 64, "not_hex": "z" * 64, "10KB": "a" * 10_000}
        for cls, value in values.items():
            headers = {**good, header: value}
            yield Case(
                "blobs",
                "PUT /api/blobs/<sha>",
                header,
                cls,
                _blob("PUT", lambda w: new_sha, headers, data),
            )
    bodies = {"empty": b"", "html": b"<html>" * 100, "wav_as_webp": b"RIFF\x00\x00\x00\x00WAVE"}
    for cls, body in bodies.items():
        sha = hashlib.sha256(body).hexdigest()
        headers = {
            "Upload-Offset": "0",
            "Upload-Length": str(len(body)),
            "Content-Type": "image/webp",
        }
        yield Case(
            "blobs",
            "PUT /api/blobs/<sha>",
            "body",
            cls,
            _blob("PUT", lambda w, s=sha: s, headers, body),
        )
    yield Case(
        "blobs",
        "PUT /api/blobs/<sha>",
        "body",
        "length_mismatch",
        _blob("PUT", lambda w: new_sha, {**good, "Upload-Length": "3"}, data),
    )


# ---- auth ----


def _auth(path, text=None, headers=None, method="POST"):
    def run(fz):
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        raw = None if text is None else text.encode("utf-8", "surrogatepass")
        answer = fz.send(method, path, data=raw, headers=hdrs)
        problems = five_xx(answer) + api_error_shape(answer, method)
        if answer.status == 200 and path == "/api/auth/token":
            problems.append("signed in with a hostile body")
        return answer.status, problems

    return run


def auth_cases(world):
    for path in ("/api/auth/token", "/api/auth/refresh"):
        for cls, text in RAW_BODIES.items():
            yield Case("auth", path, "body", cls, _auth(path, text))
        yield Case(
            "auth", path, "body", "1MB_field", _auth(path, dumps({"username": "x" * 1_000_000}))
        )
    base = {"username": "am.pan", "password": "wrong password", "device_name": "fuzz"}
    for field, sample in base.items():
        for cls, value, _ in hostile_values(sample):
            yield Case(
                "auth",
                "/api/auth/token",
                field,
                cls,
                _auth("/api/auth/token", dumps(with_arg(base, field, value))),
            )
    for cls, value, _ in hostile_values("r" * 40):
        yield Case(
            "auth",
            "/api/auth/refresh",
            "refresh_token",
            cls,
            _auth(
                "/api/auth/refresh",
                dumps({"refresh_token": value} if value is not MISSING else {}),
            ),
        )
    bearers = {
        "empty": "",
        "bearer_only": "Bearer",
        "basic": "Basic YTpi",
        "10KB": "Bearer " + "a" * 10_000,
        "sql": "Bearer ' OR 1=1 --",
        "two": "Bearer a b",
        "nul": "Bearer a%00b",
    }
    for cls, value in bearers.items():
        for path, method in (
            ("/api/auth/me", "GET"),
            ("/api/auth/revoke", "POST"),
            ("/api/sync/push", "POST"),
            ("/api/push/subscriptions", "GET"),
        ):
            yield Case(
                "auth",
                path,
                "Authorization",
                cls,
                _auth(path, "{}", {"Authorization": value}, method),
            )


# ---- push subscriptions ----


def _push_api(method, path_of, text=None, as_user="A", check=None):
    def run(fz):
        w = fz.world
        dev = w.devices[as_user]
        headers = {**dev.headers, "Content-Type": "application/json"}
        raw = None if text is None else text.encode("utf-8", "surrogatepass")
        answer = fz.send(method, path_of(w), data=raw, headers=headers)
        problems = five_xx(answer) + api_error_shape(answer, method)
        if check:
            problems += check(fz, answer)
        return answer.status, problems

    return run


def _b_subscription_kept(fz, answer):
    row = fz.world.db.execute(
        "SELECT 1 FROM push_subscription WHERE id = ?", [fz.world.rec["B.subscription"]]
    ).fetchone()
    missing = fz.send(
        "DELETE", f"/api/push/subscriptions/{new_id()}", headers=fz.world.devices["A"].headers
    )
    problems = [] if row else ["another user's subscription was removed"]
    if missing.status != answer.status:
        problems.append(f"foreign {answer.status} differs from missing {missing.status}")
    return problems


def push_api_cases(world):
    subs = "/api/push/subscriptions"
    for cls, text in RAW_BODIES.items():
        yield Case(
            "push_api", f"POST {subs}", "body", cls, _push_api("POST", lambda w: subs, text)
        )
        yield Case(
            "push_api",
            "POST /api/push/unsubscribe",
            "body",
            cls,
            _push_api("POST", lambda w: "/api/push/unsubscribe", text),
        )
    base = push_subscription(99)
    for field in ("endpoint", "keys", "keys.p256dh", "keys.auth", "device_name"):
        sample = base[field] if "." not in field else base["keys"][field.split(".")[1]]
        for cls, value, _ in hostile_values(sample):
            body = with_arg(base, field, value)
            yield Case(
                "push_api",
                f"POST {subs}",
                field,
                cls,
                _push_api("POST", lambda w: subs, dumps(body)),
            )
    for cls, endpoint in (
        ("ftp", "ftp://127.0.0.1/x"),
        ("internal", "https://10.0.0.1/x"),
        ("userinfo", "https://127.0.0.1@evil.example/x"),
        ("10KB", "https://127.0.0.1/" + "a" * 10_000),
    ):
        body = {**base, "endpoint": endpoint}
        yield Case(
            "push_api",
            f"POST {subs}",
            "endpoint",
            cls,
            _push_api("POST", lambda w: subs, dumps(body)),
        )
    for cls, value, _ in hostile_values("https://127.0.0.1/push/x"):
        yield Case(
            "push_api",
            "POST /api/push/unsubscribe",
            "endpoint",
            cls,
            _push_api(
                "POST",
                lambda w: "/api/push/unsubscribe",
                dumps({"endpoint": value} if value is not MISSING else {}),
            ),
        )
    yield Case(
        "push_api",
        f"DELETE {subs}/<id>",
        "sub_id",
        "foreign_vs_missing",
        _push_api(
            "DELETE", lambda w: f"{subs}/{w.rec['B.subscription']}", check=_b_subscription_kept
        ),
    )
    for cls, value in SHAS.items():
        yield Case(
            "push_api",
            f"DELETE {subs}/<id>",
            "sub_id",
            cls,
            _push_api("DELETE", lambda w, v=value: f"{subs}/{v}"),
        )
    yield Case("push_api", f"GET {subs}", "-", "list", _push_api("GET", lambda w: subs))
    yield Case(
        "push_api", "GET /api/push/key", "-", "key", _push_api("GET", lambda w: "/api/push/key")
    )
    yield Case(
        "push_api",
        f"POST {subs}",
        "body",
        "1MB",
        _push_api("POST", lambda w: subs, dumps({**base, "device_name": "x" * 1_000_000})),
    )
    yield Case(
        "push_api",
        f"POST {subs}",
        "body",
        "surrogate_keys",
        _push_api(
            "POST",
            lambda w: subs,
            json.dumps({**base, "keys": {"p256dh": SURROGATE, "auth": SURROGATE}}),
        ),
    )
    yield Case(
        "push_api",
        f"POST {subs}",
        "body",
        "deep_keys",
        _push_api("POST", lambda w: subs, dumps({**base, "keys": deep(500)})),
    )

"""The data set the hostile-input generator (tests/hostile.py) aims at.

The seeded demo branch (server/seed/demo.py) plus, for two account managers A and B of
different districts and two in-house technicians of their teams, one record of every kind a
mutation can name: visits (planned, in progress, completed), photos, follow-ups, blobs,
work orders (dispatched, on site, an inspection on site), tasks, appointments, care marks,
retention tasks, push subscriptions. Everything is written through the real API or the model
functions, so "A's record" and "B's record" are what scope sees. `ids` maps every id to
(entity, owner) so a generator can find "the same kind of record, someone else's".
"""

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date

from server.auth.model import caller
from server.db import connect
from server.inspections.checklists import ensure_default_templates, items_of
from server.migrations import upgrade
from server.seed.demo import DEMO_PASSWORD, seed_demo
from tests import factories
from tests.device import Device, new_id

SEED = 1
A, B = "am.pan", "am.zhou"  # account managers of 西湖一班 and 滨江一班 (other district)
TA, TB = "tech.yang", "tech.he"  # in-house technicians of those teams
ROLES = {  # who signs in to the pages, by role
    "admin": "admin",
    "supervisor": "sup.xihu",
    "contractor_supervisor": "sup.huaxin",
    "account_manager": A,
    "technician": TA,
}
# Pages that deactivate users, change passwords or revoke tokens aim at these two only:
# VICTIM2 is in sup.xihu's district (西湖二班), VICTIM outside it (滨江二班).
VICTIM, VICTIM2 = "am.li", "am.jiang"


def app_config(tmp) -> dict:
    """Config for a fuzzed app on a temporary directory (rate limits out of the way)."""
    return {
        "TESTING": True,
        "DATABASE": str(tmp / "fieldbook.db"),
        "BLOB_DIR": str(tmp / "blobs"),
        "SECRET_KEY": "hostile-secret",
        "SESSION_COOKIE_SECURE": False,
        "LOGIN_RATE_LIMIT": "1000000 per minute",
        # The auth cases send wrong passwords for real users: no lockout in this world.
        "LOGIN_LOCKOUT_THRESHOLD": 1_000_000,
        "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],
        "PUSH_ALLOW_PRIVATE_ADDRESSES": True,  # the loopback endpoint above, as in conftest
    }


def jpeg(seed: int) -> bytes:
    """A small real JPEG when Pillow is there (blob checks may decode), else JPEG-like bytes."""
    try:
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (8 + seed, 8), (seed * 40 % 256, 80, 120)).save(out, "JPEG")
        return out.getvalue()
    except ImportError:  # pragma: no cover
        from tests.device import jpeg_bytes

        return jpeg_bytes(seed)


def push_subscription(seed: int) -> dict:
    """A PushSubscription.toJSON() for the loopback push service the test config allows."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(10_000 + seed, ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    auth = hashlib.sha256(str(seed).encode()).digest()[:16]
    return {
        "endpoint": f"http://127.0.0.1:9/push/fuzz-{seed}",
        "keys": {"p256dh": b64(point), "auth": b64(auth)},
        "device_name": f"fuzz phone {seed}",
    }


@dataclass
class World:
    app: object
    db: object
    client: object
    users: dict = field(default_factory=dict)  # username -> row
    devices: dict = field(default_factory=dict)  # "A", "B", "TA", "TB", "A2" -> Device
    rec: dict = field(default_factory=dict)  # "A.visit_open" -> id
    ids: dict = field(default_factory=dict)  # id -> (entity, owner "A"/"B")
    shas: dict = field(default_factory=dict)  # "A"/"B" -> sha256 of a blob they uploaded

    def add(self, owner: str, name: str, entity: str, value: str) -> str:
        self.rec[f"{owner}.{name}"] = value
        self.ids[value] = (entity, owner)
        return value

    def of(self, entity: str, owner: str, avoid: str | None = None) -> str | None:
        """An id of `owner`'s record of `entity` (not `avoid`), or None."""
        for value, (kind, who) in self.ids.items():
            if kind == entity and who == owner and value != avoid:
                return value
        return None


def build(app) -> World:
    """Migrate, seed and populate the world (a few seconds)."""
    db = connect(app.config["DATABASE"])
    upgrade(db)
    seed_demo(db, SEED, today=date(2026, 6, 1))
    ensure_default_templates(db)
    world = World(app=app, db=db, client=app.test_client())
    for row in db.execute("SELECT * FROM app_user"):
        world.users[row["username"]] = dict(row)
    for key, username in (("A", A), ("B", B), ("TA", TA), ("TB", TB), ("A2", A)):
        dev = Device(world.client, username, DEMO_PASSWORD, name=f"fuzz {key}")
        dev.pull()
        world.devices[key] = dev
    for owner in ("A", "B"):
        _visits(world, owner)
        _orders(world, owner)
        _others(world, owner)
        _contacts(world, owner)
        _complaints(world, owner)
    _conflict(world)
    _victim(world)
    return world


def _conflict(world: World) -> None:
    """A signature conflict on A's completed visit (two phones of A sign the same version)."""
    vid = world.rec["A.visit_review"]
    base = world.db.execute("SELECT version FROM visit WHERE id = ?", [vid]).fetchone()[0]
    for key in ("A", "A2"):
        dev = world.devices[key]
        ref = {"sha256": world.shas["A"], "mime": "image/jpeg", "size": len(jpeg(1))}
        if key == "A2":
            ref["sha256"] = hashlib.sha256(b"second signature").hexdigest()
        dev.push([dev.mutation("visit.sign", {"visit_id": vid, **ref}, base_version=base)])
    row = world.db.execute("SELECT id FROM conflict ORDER BY id LIMIT 1").fetchone()
    assert row is not None, "no conflict was held"
    world.rec["A.conflict"] = row["id"]


def _push_ok(dev, mutations) -> list:
    status, body = dev.push(mutations)
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["applied"] * len(mutations), body
    return body["results"]


def upload(world, dev, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    headers = {
        **dev.headers,
        "Upload-Offset": "0",
        "Upload-Length": str(len(data)),
        "Content-Type": "image/jpeg",
    }
    resp = world.client.put(f"/api/blobs/{sha}", data=data, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return sha


def _visits(world: World, owner: str) -> None:
    dev, user = world.devices[owner], world.users[A if owner == "A" else B]
    customers = [
        r["id"]
        for r in world.db.execute(
            "SELECT id FROM customer WHERE account_manager_id = ? ORDER BY id LIMIT 3",
            [user["id"]],
        )
    ]
    for n, cid in enumerate(customers):
        world.add(owner, f"customer{n}", "customer", cid)
    planned, open_, done, review = new_id(), new_id(), new_id(), new_id()
    here = {"lat": 30.27, "lon": 120.15, "accuracy": 8, "at": "2026-06-01T09:00:00+08:00"}
    _push_ok(
        dev,
        [
            dev.mutation(
                "visit.plan",
                {"id": planned, "customer_id": customers[0], "planned_date": "2026-12-20"},
            ),
            dev.mutation("visit.check_in", {"id": open_, "customer_id": customers[1], **here}),
            dev.mutation("visit.check_in", {"id": done, "customer_id": customers[2], **here}),
            dev.mutation("visit.check_out", {"id": done, **here}),
            dev.mutation("visit.check_in", {"id": review, "customer_id": customers[2], **here}),
            dev.mutation("visit.check_out", {"id": review, **here}),
        ],
    )
    world.rec[f"{owner}.visit_review"] = review  # for the review pages, not the mutations
    world.add(owner, "visit_planned", "visit", planned)
    world.add(owner, "visit_open", "visit", open_)
    world.add(owner, "visit_done", "visit", done)
    sha = upload(world, dev, jpeg(1 if owner == "A" else 2))
    world.shas[owner] = sha
    photo, follow = new_id(), new_id()
    ref = {"sha256": sha, "mime": "image/jpeg", "size": len(jpeg(1 if owner == "A" else 2))}
    _push_ok(
        dev,
        [
            dev.mutation("visit.add_photo", {"id": photo, "visit_id": open_, **ref}),
            dev.mutation(
                "visit.add_follow_up",
                {"id": follow, "visit_id": open_, "action": "回访", "due_date": "2026-12-01"},
            ),
        ],
    )
    world.add(owner, "photo", "visit_photo", photo)
    world.add(owner, "follow_up", "follow_up", follow)


def _orders(world: World, owner: str) -> None:
    db = world.db
    tech = world.users[TA if owner == "A" else TB]
    dev = world.devices["T" + owner]
    site = db.execute(
        "SELECT * FROM site WHERE org_id = ? ORDER BY id LIMIT 1", [tech["org_id"]]
    ).fetchone()
    if site is None:
        site = factories.make_site(db, {"id": tech["org_id"]})
    world.add(owner, "site", "site", site["id"])
    org = {"id": tech["org_id"]}
    template = db.execute(
        "SELECT * FROM checklist_template WHERE site_type = ? ORDER BY version DESC",
        [site["site_type"]],
    ).fetchone()
    orders = {}
    for name, kind in (
        ("wo_new", "fault_repair"),
        ("wo_site", "fault_repair"),
        ("wo_page", "fault_repair"),
    ):
        orders[name] = factories.make_work_order(
            db, org, wo_type=kind, assignee=tech, site_id=site["id"]
        )["id"]
    orders["wo_insp"] = factories.make_work_order(
        db,
        org,
        wo_type="inspection",
        assignee=tech,
        site_id=site["id"],
        checklist_template_id=template["id"],
    )["id"]
    here = {"lat": site["lat"], "lon": site["lon"], "accuracy": 5}
    steps = []
    for name in ("wo_site", "wo_insp"):
        steps += [
            dev.mutation("work_order.accept", {"id": orders[name]}),
            *(
                [dev.mutation("work_order.travel", {"id": orders[name]})]
                if name == "wo_site"
                else []
            ),
            dev.mutation("work_order.arrive", {"id": orders[name], **here}),
        ]
    _push_ok(dev, steps)
    for name, oid in orders.items():
        world.add(owner, name, "work_order", oid)
    world.ids.pop(orders["wo_page"])  # for the pages only: mutations never aim at it
    for n, item in enumerate(items_of(db, template["id"])[:3]):
        world.rec[f"{owner}.item{n}"] = item["id"]  # shared by every order: nobody's
        world.rec[f"{owner}.item{n}.kind"] = item["kind"]
    sha = upload(world, dev, jpeg(3 if owner == "A" else 4))
    world.shas["T" + owner] = sha
    photo = new_id()
    _push_ok(
        dev,
        [
            dev.mutation(
                "work_order.add_photo",
                {
                    "id": photo,
                    "work_order_id": orders["wo_site"],
                    "stage": "evidence",
                    "sha256": sha,
                    "mime": "image/jpeg",
                    "size": len(jpeg(3 if owner == "A" else 4)),
                },
            )
        ],
    )
    world.add(owner, "wo_photo", "work_order_photo", photo)


def _contacts(world: World, owner: str) -> None:
    """Two contacts of the owner's first customer, added from the device (contact.add)."""
    dev = world.devices[owner]
    ids = new_id(), new_id()
    customer = world.rec[f"{owner}.customer0"]
    _push_ok(
        dev,
        [
            dev.mutation("contact.add", {"id": cid, "customer_id": customer, "name": f"联系人{n}"})
            for n, cid in enumerate(ids)
        ],
    )
    world.add(owner, "contact", "contact", ids[0])
    world.add(owner, "contact_gone", "contact", ids[1])


def _complaints(world: World, owner: str) -> None:
    """Two complaints of the owner's first customer, recorded from the device; the second
    handled by the city supervisor (so feedback may be given on it)."""
    from server.complaints import model

    dev, ids = world.devices[owner], (new_id(), new_id())
    args = dict(customer_id=world.rec[f"{owner}.customer0"], channel="visit", severity="low")
    args.update(category="billing", words="账单有误")
    _push_ok(dev, [dev.mutation("complaint.add", {"id": cid, **args}) for cid in ids])
    sup = world.users["sup.city"]["id"]
    handled = dict(world.db.execute("SELECT * FROM complaint WHERE id = ?", [ids[1]]).fetchone())
    handled = model.transition(world.db, sup, handled, "investigate")
    model.transition(world.db, sup, handled, "handle", handling="已更正账单")
    world.add(owner, "complaint", "complaint", ids[0])
    world.add(owner, "complaint_handled", "complaint", ids[1])


def _others(world: World, owner: str) -> None:
    from server.care.calendar import week_ahead
    from server.tasks import model as tasks

    db, user = world.db, world.users[A if owner == "A" else B]
    dev = world.devices[owner]
    sup = caller(db, world.users["sup.city"]["id"])
    form = dict(
        kind="free_text",
        title="回访任务",
        description="电话回访",
        start_date="2026-06-01",
        due_date="2026-12-20",
        assignee_id=user["id"],
    )
    clean, errors = tasks.validate(db, sup, form)
    clean["assignee_ids"] = [user["id"]]
    task = tasks.create(db, world.users["sup.city"]["id"], clean)[0]
    world.add(owner, "task", "task", task["id"])
    appointment = new_id()
    _push_ok(
        dev,
        [
            dev.mutation(
                "appointment.record",
                {
                    "id": appointment,
                    "customer_id": world.rec[f"{owner}.customer0"],
                    "wanted_at": "2026-12-01T10:00",
                    "need": "宽带报修",
                    "contact_name": "张先生",
                    "contact_phone": "13800000000",
                },
            )
        ],
    )
    world.add(owner, "appointment", "appointment", appointment)
    items = week_ahead(db, user["id"], date(2026, 6, 1))
    keys = [i["key"] for i in items]
    world.rec[f"{owner}.care_key"] = keys[0] if keys else "holiday:x:2026-06-01"
    world.rec[f"{owner}.care_key2"] = keys[1] if len(keys) > 1 else world.rec[f"{owner}.care_key"]
    if keys:
        mark = new_id()
        _push_ok(
            dev,
            [
                dev.mutation(
                    "care.done", {"id": mark, "key": keys[-1], "how": "call", "at": _now()}
                )
            ],
        )
        world.add(owner, "care_done", "care_done", mark)
    task_row = db.execute(
        "SELECT id FROM retention_task WHERE assignee_id = ? AND status = 'open' LIMIT 1",
        [user["id"]],
    ).fetchone()
    if task_row is None:
        task_row = db.execute(
            "SELECT id FROM retention_task WHERE assignee_id = ? LIMIT 1", [user["id"]]
        ).fetchone()
    if task_row is not None:
        world.add(owner, "retention_task", "retention_task", task_row["id"])
    status = world.client.post(
        "/api/push/subscriptions",
        json=push_subscription(1 if owner == "A" else 2),
        headers=dev.headers,
    )
    assert status.status_code == 201, status.get_data(as_text=True)
    world.add(owner, "subscription", "push_subscription", status.get_json()["subscription"]["id"])


def _victim(world: World) -> None:
    """A user whose account the admin pages may deactivate, edit and whose tokens they revoke."""
    dev = Device(world.client, VICTIM, DEMO_PASSWORD, name="victim")
    world.devices["victim"] = dev
    Device(world.client, VICTIM2, DEMO_PASSWORD, name="victim 2")
    for key, username in (("victim", VICTIM), ("victim2", VICTIM2)):
        user = world.users[username]
        world.rec[f"{key}.user"] = user["id"]
        token = world.db.execute(
            "SELECT id FROM api_token WHERE user_id = ? ORDER BY created_at DESC LIMIT 1",
            [user["id"]],
        ).fetchone()
        world.rec[f"{key}.token"] = token["id"]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def dumps(obj) -> str:
    """JSON as a hostile client sends it: ASCII escapes (so lone surrogates arrive as
    `\\ud83d`), NaN and Infinity as the literals stdlib json and some clients emit."""
    return json.dumps(obj, ensure_ascii=True, allow_nan=True)

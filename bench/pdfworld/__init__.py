"""Records worth printing, written through the server's own model functions: a visit with
photos and a signature, a fault repair with its timeline and before/after photos, a long
inspection with failed readings and a rectification, and a month of scorecards.

Used by tests/test_reports*.py (on the `tree` fixture's organisations) and by
bench/pdf_reports.py (on its own small organisation, `world`).
"""

import hashlib
import io
import os
import random
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw

from server import records
from server.auth.model import create_user
from server.auth.passwords import hash_password
from server.customers.contacts import add as add_contact
from server.customers.model import create_customer
from server.inspections.checklists import create_template
from server.orgs.model import create as create_org
from server.sites.model import create_site
from server.times import to_stored as iso
from server.work_orders.model import create_order
from sync.blobs import BlobStore

AT = datetime(2026, 10, 14, 1, 30, tzinfo=UTC)  # 09:30 in Beijing


def photo_jpeg(seed: int, width: int = 1600, height: int = 1200) -> bytes:
    """A phone-sized JPEG (1600 px long edge, as devices send) with shapes to compress."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), 120, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle([x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300)], colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def signature_png() -> bytes:
    """A signature as the device's canvas sends it: strokes on transparent PNG."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 150), (120, 40), (200, 160), (300, 60), (420, 140), (560, 70)], "black", 6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def store_blob(db, blob_dir: str, data: bytes, mime: str, user_id: str) -> str:
    """Put a complete blob in the store (as a finished upload leaves it); return its sha."""
    sha = hashlib.sha256(data).hexdigest()
    path = BlobStore(blob_dir).path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    db.execute(
        "INSERT OR IGNORE INTO blob (sha256, size, mime, received, state, user_id, created_at,"
        " completed_at) VALUES (?, ?, ?, ?, 'complete', ?, ?, ?)",
        [sha, len(data), mime, len(data), user_id, iso(AT), iso(AT)],
    )
    db.execute(  # the uploader holds the bytes: their attachments show them (server/scope.py)
        "INSERT OR IGNORE INTO blob_holder (sha256, user_id, at) VALUES (?, ?, ?)",
        [sha, user_id, iso(AT)],
    )
    return sha


def visit(db, blob_dir, customer, am, photos=4, pending=0, seed=0) -> dict:
    """A completed visit with contacts met, notes, follow-ups, photos and a signature."""
    contact = add_contact(
        db, None, customer["id"], dict(name="王建国", title="信息部经理", phone="13800000001")
    )
    sig = store_blob(db, blob_dir, signature_png(), "image/png", am["id"])
    values = dict(
        customer_id=customer["id"],
        account_manager_id=am["id"],
        org_id=customer["org_id"],
        status="completed",
        purpose="contract_renewal",
        planned_date="2026-10-14",
        check_in_at=iso(AT),
        check_in_device_at=iso(AT - timedelta(seconds=40)),
        check_in_lat=30.27452,
        check_in_lon=120.15551,
        check_in_accuracy=12.0,
        check_in_distance_m=48.0,
        check_in_flag="ok",
        check_out_at=iso(AT + timedelta(minutes=50)),
        check_out_device_at=iso(AT + timedelta(minutes=49)),
        check_out_lat=30.2746,
        check_out_lon=120.1556,
        check_out_accuracy=9.0,
        contacts_met=[contact["id"], "前台李小姐"],
        notes="客户计划明年扩容专线带宽至 500M，需要报价。机房空调已更换。",
        feedback="对上月故障处理速度满意。",
        satisfaction=4,
        signature_sha256=sig,
    )
    row = records.insert(db, "visit", values, am["id"])
    for n in range(photos + pending):
        data = photo_jpeg(seed * 100 + n)
        sha = (
            store_blob(db, blob_dir, data, "image/jpeg", am["id"])
            if n < photos
            else hashlib.sha256(data).hexdigest()  # named by a mutation, not uploaded yet
        )
        photo = dict(
            visit_id=row["id"],
            account_manager_id=am["id"],
            sha256=sha,
            mime="image/jpeg",
            size=len(data),
            caption=f"现场照片{n + 1}",
            taken_at=iso(AT + timedelta(minutes=10 + n)),
        )
        records.insert(db, "visit_photo", photo, am["id"])
    for action, due in (("发送专线扩容报价", "2026-10-21"), ("安排技术交流会", "2026-11-05")):
        follow = dict(
            visit_id=row["id"],
            customer_id=customer["id"],
            account_manager_id=am["id"],
            action=action,
            due_date=due,
        )
        records.insert(db, "follow_up", follow, am["id"])
    return records.get(db, "visit", row["id"])


def _event(db, order, user, from_status, to_status, at, lat=None, lon=None):
    values = dict(
        work_order_id=order["id"],
        user_id=user["id"],
        from_status=from_status,
        to_status=to_status,
        device_at=iso(at),
        corrected_at=iso(at),
        server_at=iso(at + timedelta(seconds=5)),
        lat=lat,
        lon=lon,
    )
    records.insert(db, "work_order_event", values, user["id"])


def _photo(db, blob_dir, order, user, stage, seed):
    data = photo_jpeg(seed)
    sha = store_blob(db, blob_dir, data, "image/jpeg", user["id"])
    values = dict(
        work_order_id=order["id"],
        stage=stage,
        sha256=sha,
        mime="image/jpeg",
        size=len(data),
        caption=f"{'处理前' if stage == 'before' else '处理后'}{seed % 10}",
    )
    records.insert(db, "work_order_photo", values, user["id"])


def repair(db, blob_dir, org, tech, team, customer=None, site=None, late=True) -> dict:
    """A resolved fault repair: on time to respond, late on arrival when `late`."""
    order = create_order(
        db,
        None,
        wo_type="fault_repair",
        org_id=org["id"],
        assignee_id=tech["id"],
        assigned_org_id=team["id"],
        customer_id=customer and customer["id"],
        site_id=site and site["id"],
        sla_grade="gold",
        title="专线中断",
        description="客户反映专线中断，业务受影响。",
        at=iso(AT),
    )
    steps = [
        ("dispatched", "accepted", 10),
        ("accepted", "en_route", 15),
        ("en_route", "on_site", 300 if late else 120),
        ("on_site", "resolved", 400),
    ]
    changes = {}
    for from_status, to_status, minutes in steps:
        at = AT + timedelta(minutes=minutes)
        _event(db, order, tech, from_status, to_status, at, 30.2746, 120.1556)
        changes[f"{to_status}_at"] = iso(at + timedelta(seconds=5))
    changes.update(
        status="resolved",
        diagnosis="光纤接头松动，光功率 -28 dBm。",
        cause="施工挖断后临时接续不良",
        fix="重新熔接光纤并测试，光功率恢复至 -17 dBm。",
        parts_used=[{"name": "光纤熔接保护管", "qty": 4}, "尾纤 3m"],
        check_in_lat=30.2746,
        check_in_lon=120.1556,
        check_in_accuracy=15.0,
        check_in_distance_m=35.0,
        check_in_flag="ok",
    )
    records.update(db, "work_order", order["id"], changes, tech["id"])
    for n, stage in enumerate(("before", "before", "after", "after")):
        _photo(db, blob_dir, order, tech, stage, 500 + n)
    return records.get(db, "work_order", order["id"])


ITEM_KINDS = (
    ("蓄电池浮充电压", "reading", "V", 53.0, 55.0),
    ("机房温度", "reading", "℃", 10.0, 30.0),
    ("空调运行状态", "pass_fail", "", None, None),
    ("接地电阻", "reading", "Ω", None, 5.0),
    ("门禁与消防检查", "pass_fail", "", None, None),
)


def inspection(db, blob_dir, org, tech, site, items=150, fail_every=9, seed=0) -> dict:
    """A submitted inspection of `items` checklist items; every `fail_every`-th fails, with
    a remark, and the first failure opened a rectification order."""
    specs = []
    for n in range(items):
        name, kind, unit, low, high = ITEM_KINDS[n % len(ITEM_KINDS)]
        specs.append(
            dict(label=f"{name} {n + 1:03d}", kind=kind, unit=unit, min_value=low, max_value=high)
        )
    template = create_template(db, None, "base_station", "基站季度巡检", specs)
    order = create_order(
        db,
        None,
        wo_type="inspection",
        org_id=org["id"],
        assignee_id=tech["id"],
        site_id=site["id"],
        title="基站季度巡检",
        checklist_template_id=template["id"],
        at=iso(AT),
    )
    rectification = None
    for item in template["items"]:
        n = item["position"]
        failed = n % fail_every == 0
        answer = dict(work_order_id=order["id"], item_id=item["id"], passed=0 if failed else 1)
        if item["kind"] == "reading":
            low = item["min_value"] if item["min_value"] is not None else 0.0
            high = item["max_value"]
            answer["value_number"] = round(high + 1.5, 1) if failed else round((low + high) / 2, 1)
        else:
            answer["value_text"] = "不合格" if failed else "正常"
        if failed:
            answer["remark"] = f"第{n}项超出范围，已上报"
            if rectification is None:
                rectification = create_order(
                    db,
                    None,
                    wo_type="rectification",
                    org_id=org["id"],
                    site_id=site["id"],
                    parent_id=order["id"],
                    parent_item_id=item["id"],
                    title=f"整改：{item['label']}",
                    at=iso(AT),
                )
                answer["rectification_id"] = rectification["id"]
        records.insert(db, "inspection_answer", answer, tech["id"])
    records.update(db, "work_order", order["id"], {"status": "submitted"}, tech["id"])
    return records.get(db, "work_order", order["id"])


def world(db, blob_dir, staff=100) -> dict:
    """A small city for the bench: a team, `staff` account managers, a technician, a site,
    and a customer for the visit report (nobody can sign in: one random password hashed)."""
    NO_LOGIN = hash_password(os.urandom(16).hex())
    province = create_org(db, None, kind="province", code="ZJ", name="浙江省公司")
    city = create_org(
        db, None, parent_id=province["id"], kind="city", code="HZ", name="杭州分公司"
    )
    team = create_org(db, None, parent_id=city["id"], kind="team", code="XH1", name="西湖一班")
    tech = create_user(
        db,
        None,
        org_id=team["id"],
        username="tech",
        display_name="张师傅",
        role="technician",
        password_hash=NO_LOGIN,
    )
    managers = [
        create_user(
            db,
            None,
            org_id=team["id"],
            username=f"am{n:03d}",
            display_name=f"客户经理{n:03d}",
            role="account_manager",
            password_hash=NO_LOGIN,
        )
        for n in range(staff)
    ]
    customer = create_customer(
        db,
        None,
        org_id=team["id"],
        account_manager_id=managers[0]["id"],
        code="XH0001",
        name="杭州西湖电子科技有限公司",
        industry="manufacturing",
        handsets=600,
        sla_grade="gold",
        address="杭州市西湖区文三路 90 号",
        lat=30.2741,
        lon=120.1551,
    )
    site = create_site(
        db,
        None,
        org_id=team["id"],
        code="BS0001",
        name="文三路基站",
        site_type="base_station",
        lat=30.275,
        lon=120.156,
    )
    return dict(
        province=province,
        city=city,
        team=team,
        tech=tech,
        managers=managers,
        customer=customer,
        site=site,
    )

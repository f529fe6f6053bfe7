"""Who may know of and fetch a blob: a hash is a name, not a key.

HEAD answers for the caller's own upload only; a download needs the bytes held by the
caller, or an attachment the caller may see whose author holds them (docs/sync-protocol.md
section 9). Holders are recorded per user; each content is still stored once.
"""

from server.db import connect
from server.migrations import migrations, upgrade
from server.visits import model as visits
from tests import factories
from tests.blobs import download, head, put, upload, visit_with_photo
from tests.conftest import fetch, signed_in
from tests.device import Device, check_in, jpeg_bytes, new_id, sha256


def holders(db, sha):
    found = db.execute("SELECT user_id FROM blob_holder WHERE sha256 = ? ORDER BY 1", [sha])
    return sorted(r[0] for r in found.fetchall())


def report_blobs(db, visit_id) -> set[str]:
    """The blobs the visit's PDF report may embed."""
    from server.reports import records

    visit = dict(db.execute("SELECT * FROM visit WHERE id = ?", [visit_id]).fetchone())
    return records.visit_report(db, visit)[1]


def test_head_of_another_users_blob_answers_as_if_the_server_had_nothing(client, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    done, half = jpeg_bytes(21, 6000), jpeg_bytes(22, 6000)
    upload(am2, done)
    upload(am2, half, chunk=3000, stop=3000)
    for data in (done, half):
        resp = head(am1, sha256(data))
        assert resp.status_code == 404 and resp.headers["Upload-Offset"] == "0"
        assert "Upload-Length" not in resp.headers and "Blob-State" not in resp.headers
    assert head(am2, sha256(done)).headers["Blob-State"] == "complete"
    assert head(am2, sha256(half)).headers["Upload-Offset"] == "3000"


def test_a_second_uploader_of_the_same_bytes_holds_them_and_they_are_stored_once(
    app, client, db, field
):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    data = jpeg_bytes(23, 9000)
    sha = sha256(data)
    upload(am2, data)
    before = dict(db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone())
    assert download(am1, data).status_code == 404
    states = [upload(am1, data, chunk=3000, stop=n).get_json()["state"] for n in (3000,)]
    states.append(upload(am1, data, chunk=3000, start=3000).get_json()["state"])
    assert states == ["partial", "complete"]
    assert download(am1, data).data == data
    assert holders(db, sha) == sorted([field["am1"]["id"], field["am2"]["id"]])
    assert dict(db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone()) == before
    from pathlib import Path

    assert [p.name for p in Path(app.config["BLOB_DIR"]).rglob(f"{sha}*")] == [sha]


def test_a_non_holders_chunks_do_not_disturb_another_users_upload(client, db, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    data, junk = jpeg_bytes(24, 8000), jpeg_bytes(25, 8000)
    sha = sha256(data)
    upload(am2, data, chunk=4000, stop=4000)
    resp = put(am1, sha, junk[:4000], 0, len(junk))  # junk under am2's name, from offset 0
    assert resp.status_code == 200 and resp.get_json()["offset"] == 4000
    assert head(am2, sha).headers["Upload-Offset"] == "4000"
    resp = put(am1, sha, junk[4000:], 4000, len(junk))
    assert resp.status_code == 422 and resp.get_json()["error"] == "hash_mismatch"
    last = upload(am2, data, chunk=4000, start=4000)
    assert last.get_json()["state"] == "complete" and download(am2, data).data == data
    assert holders(db, sha) == [field["am2"]["id"]]
    resp = put(am1, sha, data[:4000], 0, len(data))  # the claim needs every byte
    assert resp.status_code == 200 and resp.get_json()["state"] == "partial"
    assert download(am1, data).status_code == 404


def test_a_photo_hash_is_not_an_access_key(app, client, db, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    theirs = jpeg_bytes(26, 5000)
    sha = sha256(theirs)
    upload(am2, theirs)
    visit_with_photo(am2, field["cust2"], sha)
    mine = visit_with_photo(am1, field["cust1"], sha)  # applied: it may be uploaded later
    assert download(am1, theirs).status_code == 404
    assert [p["blob_state"] for p in visits.photos(db, mine)] == ["pending"]
    sup = signed_in(app, "sup_d1").client  # sees am1's visit, not am2's
    page = sup.get(f"/visits/{mine}").get_data(as_text=True)
    assert f'data-photo="{sha}" data-state="pending"' in page and "<img " not in page
    assert fetch(sup, f"/visits/{mine}/photos/{sha}").status_code == 404
    assert download(Device(client, "sup_d1", factories.PASSWORD), theirs).status_code == 404
    assert download(am2, theirs).data == theirs
    assert report_blobs(db, mine) == set()  # the PDF prints it as pending, too
    upload(am1, theirs)  # am1 really has the bytes: the attachment is theirs to show
    assert report_blobs(db, mine) == {sha}
    assert [p["blob_state"] for p in visits.photos(db, mine)] == ["complete"]
    assert fetch(sup, f"/visits/{mine}/photos/{sha}").data == theirs


def test_a_signature_naming_another_users_blob_stays_pending(app, client, db, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    ink = jpeg_bytes(27, 4000)
    sha = sha256(ink)
    upload(am2, ink)
    visit = check_in(am1, field["cust1"])
    sign = {"visit_id": visit["args"]["id"], "sha256": sha, "mime": "image/jpeg", "size": 4000}
    status, body = am1.push([visit, am1.mutation("visit.sign", sign)])
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert download(am1, ink).status_code == 404
    sup = signed_in(app, "sup_d1").client
    path = f"/visits/{visit['args']['id']}/photos/{sha}"
    assert fetch(sup, path).status_code == 404
    page = sup.get(f"/visits/{visit['args']['id']}").get_data(as_text=True)
    assert 'data-state="pending"' in page
    upload(am1, ink)
    assert fetch(sup, path).data == ink


def test_a_supervisor_downloads_through_a_visit_whose_author_holds_the_bytes(client, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(28, 5000)
    upload(am1, data)
    visit_with_photo(am1, field["cust1"], sha256(data))
    sup = Device(client, "sup_d1", factories.PASSWORD)
    assert download(sup, data).data == data
    resp = head(sup, sha256(data))  # HEAD tells about the caller's own upload
    assert resp.status_code == 404 and resp.headers["Upload-Offset"] == "0"


def test_the_migration_records_each_complete_blobs_uploader_as_its_holder(tmp_path):
    db = connect(str(tmp_path / "old.db"))
    migrations.apply(db, stop_before="m014_blob_holders")
    for sha, state in (("a" * 64, "complete"), ("b" * 64, "partial")):
        db.execute(
            "INSERT INTO blob (sha256, size, mime, received, state, user_id, created_at,"
            " completed_at) VALUES (?, 10, 'image/jpeg', 5, ?, 'u1', 'c', 'd')",
            [sha, state],
        )
    upgrade(db)
    found = [tuple(r) for r in db.execute("SELECT sha256, user_id, at FROM blob_holder")]
    assert found == [("a" * 64, "u1", "d")]
    # A partial upload started before holders were kept starts again from 0 (the device
    # still has the bytes); the complete blob stays.
    assert [r[0] for r in db.execute("SELECT sha256 FROM blob").fetchall()] == ["a" * 64]
    db.conn.close()


def test_an_unknown_photo_id_on_the_web_is_still_404(app, field):
    sup = signed_in(app, "sup_d1").client
    assert fetch(sup, f"/visits/{new_id()}/photos/{'c' * 64}").status_code == 404


def test_a_work_order_photo_shows_only_bytes_its_author_uploaded(client, db, tree):
    from server.work_orders import detail

    site = factories.make_site(db, tree["T1"], contractor=tree["K"], lat=30.28, lon=120.16)
    order = factories.make_work_order(
        db, tree["T1"], assignee=tree["tech_k"], assigned_org=tree["K"], site_id=site["id"]
    )
    tech = Device(client, "tech_k", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    own, foreign = jpeg_bytes(41, 5000), jpeg_bytes(42, 5000)
    upload(tech, own)
    upload(am2, foreign)

    def photo(data):
        args = {"id": new_id(), "work_order_id": order["id"], "stage": "before"}
        args.update(sha256=sha256(data), mime="image/jpeg", size=len(data))
        return tech.mutation("work_order.add_photo", args)

    accept = tech.mutation("work_order.accept", {"id": order["id"], "at": "2026-11-20T02:00:00Z"})
    status, body = tech.push([accept, photo(own), photo(foreign)])
    assert [r["status"] for r in body["results"]] == ["applied"] * 3
    states = {p["sha256"]: p["blob_state"] for p in detail.photos(db, order["id"])["before"]}
    assert states == {sha256(own): "complete", sha256(foreign): "pending"}
    assert detail.attached(db, order["id"], sha256(foreign)) is None
    assert detail.attached(db, order["id"], sha256(own))["mime"] == "image/jpeg"
    assert download(tech, foreign).status_code == 404
    sup = Device(client, "sup_d1", factories.PASSWORD)  # the order is in D1's subtree
    assert download(sup, own).data == own
    assert download(sup, foreign).status_code == 404


def test_a_signature_a_supervisor_accepted_from_a_conflict_is_the_device_users(
    app, client, db, field
):
    from server.visits import listing
    from tests.conftest import signed_in as manager
    from tests.device import second_phone

    phone = Device(client, "am1", factories.PASSWORD)
    first, second = jpeg_bytes(43, 3000), jpeg_bytes(44, 3000)
    visit = check_in(phone, field["cust1"])
    vid = visit["args"]["id"]
    assert phone.push([visit])[0] == 200
    base = db.execute("SELECT version FROM visit WHERE id = ?", [vid]).fetchone()[0]

    def sign(dev, data):
        args = {"visit_id": vid, "sha256": sha256(data), "mime": "image/jpeg", "size": 3000}
        return dev.mutation("visit.sign", args, base_version=base)

    other = second_phone(phone)
    assert phone.push([sign(phone, first)])[1]["results"][0]["status"] == "applied"
    assert other.push([sign(other, second)])[1]["results"][0]["status"] == "held"
    upload(other, second)
    held = db.execute("SELECT id FROM conflict WHERE entity_id = ?", [vid]).fetchone()[0]
    resp = manager(app, "sup_d1").post(f"/reviews/conflicts/{held}", {"decision": "device"})
    assert resp.status_code in (200, 303), resp.status_code
    visit_row = dict(db.execute("SELECT * FROM visit WHERE id = ?", [vid]).fetchone())
    assert visit_row["signature_sha256"] == sha256(second)
    assert listing.attached(db, visit_row, sha256(second))["mime"] == "image/jpeg"

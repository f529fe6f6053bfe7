"""Blobs: resumable chunked upload verified by hash, refusals, scoped download, late arrival."""

from pathlib import Path

import pytest

from server.visits import model as visits
from sync.blobs import BlobStore
from tests import factories
from tests.blobs import download, head, put, upload, visit_with_photo
from tests.device import Device, jpeg_bytes, sha256


@pytest.fixture
def store(app):
    return BlobStore(app.config["BLOB_DIR"])


def test_upload_in_chunks_completes_and_the_file_hashes_to_its_name(client, field, store):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(1, 10_000)
    sha = sha256(data)
    states = []
    for offset in range(0, len(data), 4000):
        resp = put(dev, sha, data[offset : offset + 4000], offset, len(data))
        assert resp.status_code == 200
        states.append((resp.get_json()["state"], resp.headers["Upload-Offset"]))
    assert states == [("partial", "4000"), ("partial", "8000"), ("complete", "10000")]
    assert sha256(store.path(sha).read_bytes()) == sha
    resp = head(dev, sha)
    assert resp.status_code == 200 and resp.headers["Blob-State"] == "complete"
    assert resp.headers["Upload-Offset"] == resp.headers["Upload-Length"] == "10000"


def test_an_upload_cut_midway_resumes_from_the_servers_offset(client, db, field, store):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(2, 20_000)
    sha = sha256(data)
    assert head(dev, sha).status_code == 404
    assert head(dev, sha).headers["Upload-Offset"] == "0"
    upload(dev, data, chunk=4000, stop=8000)  # two of five chunks, then the network drops
    resp = head(dev, sha)
    assert resp.status_code == 200 and resp.headers["Blob-State"] == "partial"
    assert (resp.headers["Upload-Offset"], resp.headers["Upload-Length"]) == ("8000", "20000")
    assert not store.path(sha).exists()
    last = upload(dev, data, chunk=4000, start=int(resp.headers["Upload-Offset"]))
    assert last.get_json() == {"state": "complete", "offset": 20_000, "size": 20_000}
    assert sha256(store.path(sha).read_bytes()) == sha
    row = db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone()
    assert (row["state"], row["received"], row["user_id"]) == (
        "complete",
        20_000,
        field["am1"]["id"],
    )


def test_a_wrong_offset_is_409_with_the_servers_offset(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(3, 9000)
    sha = sha256(data)
    upload(dev, data, chunk=3000, stop=3000)
    for wrong in (0, 6000):  # a chunk resent, a chunk skipped
        resp = put(dev, sha, data[wrong : wrong + 3000], wrong, len(data))
        assert resp.status_code == 409
        assert resp.get_json()["error"] == "bad_offset" and resp.get_json()["offset"] == 3000
        assert resp.headers["Upload-Offset"] == "3000"
    assert head(dev, sha).headers["Upload-Offset"] == "3000"


def test_a_corrupt_chunk_is_refused_and_the_right_one_accepted(client, field, store):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(4, 8000)
    sha = sha256(data)
    upload(dev, data, stop=4000)
    good = data[4000:]
    damaged = good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]
    resp = put(dev, sha, damaged, 4000, len(data), chunk_sha=sha256(good))
    assert resp.status_code == 422 and resp.get_json()["error"] == "corrupt_chunk"
    assert resp.get_json()["offset"] == 4000 and resp.headers["Upload-Offset"] == "4000"
    assert head(dev, sha).headers["Upload-Offset"] == "4000"
    resp = put(dev, sha, good, 4000, len(data), chunk_sha=sha256(good))
    assert resp.status_code == 200 and resp.get_json()["state"] == "complete"
    assert store.path(sha).read_bytes() == data


def test_a_file_that_does_not_hash_to_its_name_is_refused_and_reset(client, db, field, store):
    dev = Device(client, "am1", factories.PASSWORD)
    data, other = jpeg_bytes(5, 6000), jpeg_bytes(6, 6000)
    sha = sha256(other)  # the name promises other bytes
    upload(dev, data, chunk=3000, stop=3000, sha=sha)
    resp = put(dev, sha, data[3000:], 3000, len(data))
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "hash_mismatch" and resp.get_json()["offset"] == 0
    assert head(dev, sha).headers["Upload-Offset"] == "0"
    assert head(dev, sha).headers["Blob-State"] == "partial"
    assert not store.path(sha).exists()
    assert list(Path(store.root).rglob(sha)) == []  # the refused bytes are gone too
    upload(dev, other, chunk=3000)  # the right bytes under that name go through from 0
    assert store.path(sha).read_bytes() == other


@pytest.mark.parametrize(
    "mime, data, status, code",
    [
        ("text/plain", jpeg_bytes(7, 2000), 415, "bad_type"),
        ("image/gif", b"GIF89a" + bytes(2000), 415, "bad_type"),
        ("image/jpeg", b"GIF89a" + bytes(2000), 422, "bad_content"),  # the bytes lie
        ("image/png", jpeg_bytes(8, 2000), 422, "bad_content"),
    ],
)
def test_content_that_is_not_a_jpeg_png_or_webp_is_refused(
    client, db, field, store, mime, data, status, code
):
    dev = Device(client, "am1", factories.PASSWORD)
    sha = sha256(data)
    resp = put(dev, sha, data, 0, len(data), mime=mime)
    assert resp.status_code == status and resp.get_json()["error"] == code
    assert not store.path(sha).exists()
    row = db.execute("SELECT state FROM blob WHERE sha256 = ?", [sha]).fetchone()
    assert row is None or row["state"] == "partial"


def test_png_and_webp_are_accepted(client, field, store):
    from tests.blobs import image

    dev = Device(client, "am1", factories.PASSWORD)
    for mime, data in (("image/png", image("PNG")), ("image/webp", image("WEBP"))):
        resp = put(dev, sha256(data), data, 0, len(data), mime=mime)
        assert resp.status_code == 200 and resp.get_json()["state"] == "complete"


def test_a_chunk_over_the_limit_is_413(app, client, db, field):
    app.config["BLOB_CHUNK_MAX"] = 1024
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(9, 3000)
    resp = put(dev, sha256(data), data, 0, len(data))
    assert resp.status_code == 413 and resp.get_json()["error"] == "chunk_too_large"
    assert db.execute("SELECT count(*) FROM blob").fetchone()[0] == 0
    upload(dev, data, chunk=1024)  # within the limit it goes through


def test_bad_names_and_headers_are_refused(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(10, 100)
    assert put(dev, "A" * 64, data, 0, len(data)).get_json()["error"] == "bad_name"
    resp = dev.client.put(
        f"/api/blobs/{sha256(data)}", data=data, headers=dev.headers, content_type="image/jpeg"
    )
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_header"
    assert client.head(f"/api/blobs/{sha256(data)}").status_code == 401


def test_putting_a_complete_blob_again_is_a_harmless_no_op(client, db, field, store):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(11, 5000)
    sha = sha256(data)
    upload(dev, data)
    before = dict(db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone())
    other_device = Device(client, "am1", factories.PASSWORD)
    resp = put(other_device, sha, data[:2000], 0, len(data))
    assert resp.status_code == 200
    assert resp.get_json() == {"state": "complete", "offset": 5000, "size": 5000}
    assert dict(db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone()) == before
    assert store.path(sha).read_bytes() == data


def test_download_is_scoped(client, field):
    am1 = Device(client, "am1", factories.PASSWORD)
    am2 = Device(client, "am2", factories.PASSWORD)
    theirs, mine = jpeg_bytes(12, 5000), jpeg_bytes(13, 5000)
    upload(am2, theirs)
    visit_with_photo(am2, field["cust2"], sha256(theirs))
    upload(am1, mine)
    visit_with_photo(am1, field["cust1"], sha256(mine))

    assert download(am1, theirs).status_code == 404  # another account manager's visit
    resp = download(am1, mine)
    assert resp.status_code == 200 and resp.data == mine and resp.mimetype == "image/jpeg"
    assert download(am2, theirs).data == theirs
    supervisor = Device(client, "sup_d1", factories.PASSWORD)  # D1 holds am1's team
    assert download(supervisor, mine).data == mine  # reached through a visit in scope
    assert download(supervisor, theirs).status_code == 404
    assert download(am1, mine, token=False).status_code == 401


def test_an_own_upload_not_yet_referenced_downloads_but_a_partial_does_not(client, field):
    dev = Device(client, "am1", factories.PASSWORD)
    done, half = jpeg_bytes(14, 3000), jpeg_bytes(15, 6000)
    upload(dev, done)
    upload(dev, half, chunk=3000, stop=3000)
    assert download(dev, done).data == done
    assert download(dev, half).status_code == 404


def test_a_photo_may_arrive_after_the_mutation_that_names_it(client, db, field):
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(16, 9000)
    sha = sha256(data)
    visit_id = visit_with_photo(dev, field["cust1"], sha, size=len(data))
    assert [p["blob_state"] for p in visits.photos(db, visit_id)] == ["pending"]
    dev.pull()
    assert [p["sha256"] for p in dev.entities("visit_photo").values()] == [sha]
    upload(dev, data, chunk=3000, stop=6000)
    assert [p["blob_state"] for p in visits.photos(db, visit_id)] == ["pending"]
    upload(dev, data, chunk=3000, start=6000)
    assert [p["blob_state"] for p in visits.photos(db, visit_id)] == ["complete"]


def test_content_type_cannot_change_mid_upload(client, db, tree):
    from tests.device import Device

    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(7, 4000)
    sha = sha256(data)
    first = client.put(
        f"/api/blobs/{sha}",
        data=data[:2000],
        headers={
            **dev.headers,
            "Content-Type": "image/jpeg",
            "Upload-Offset": "0",
            "Upload-Length": str(len(data)),
        },
    )
    assert first.status_code == 200
    second = client.put(
        f"/api/blobs/{sha}",
        data=data[2000:],
        headers={
            **dev.headers,
            "Content-Type": "image/png",
            "Upload-Offset": "2000",
            "Upload-Length": str(len(data)),
        },
    )
    assert second.status_code == 409 and second.get_json()["error"] == "type_changed"


def test_a_photo_sent_in_one_request_leaves_no_upload_row_or_partial_file(
    client, db, field, store
):
    # The whole file in one request: verified from the request, recorded in one transaction.
    dev = Device(client, "am1", factories.PASSWORD)
    data = jpeg_bytes(11, 6000)
    sha = sha256(data)
    resp = put(dev, sha, data, 0, len(data))
    assert resp.status_code == 200 and resp.get_json()["state"] == "complete"
    assert store.path(sha).read_bytes() == data
    assert (
        db.execute("SELECT count(*) FROM blob_upload WHERE sha256 = ?", [sha]).fetchone()[0] == 0
    )
    assert [p for p in Path(store.root).rglob(f"{sha}*") if p != store.path(sha)] == []
    bad = jpeg_bytes(12, 6000)
    resp = put(dev, sha256(bad)[:-1] + "0", bad, 0, len(bad))  # bytes that lie about their name
    assert resp.status_code == 422 and resp.get_json()["error"] == "hash_mismatch"
    assert head(dev, sha).headers["Blob-State"] == "complete"  # the good one is untouched

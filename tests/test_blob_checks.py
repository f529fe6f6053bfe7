"""Blob uploads under hostile input: every header and every file gets a documented answer.

Headers are plain decimal integers or refused (400 bad_header); a finished file is decoded
(Pillow) and must be the declared type, within the pixel cap, whole, with nothing after its
end; a full disk or a busy database is a retryable 503. See docs/sync-protocol.md section 9.
"""

import errno
import re
import sqlite3
import struct
import zlib
from pathlib import Path

import pytest

import sync.blobs
from tests import factories
from tests.blobs import download, head, image, put, upload
from tests.device import Device, jpeg_bytes, sha256

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "sync-protocol.md"


@pytest.fixture
def dev(client, tree):
    return Device(client, "am1", factories.PASSWORD)


def raw_put(dev, sha, data, **headers):
    return dev.client.put(f"/api/blobs/{sha}", data=data, headers={**dev.headers, **headers})


def png_of(width: int, height: int) -> bytes:
    """A 1-bit grey PNG of any size, made without Pillow holding its pixels (a pixel bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    squeeze = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    body = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def send_whole(dev, data, mime):
    return raw_put(
        dev,
        sha256(data),
        data,
        **{"Content-Type": mime, "Upload-Offset": "0", "Upload-Length": str(len(data))},
    )


# ---- headers ----

BAD_INTEGERS = ["-1", "99999999999999999999", str(2**63), "abc", "+5", " 5", "5 ", "5.0"]
BAD_INTEGERS += ["0x10", "", "1e3", "1_000", "\uff15", "\u0665"]  # fullwidth 5, Arabic 5


@pytest.mark.parametrize("header", ["Upload-Offset", "Upload-Length"])
def test_an_upload_header_that_is_not_a_plain_integer_is_400_bad_header(dev, header):
    data = jpeg_bytes(31, 2000)
    for value in BAD_INTEGERS:
        headers = {"Content-Type": "image/jpeg", "Upload-Offset": "0", "Upload-Length": "2000"}
        headers[header] = value
        resp = raw_put(dev, sha256(data), data, **headers)
        assert resp.status_code == 400 and resp.get_json()["error"] == "bad_header", value
        assert head(dev, sha256(data)).status_code == 404  # nothing was started


ODD_TYPES = ["", "text/html", "image/svg+xml", "image/gif", "image/*", "image/jpeg\u00e9"]
ODD_TYPES += ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]


def test_an_odd_content_type_is_415_bad_type(dev):
    data = jpeg_bytes(32, 2000)
    for mime in ODD_TYPES:
        resp = send_whole(dev, data, mime)
        assert resp.status_code == 415 and resp.get_json()["error"] == "bad_type", mime
    assert send_whole(dev, data, "IMAGE/JPEG").get_json()["state"] == "complete"


@pytest.mark.parametrize("name", ["A" * 64, "a" * 65, "a" * 63, "g" * 64, "../" + "a" * 61])
def test_a_bad_blob_name_is_refused_everywhere(dev, name):
    data = jpeg_bytes(33, 2000)
    headers = {"Content-Type": "image/jpeg", "Upload-Offset": "0", "Upload-Length": "2000"}
    resp = raw_put(dev, name, data, **headers)
    assert resp.status_code in (400, 404)
    if resp.status_code == 400:
        assert resp.get_json()["error"] == "bad_name"
    resp = dev.client.head(f"/api/blobs/{name}", headers=dev.headers)
    assert resp.status_code == 404
    assert dev.client.get(f"/api/blobs/{name}", headers=dev.headers).status_code == 404


def test_a_malformed_chunk_hash_is_400_bad_header(dev):
    data = jpeg_bytes(34, 2000)
    for value in ("xyz", "a" * 63, sha256(data) + "0"):
        resp = put(dev, sha256(data), data, 0, len(data), chunk_sha=value)
        assert resp.status_code == 400 and resp.get_json()["error"] == "bad_header"
    resp = put(dev, sha256(data), data, 0, len(data), chunk_sha=sha256(data).upper())
    assert resp.status_code == 200 and resp.get_json()["state"] == "complete"


def test_sizes_and_offsets_out_of_range(dev):
    data = jpeg_bytes(35, 3000)
    sha = sha256(data)
    for length in ("0", str(15 * 1024 * 1024 + 1), str(2**62)):
        headers = {"Content-Type": "image/jpeg", "Upload-Offset": "0", "Upload-Length": length}
        resp = raw_put(dev, sha, data, **headers)
        assert resp.status_code == 413 and resp.get_json()["error"] == "bad_size"
    resp = put(dev, sha, data + b"x", 0, len(data))  # runs past Upload-Length
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_long"
    resp = put(dev, sha, data[:10], 2**62, len(data))
    assert resp.status_code == 409 and resp.get_json()["error"] == "bad_offset"
    assert resp.headers["Upload-Offset"] == "0"


def test_every_code_the_blob_endpoints_answer_is_in_the_docs_table():
    sources = ["sync/blobs.py", "sync/images.py", "server/sync_api/blobs.py"]
    raised = set()
    for name in sources:
        text = (ROOT / name).read_text()
        raised |= set(re.findall(r'BlobError\(\s*"(\w+)"', text))
        raised |= set(re.findall(r'ImageRefused\(\s*"(\w+)"', text))
    raised |= {"storage_full", "database_busy"}
    section = DOC.read_text().split("## 9. Blobs")[1].split("\n## ")[0]
    documented = {}
    for status, codes in re.findall(r"^\| `(\d{3})` \| ((?:`\w+`(?:, )?)+) \|", section, re.M):
        for code in re.findall(r"`(\w+)`", codes):
            documented[code] = int(status)
    assert raised - set(documented) == set(), "codes missing from the blob table"
    assert documented["bad_header"] == 400 and documented["type_changed"] == 409
    assert documented["storage_full"] == documented["database_busy"] == 503


# ---- images ----


def test_real_png_and_webp_are_served_as_their_verified_type_with_nosniff(dev):
    for fmt, mime in (("PNG", "image/png"), ("WEBP", "image/webp"), ("JPEG", "image/jpeg")):
        data = image(fmt)
        resp = send_whole(dev, data, mime)
        assert resp.status_code == 200 and resp.get_json()["state"] == "complete", fmt
        got = download(dev, data)
        assert got.data == data and got.mimetype == mime
        assert got.headers["X-Content-Type-Options"] == "nosniff"


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
WAV = b"RIFF" + struct.pack("<I", 36 + 800) + b"WAVEfmt " + bytes(16) + b"data" + bytes(804)


@pytest.mark.parametrize(
    "label, data, mime, code",
    [
        ("html polyglot", b"\xff\xd8\xff\xe0" + HTML * 40, "image/jpeg", "bad_image"),
        ("wav as webp", WAV, "image/webp", "bad_content"),
        ("jpeg as png", image("JPEG"), "image/png", "bad_content"),
        ("30000 x 30000 px", png_of(30000, 30000), "image/png", "bad_image"),
        ("10000 x 10000 px", png_of(10000, 10000), "image/png", "bad_image"),  # a warning
        ("8000 x 6000 px", png_of(8000, 6000), "image/png", "bad_image"),  # over 40 MP
        ("html after jpeg", image("JPEG") + HTML, "image/jpeg", "bad_image"),
        ("html after png", image("PNG") + HTML, "image/png", "bad_image"),
        ("html after webp", image("WEBP") + HTML, "image/webp", "bad_image"),
        ("png with a damaged pixel chunk", None, "image/png", "bad_image"),
        ("jpeg cut short", image("JPEG", (400, 300))[:-900], "image/jpeg", "bad_image"),
    ],
)
def test_a_file_that_is_not_a_sound_image_of_its_type_is_refused(
    app, db, dev, label, data, mime, code
):
    if data is None:
        good = image("PNG", (64, 64))
        at = good.index(b"IDAT") + 8
        data = good[:at] + bytes([good[at] ^ 0x55]) + good[at + 1 :]
    resp = send_whole(dev, data, mime)
    assert resp.status_code == 422, label
    assert resp.get_json()["error"] == code and resp.get_json()["offset"] == 0, label
    assert resp.headers["Upload-Offset"] == "0"
    sha = sha256(data)
    assert db.execute("SELECT count(*) FROM blob WHERE sha256 = ?", [sha]).fetchone()[0] == 0
    assert list(Path(app.config["BLOB_DIR"]).rglob(f"{sha}*")) == []  # discarded
    assert download(dev, data).status_code == 404


def test_the_pixel_cap_admits_a_large_photo(dev):
    data = png_of(6000, 4000)  # 24 MP
    resp = send_whole(dev, data, "image/png")
    assert resp.status_code == 200 and resp.get_json()["state"] == "complete"


# ---- a full disk, a busy database ----


class FullDisk:
    """open() whose files refuse every write with ENOSPC, like a full disk."""

    def __init__(self, real, only=""):
        self.real, self.only = real, only

    def __call__(self, path, *args, **kwargs):
        fh = self.real(path, *args, **kwargs)
        if not str(path).endswith(self.only):
            return fh

        class Handle:
            def __enter__(self_inner):
                return self_inner

            def __exit__(self_inner, *exc):
                fh.close()

            def write(self_inner, _data):
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self_inner, name):
                return getattr(fh, name)

        return Handle()


@pytest.mark.parametrize(
    "stop, only",
    [(4000, ""), (8000, ""), (8000, ".tmp")],
    ids=["a middle chunk", "the last chunk", "storing the verified file"],
)
def test_a_full_disk_is_a_retryable_503_and_the_upload_resumes(app, monkeypatch, dev, stop, only):
    data = jpeg_bytes(36, 8000)
    sha = sha256(data)
    if stop > 4000:
        upload(dev, data, chunk=4000, stop=stop - 4000)
    monkeypatch.setattr(sync.blobs, "open", FullDisk(open, only), raising=False)
    resp = put(dev, sha, data[stop - 4000 : stop], stop - 4000, len(data))
    assert resp.status_code == 503 and resp.get_json()["error"] == "storage_full"
    assert int(resp.headers["Retry-After"]) > 0
    offset = head(dev, sha).headers["Upload-Offset"]
    assert offset == str(stop - 4000)
    assert list(Path(app.config["BLOB_DIR"]).rglob("*.tmp")) == []
    monkeypatch.undo()
    last = upload(dev, data, chunk=4000, start=int(offset))
    assert last.get_json()["state"] == "complete" and download(dev, data).data == data


def test_a_busy_database_is_a_retryable_503(app, monkeypatch, dev):
    """Another writer holds the lock past the busy timeout while the chunk is recorded."""
    data = jpeg_bytes(37, 3000)
    other = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    real_holds = sync.blobs.BlobStore.holds

    def holds_then_lock(self, db, sha, user_id):  # after sign-in, before the blob write
        other.execute("BEGIN IMMEDIATE")
        return real_holds(self, db, sha, user_id)

    monkeypatch.setattr(sync.blobs.BlobStore, "holds", holds_then_lock)
    try:
        resp = put(dev, sha256(data), data, 0, len(data))
    finally:
        other.execute("ROLLBACK")
        other.close()
        monkeypatch.undo()
    assert resp.status_code == 503 and resp.get_json()["error"] == "database_busy"
    assert resp.headers["Retry-After"] == "2"
    assert head(dev, sha256(data)).headers["Upload-Offset"] == "0"
    assert put(dev, sha256(data), data, 0, len(data)).get_json()["state"] == "complete"


def test_a_partial_file_the_server_lost_restarts_the_upload_from_0(app, dev):
    data = jpeg_bytes(38, 8000)
    sha = sha256(data)
    upload(dev, data, chunk=4000, stop=4000)
    for lost in Path(app.config["BLOB_DIR"], "partial").glob(f"{sha}.*"):
        lost.unlink()  # a disk repair, a restore of the blob folder
    resp = put(dev, sha, data[4000:], 4000, len(data))
    assert resp.status_code == 409 and resp.get_json()["error"] == "bad_offset"
    assert resp.get_json()["offset"] == 0 and head(dev, sha).headers["Upload-Offset"] == "0"
    assert upload(dev, data, chunk=4000).get_json()["state"] == "complete"

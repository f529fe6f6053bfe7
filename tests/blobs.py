"""Helpers for blob tests: chunked upload, HEAD and download through the blob API, a visit
with a photo, small pictures in any format."""

import io

from PIL import Image

from tests.device import check_in, new_id, sha256


def put(dev, sha, chunk, offset, size, mime="image/jpeg", chunk_sha=None):
    """PUT one chunk of a blob at offset."""
    headers = {**dev.headers, "Upload-Offset": str(offset), "Upload-Length": str(size)}
    if chunk_sha:
        headers["Chunk-SHA256"] = chunk_sha
    return dev.client.put(f"/api/blobs/{sha}", data=chunk, headers=headers, content_type=mime)


def head(dev, sha):
    """HEAD a blob: how much of it the server holds."""
    return dev.client.head(f"/api/blobs/{sha}", headers=dev.headers)


def download(dev, data, token=True):
    """GET a blob; the response is read and closed (send_file keeps the file open)."""
    headers = dev.headers if token else {}
    resp = dev.client.get(f"/api/blobs/{sha256(data)}", headers=headers)
    resp.get_data()
    resp.close()
    return resp


def upload(dev, data, chunk=4000, start=0, stop=None, mime="image/jpeg", sha=None):
    """PUT data[start:stop] in chunks; return the last response."""
    sha = sha or sha256(data)
    stop = len(data) if stop is None else stop
    resp = None
    for offset in range(start, stop, chunk):
        part = data[offset : min(offset + chunk, stop)]
        resp = put(dev, sha, part, offset, len(data), mime, chunk_sha=sha256(part))
        assert resp.status_code == 200, resp.get_json()
    return resp


def visit_with_photo(dev, customer, sha, size=5000):
    """Check in at customer and attach a photo signed with sha; the visit id."""
    visit = check_in(dev, customer)
    photo = {
        "id": new_id(),
        "visit_id": visit["args"]["id"],
        "sha256": sha,
        "mime": "image/jpeg",
        "size": size,
        "caption": "门头",
    }
    status, body = dev.push([visit, dev.mutation("visit.add_photo", photo)])
    assert status == 200 and [r["status"] for r in body["results"]] == ["applied"] * 2
    return visit["args"]["id"]


def image(fmt: str, size=(40, 30), **options) -> bytes:
    """A small picture in fmt (JPEG, PNG, WEBP, ...), made by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(out, fmt, **options)
    return out.getvalue()

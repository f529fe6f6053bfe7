"""Blob upload and download: HEAD for the offset, PUT chunks, GET the finished file.

Upload headers: Upload-Offset (where this chunk starts), Upload-Length (the whole size),
Content-Type (the file's type), optional Chunk-SHA256. HEAD and PUT speak only of the
caller's own upload: what others sent is never revealed. Download needs the bytes held by
the caller, or an attachment the caller may see whose author holds them (server/scope.py).
Every refusal is JSON `{error, message, offset?}` (docs/sync-protocol.md section 9).
"""

import re

from flask import Blueprint, current_app, g, jsonify, request

from sync.blobs import BlobError, BlobStore, valid_sha
from sync.transactions import DatabaseUnavailable

from .. import metrics, scope
from ..auth.session import token_required
from ..blob_files import send_blob
from ..db import get_db, one
from ..extensions import csrf
from ..ids import now_utc

bp = Blueprint("blobs_api", __name__, url_prefix="/api/blobs")
csrf.exempt(bp)

# ASCII digits only: int() also takes " 5", "+5", "1_000" and "５" (fullwidth).
DIGITS = re.compile(r"[0-9]{1,19}\Z")
INT_MAX = 2**63 - 1  # SQLite's integer range


def _not_found() -> BlobError:
    return BlobError("not_found", "no such blob", 404)


def store() -> BlobStore:
    return BlobStore(current_app.config["BLOB_DIR"])


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not DIGITS.match(raw) or int(raw) > INT_MAX:
        raise BlobError("bad_header", f"{name} must be a decimal integer 0..{INT_MAX}")
    return int(raw)


@bp.errorhandler(BlobError)
def blob_error(exc: BlobError):
    response = jsonify(exc.as_dict())
    if exc.offset is not None:
        response.headers["Upload-Offset"] = str(exc.offset)
    return response, exc.status


@bp.errorhandler(DatabaseUnavailable)
def unavailable(exc: DatabaseUnavailable):
    """A busy database or a full disk: nothing of this chunk was recorded; retry later."""
    response = jsonify(error=exc.code, message=exc.message, retry_after=exc.retry_after)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, 503


@bp.route("/<sha>", methods=["HEAD"])
@token_required
def status(sha):
    """How much of the caller's own upload the server holds: Upload-Offset, Upload-Length,
    Blob-State. Another user's upload answers 404 like a blob nobody has sent."""
    row = store().status(get_db(), sha, g.api_user["id"]) if valid_sha(sha) else None
    response = current_app.response_class(status=200 if row else 404)
    response.headers["Upload-Offset"] = str(row["received"] if row else 0)
    if row:
        response.headers["Upload-Length"] = str(row["size"])
        response.headers["Blob-State"] = row["state"]
    return response


@bp.put("/<sha>")
@token_required
def upload(sha):
    """Append one chunk at Upload-Offset; the last chunk verifies the hash and the image."""
    if not valid_sha(sha):
        raise BlobError("bad_name", "a blob is named by its SHA-256 in lowercase hex")
    offset, size = _int_header("Upload-Offset"), _int_header("Upload-Length")
    limit = current_app.config.get("BLOB_CHUNK_MAX", 2 * 1024 * 1024)
    if (request.content_length or 0) > limit:
        raise BlobError("chunk_too_large", f"chunks are at most {limit} bytes", 413)
    data = request.get_data(cache=False)
    if len(data) > limit:  # a body without Content-Length
        raise BlobError("chunk_too_large", f"chunks are at most {limit} bytes", 413)
    row = store().write_chunk(
        get_db(),
        sha=sha,
        offset=offset,
        data=data,
        size=size,
        mime=request.mimetype,
        user_id=g.api_user["id"],
        now=now_utc(),
        chunk_sha=request.headers.get("Chunk-SHA256") or None,
    )
    metrics.observe_blob("in", len(data))
    response = jsonify(state=row["state"], offset=row["received"], size=row["size"])
    response.headers["Upload-Offset"] = str(row["received"])
    return response


def downloadable(db, caller, sha: str, user_id: str) -> bool:
    """True when the caller holds the blob, or may see an attachment naming it whose
    author holds it (knowing the hash is not enough)."""
    visible, params = scope.blob_visible(caller, sha)
    sql = f"SELECT 1 WHERE {scope.holds('?', '?')} OR {visible}"
    return one(db, sql, [sha, user_id, *params]) is not None


@bp.get("/<sha>")
@token_required
def download(sha):
    """The finished file, if the caller may see it; 404 otherwise."""
    db = get_db()
    if not valid_sha(sha) or not downloadable(db, g.api_caller, sha, g.api_user["id"]):
        raise _not_found()
    row = store().blob(db, sha)
    path = store().path(sha)
    if row is None or not path.exists():
        raise _not_found()
    response = send_blob(path, row["mime"], 31536000)
    if response.status_code == 200:  # not a 304 to a conditional request
        metrics.observe_blob("out", row["size"])
    return response

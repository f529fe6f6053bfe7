"""Blob upload and download: HEAD for the offset, PUT chunks, GET the finished file.

Upload headers: Upload-Offset (where this chunk starts), Upload-Length (the whole size),
Content-Type (the file's type), optional Chunk-SHA256. Download is scoped: only a blob
that an attachment the caller may see refers to (or that the caller uploaded).
"""

from flask import Blueprint, abort, current_app, g, jsonify, request, send_file

from sync.blobs import BlobError, BlobStore, valid_sha

from .. import scope
from ..auth.session import token_required
from ..db import get_db, one
from ..extensions import csrf
from ..ids import now_utc

bp = Blueprint("blobs_api", __name__, url_prefix="/api/blobs")
csrf.exempt(bp)


def store() -> BlobStore:
    return BlobStore(current_app.config["BLOB_DIR"])


def _int_header(name: str) -> int:
    try:
        return int(request.headers.get(name, ""))
    except ValueError:
        raise BlobError("bad_header", f"{name} must be an integer") from None


@bp.errorhandler(BlobError)
def blob_error(exc: BlobError):
    response = jsonify(exc.as_dict())
    if exc.offset is not None:
        response.headers["Upload-Offset"] = str(exc.offset)
    return response, exc.status


@bp.route("/<sha>", methods=["HEAD"])
@token_required
def status(sha):
    """How much of a blob the server holds: Upload-Offset, Upload-Length, Blob-State."""
    if not valid_sha(sha):
        abort(404)
    row = store().status(get_db(), sha)
    response = current_app.response_class(status=200 if row else 404)
    response.headers["Upload-Offset"] = str(row["received"] if row else 0)
    if row:
        response.headers["Upload-Length"] = str(row["size"])
        response.headers["Blob-State"] = row["state"]
    return response


@bp.put("/<sha>")
@token_required
def upload(sha):
    """Append one chunk at Upload-Offset; the last chunk verifies the hash."""
    limit = current_app.config.get("BLOB_CHUNK_MAX", 2 * 1024 * 1024)
    if (request.content_length or 0) > limit:
        raise BlobError("chunk_too_large", f"chunks are at most {limit} bytes", 413)
    row = store().write_chunk(
        get_db(),
        sha=sha,
        offset=_int_header("Upload-Offset"),
        data=request.get_data(cache=False),
        size=_int_header("Upload-Length"),
        mime=request.mimetype,
        user_id=g.api_user["id"],
        now=now_utc(),
        chunk_sha=request.headers.get("Chunk-SHA256"),
    )
    response = jsonify(state=row["state"], offset=row["received"], size=row["size"])
    response.headers["Upload-Offset"] = str(row["received"])
    return response


def visible_to(db, caller, sha: str, user_id: str) -> bool:
    """True when the caller may fetch this blob (an attachment in scope, or their upload)."""
    where, params = scope.visits(caller, "v")
    sql = (
        "SELECT 1 FROM blob b WHERE b.sha256 = ? AND (b.user_id = ? OR EXISTS ("
        " SELECT 1 FROM visit v LEFT JOIN visit_photo p ON p.visit_id = v.id"
        f" WHERE (p.sha256 = b.sha256 OR v.signature_sha256 = b.sha256) AND {where}))"
    )
    return one(db, sql, [sha, user_id, *params]) is not None


@bp.get("/<sha>")
@token_required
def download(sha):
    """The finished file, if the caller may see it; 404 otherwise."""
    db = get_db()
    if not valid_sha(sha) or not visible_to(db, g.api_caller, sha, g.api_user["id"]):
        abort(404)
    row = store().status(db, sha)
    if row is None or row["state"] != "complete":
        abort(404)
    response = send_file(store().path(sha), mimetype=row["mime"], max_age=31536000)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response

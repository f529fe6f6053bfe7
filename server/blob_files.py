"""Sending a stored blob: with its verified type, never sniffed, never run as a page."""

from flask import abort, current_app, send_file

from sync.blobs import BlobStore, valid_sha


def send_blob(path, mime: str, max_age: int):
    """The blob file as a response. `mime` is the type the upload was verified as
    (sync/images.py); nosniff keeps a browser from reading it as anything else, and the
    sandbox policy keeps even a mislabelled file from running script if opened directly."""
    response = send_file(path, mimetype=mime, max_age=max_age)
    response.headers["Cache-Control"] = f"private, max-age={max_age}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_attached(sha: str, attached):
    """A photo (or signature) on a record's page: `attached(sha)` is its blob row when the
    blob is the record's and complete; anything else, a malformed sha too, is a 404."""
    blob = attached(sha) if valid_sha(sha) else None
    if blob is None:
        abort(404)
    path = BlobStore(current_app.config["BLOB_DIR"]).path(sha)
    return send_blob(path, blob["mime"], 86400)

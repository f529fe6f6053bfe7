"""Sending a stored blob: with its verified type, never sniffed, never run as a page."""

from flask import send_file


def send_blob(path, mime: str, max_age: int):
    """The blob file as a response. `mime` is the type the upload was verified as
    (sync/images.py); nosniff keeps a browser from reading it as anything else, and the
    sandbox policy keeps even a mislabelled file from running script if opened directly."""
    response = send_file(path, mimetype=mime, max_age=max_age)
    response.headers["Cache-Control"] = f"private, max-age={max_age}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

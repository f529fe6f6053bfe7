"""Content-addressed blobs (photos, signatures): resumable chunked upload, verified by hash.

A device asks how much the server holds from it (`status`), sends chunks at that offset
(`write_chunk`, optionally with the chunk's own SHA-256 so a corrupt chunk is refused at
once), and the last chunk completes the blob only if the whole file hashes to its name and
decodes as its declared image type (sync/images.py).

Uploads are per (blob, user): one user's chunks never touch another's upload, and what the
server holds for others is never revealed. Finishing an upload makes the user a *holder* of
that content (`blob_holder`); the bytes are stored once however many users upload them.
Holding is what lets a user's attachment show the blob to others (server/scope.py): a hash
alone is a name, not a key. A mutation may name a blob before it arrives; the attachment
shows as pending until its author has uploaded the bytes.
"""

import hashlib
import os
import re
import secrets
from contextlib import suppress
from pathlib import Path

from . import images
from .transactions import unavailable, write_lock

MIMES = tuple(images.MIMES)
MAX_SIZE = 15 * 1024 * 1024
SHA = re.compile(r"[0-9a-f]{64}\Z")
CHUNK_SHA = re.compile(r"[0-9a-fA-F]{64}\Z")


class BlobError(Exception):
    """A refused upload: `code` says why, `offset` how much the server holds now."""

    def __init__(self, code: str, message: str, status: int = 400, offset: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.offset = code, message, status, offset

    def as_dict(self) -> dict:
        out = {"error": self.code, "message": self.message}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


def valid_sha(sha) -> bool:
    """A blob name: 64 lowercase hex digits."""
    return isinstance(sha, str) and SHA.match(sha) is not None


class BlobStore:
    """Blob files under one folder; their state in `blob`, `blob_upload` and `blob_holder`."""

    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where a complete blob lives (never a user-chosen path)."""
        return self.root / sha[:2] / sha

    def _partial(self, sha: str, user_id: str) -> Path:
        who = hashlib.sha256(str(user_id).encode()).hexdigest()[:16]  # never a raw id in a path
        return self.root / "partial" / f"{sha}.{who}"

    def blob(self, db, sha: str) -> dict | None:
        """The complete blob's row (size, verified mime), or None."""
        row = db.execute(
            "SELECT * FROM blob WHERE sha256 = ? AND state = 'complete'", [sha]
        ).fetchone()
        return dict(row) if row else None

    def holds(self, db, sha: str, user_id: str) -> bool:
        """Has this user uploaded these bytes (all of them, verified)?"""
        found = db.execute(
            "SELECT 1 FROM blob_holder WHERE sha256 = ? AND user_id = ?", [sha, user_id]
        ).fetchone()
        return found is not None

    def status(self, db, sha: str, user_id: str) -> dict | None:
        """What this user has sent of `sha`: {state, size, received, mime}, or None.

        `complete` when they hold it, `partial` for their own unfinished upload; someone
        else's upload is None, exactly like a blob nobody has sent."""
        if self.holds(db, sha, user_id):
            row = self.blob(db, sha)
            if row:
                return {**row, "state": "complete", "received": row["size"]}
        upload = db.execute(
            "SELECT * FROM blob_upload WHERE sha256 = ? AND user_id = ?", [sha, user_id]
        ).fetchone()
        return {**dict(upload), "state": "partial"} if upload else None

    def write_chunk(
        self, db, *, sha, offset, data: bytes, size, mime, user_id, now, chunk_sha=None
    ) -> dict:
        """Append a chunk at `offset`; complete and verify on the last one. Returns status.

        A full disk or a busy database raises sync.transactions.DatabaseUnavailable with
        the upload as it was before this chunk."""
        if not valid_sha(sha):
            raise BlobError("bad_name", "a blob is named by its SHA-256 in lowercase hex")
        if mime not in MIMES:
            raise BlobError("bad_type", f"allowed types: {', '.join(MIMES)}", 415)
        if not isinstance(size, int) or not 0 < size <= MAX_SIZE:
            raise BlobError("bad_size", f"Upload-Length must be 1..{MAX_SIZE} bytes", 413)
        if not isinstance(offset, int) or offset < 0:
            raise BlobError("bad_header", "Upload-Offset must be a non-negative integer")
        if chunk_sha is not None and not CHUNK_SHA.match(chunk_sha):
            raise BlobError("bad_header", "Chunk-SHA256 must be 64 hex digits")
        sent = self.status(db, sha, user_id)
        if sent and sent["state"] == "complete":
            return sent  # sent before: a harmless no-op
        if chunk_sha and hashlib.sha256(data).hexdigest() != chunk_sha.lower():
            held = sent["received"] if sent else 0
            raise BlobError("corrupt_chunk", "chunk hash mismatch; resend it", 422, held)
        if sent is None and offset == 0 and len(data) == size:
            # The whole file in one request (most photos): nothing to resume, so no upload
            # row and no partial file, and one write transaction instead of two.
            return self._finish(db, sha, user_id, mime, size, now, content=data)
        with write_lock(db):
            row, refused, last = self._append(db, sha, offset, data, size, mime, user_id, now)
        if refused:  # raised after the commit: a reset to offset 0 sticks
            raise refused
        return self._finish(db, sha, user_id, mime, size, now) if last else row

    def _upload_row(self, db, sha, user_id) -> dict | None:
        row = db.execute(
            "SELECT * FROM blob_upload WHERE sha256 = ? AND user_id = ?", [sha, user_id]
        ).fetchone()
        return {**dict(row), "state": "partial"} if row else None

    def _append(self, db, sha, offset, data, size, mime, user_id, now):
        """(status, refusal to raise after commit, whether this chunk ends the file)."""
        key = [sha, user_id]
        row = self._upload_row(db, sha, user_id)
        if row is None:
            db.execute(
                "INSERT INTO blob_upload (sha256, user_id, size, mime, received, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                [sha, user_id, size, mime, now, now],
            )
        elif row["received"] == 0 and (row["mime"], row["size"]) != (mime, size):
            # Nothing received yet (a fresh start, or after a refusal): nothing to contradict.
            db.execute(
                "UPDATE blob_upload SET size = ?, mime = ?, updated_at = ?"
                " WHERE sha256 = ? AND user_id = ?",
                [size, mime, now, *key],
            )
        row = self._upload_row(db, sha, user_id)
        received = row["received"]
        if row["mime"] != mime:
            raise BlobError(
                "type_changed", "Content-Type differs from the upload's start", 409, received
            )
        if row["size"] != size:
            raise BlobError("size_changed", "size differs from the upload's start", 409, received)
        if offset != received:
            raise BlobError("bad_offset", "resume from the server's offset", 409, received)
        if offset + len(data) > size:
            raise BlobError("too_long", "chunk runs past the declared size", 413, received)
        partial = self._partial(sha, user_id)
        if (partial.stat().st_size if partial.exists() else 0) < offset:
            # The bytes behind the recorded offset are gone (a restore, a disk repair).
            self._reset(db, sha, user_id, now)
            lost = BlobError("bad_offset", "the server lost this upload; start from 0", 409, 0)
            return {**row, "received": 0}, lost, False
        partial.parent.mkdir(parents=True, exist_ok=True)
        _write_at(partial, offset, data)
        if offset + len(data) == size:
            # Not recorded as received until verified: a crash now leaves the offset before
            # this chunk, and the device simply sends the last chunk again.
            return row, None, True
        db.execute(
            "UPDATE blob_upload SET received = ?, updated_at = ? WHERE sha256 = ? AND user_id = ?",
            [offset + len(data), now, *key],
        )
        return self._upload_row(db, sha, user_id), None, False

    def _reset(self, db, sha, user_id, now) -> None:
        db.execute(
            "UPDATE blob_upload SET received = 0, updated_at = ? WHERE sha256 = ? AND user_id = ?",
            [now, sha, user_id],
        )

    def _finish(self, db, sha, user_id, mime, size, now, content: bytes | None = None) -> dict:
        """Verify the finished file (outside the write lock: decoding takes a while), then
        keep it and record the holder, or discard it and reset the upload to 0. `content`:
        the whole file sent in one request, never written as a partial file."""
        partial = self._partial(sha, user_id)
        if content is None:
            content = partial.read_bytes() if partial.exists() else b""
        refused = None
        if len(content) != size or hashlib.sha256(content).hexdigest() != sha:
            refused = BlobError(
                "hash_mismatch", "the file does not hash to its name; upload again", 422, 0
            )
        else:
            # Verified even when someone else sent these bytes before: the answer and its
            # time must not tell whether anyone did.
            try:
                images.verify(content, mime)
            except images.ImageRefused as exc:
                refused = BlobError(exc.code, f"{exc.message}; the file was discarded", 422, 0)
            else:
                if self.blob(db, sha) is None or not self.path(sha).exists():
                    self._store(sha, content)  # the first copy (or one a disk lost)
        with write_lock(db):
            if refused:
                self._reset(db, sha, user_id, now)
            else:
                db.execute(
                    "INSERT OR IGNORE INTO blob (sha256, size, mime, received, state, user_id,"
                    " created_at, completed_at) VALUES (?, ?, ?, ?, 'complete', ?, ?, ?)",
                    [sha, size, mime, size, user_id, now, now],
                )
                db.execute(
                    "INSERT OR IGNORE INTO blob_holder (sha256, user_id, at) VALUES (?, ?, ?)",
                    [sha, user_id, now],
                )
                db.execute(
                    "DELETE FROM blob_upload WHERE sha256 = ? AND user_id = ?", [sha, user_id]
                )
        partial.unlink(missing_ok=True)
        if refused:
            raise refused
        return self.status(db, sha, user_id)

    def _store(self, sha: str, content: bytes) -> None:
        """Write the verified bytes (not the partial file, which a retry could touch) to
        their final place: a temporary file, fsync, then an atomic rename."""
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f"{sha}.{secrets.token_hex(6)}.tmp")
        try:
            _write_at(temporary, 0, content)
            os.replace(temporary, final)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise (unavailable(exc) or exc) from exc


def _write_at(path: Path, offset: int, data: bytes) -> None:
    """Write `data` at `offset` and cut the file there, durably. On a full disk the file is
    cut back to `offset`, so what is on disk never runs past what was recorded."""
    with open(path, "r+b" if offset else "wb") as fh:
        try:
            fh.seek(offset)
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        except OSError:
            with suppress(OSError):
                fh.truncate(offset)
            raise

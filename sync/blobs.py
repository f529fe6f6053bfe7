"""Content-addressed blobs (photos, signatures): resumable chunked upload, verified by hash.

A device asks how much the server has (`status`), sends chunks at that offset
(`write_chunk`, optionally with the chunk's own SHA-256 so a corrupt chunk is refused at
once), and the last chunk completes the blob only if the whole file hashes to its name.
A mutation may name a blob before it arrives; the attachment shows as pending until then.
"""

import hashlib
import os
from pathlib import Path

SNIFF = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}
MAX_SIZE = 15 * 1024 * 1024


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


def valid_sha(sha: str) -> bool:
    """A blob name: 64 lowercase hex digits."""
    return len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)


class BlobStore:
    """Blob files under one folder; their state in the `blob` table."""

    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where a complete blob lives (never a user-chosen path)."""
        return self.root / sha[:2] / sha

    def _partial(self, sha: str) -> Path:
        return self.root / "partial" / sha

    def status(self, db, sha: str) -> dict | None:
        """The blob's row (state, size, received), or None when unknown."""
        row = db.execute("SELECT * FROM blob WHERE sha256 = ?", [sha]).fetchone()
        return dict(row) if row else None

    def write_chunk(
        self, db, *, sha, offset, data: bytes, size, mime, user_id, now, chunk_sha=None
    ) -> dict:
        """Append a chunk at `offset`; complete and verify on the last one. Returns status."""
        if not valid_sha(sha):
            raise BlobError("bad_name", "a blob is named by its SHA-256 in lowercase hex")
        if mime not in SNIFF:
            raise BlobError("bad_type", f"allowed types: {', '.join(SNIFF)}", 415)
        if not isinstance(size, int) or not 0 < size <= MAX_SIZE:
            raise BlobError("bad_size", f"size must be 1..{MAX_SIZE} bytes", 413)
        if chunk_sha and hashlib.sha256(data).hexdigest() != chunk_sha:
            row = self.status(db, sha)
            raise BlobError(
                "corrupt_chunk",
                "chunk hash mismatch; resend it",
                422,
                row["received"] if row else 0,
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            result, refused = self._append(db, sha, offset, data, size, mime, user_id, now)
            db.execute("COMMIT")  # a refused whole file is reset to offset 0, and that sticks
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if refused:
            raise refused
        return result

    def _append(self, db, sha, offset, data, size, mime, user_id, now) -> dict:
        row = self.status(db, sha)
        if row and row["state"] == "complete":
            return row, None
        if row is None:
            db.execute(
                "INSERT INTO blob (sha256, size, mime, received, state, user_id, created_at)"
                " VALUES (?, ?, ?, 0, 'partial', ?, ?)",
                [sha, size, mime, user_id, now],
            )
            row = self.status(db, sha)
        if row["mime"] != mime:
            raise BlobError(
                "type_changed",
                "Content-Type differs from the upload's start",
                409,
                row["received"],
            )
        if row["size"] != size:
            raise BlobError(
                "size_changed", "size differs from the upload's start", 409, row["received"]
            )
        if offset != row["received"]:
            raise BlobError("bad_offset", "resume from the server's offset", 409, row["received"])
        if offset + len(data) > size:
            raise BlobError("too_long", "chunk runs past the declared size", 413, row["received"])
        partial = self._partial(sha)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "r+b" if offset else "wb") as fh:
            fh.seek(offset)
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        received = offset + len(data)
        db.execute("UPDATE blob SET received = ? WHERE sha256 = ?", [received, sha])
        refused = self._complete(db, sha, mime, now) if received == size else None
        return self.status(db, sha), refused

    def _complete(self, db, sha, mime, now) -> BlobError | None:
        partial = self._partial(sha)
        content = partial.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest != sha or not content.startswith(SNIFF[mime]):
            partial.unlink()
            db.execute("UPDATE blob SET received = 0 WHERE sha256 = ?", [sha])
            code = "hash_mismatch" if digest != sha else "bad_content"
            return BlobError(
                code, "the file does not match its name or type; upload again", 422, 0
            )
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, final)
        db.execute(
            "UPDATE blob SET state = 'complete', completed_at = ? WHERE sha256 = ?", [now, sha]
        )
        return None

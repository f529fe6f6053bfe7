"""UUIDv7 identifiers: time-ordered, made where a record is born."""

import os
import time
import uuid

from .times import now_stored as now_utc  # the name most callers use

__all__ = ["now_utc", "uuid7"]


def uuid7() -> str:
    """Return a new UUIDv7 as text (RFC 9562): 48-bit ms timestamp, then randomness."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))

"""UUIDv7 identifiers: time-ordered, made where a record is born."""

import os
import time
import uuid


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


def now_utc(offset_seconds: float = 0) -> str:
    """Return the current UTC time (plus an offset) as ISO-8601 with milliseconds and a Z."""
    t = time.time() + offset_seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"

"""Hybrid logical clocks: "<ms>:<counter>:<node>", ordered by (ms, counter, node).

Ordinary fields merge last-writer-wins by these stamps. The device builds them from its
clock corrected by the offset measured at each sync; the server clamps stamps from the
future so a device whose clock runs days ahead cannot win every merge forever.
"""

import re

MAX_FUTURE_MS = 10 * 60 * 1000
# ms and counter: ASCII digits (int() also takes "+1", " 1", "1_0" and other scripts'
# digits); at most 18 each, so they fit SQLite's integers. Node: 1-64 visible characters.
STAMP = re.compile(r"([0-9]{1,18}):([0-9]{1,18}):([\x21-\x7e]{1,64})")


def parse(stamp: str) -> tuple[int, int, str]:
    """Split a stamp into (ms, counter, node); ValueError when malformed.

    Lenient about the node (stamps stored before `valid` existed must still compare).
    """
    ms, counter, node = stamp.split(":", 2)
    digits = ms.isascii() and ms.isdigit() and counter.isascii() and counter.isdigit()
    if not digits or not node:
        raise ValueError(f"bad hlc {stamp!r}")
    return int(ms), int(counter), node


def valid(stamp) -> bool:
    """Is this a stamp the server accepts from a device?"""
    return isinstance(stamp, str) and STAMP.fullmatch(stamp) is not None


def make(ms: int, counter: int, node: str) -> str:
    """Format a stamp so that string order equals clock order (fixed-width numbers)."""
    return f"{ms:015d}:{counter:05d}:{node}"


def normalise(stamp: str, server_ms: int) -> str:
    """Re-format a stamp; one from more than MAX_FUTURE_MS ahead of the server is clamped."""
    ms, counter, node = parse(stamp)
    if ms > server_ms + MAX_FUTURE_MS:
        ms, counter = server_ms, 0
    return make(ms, counter, node)


def newer(a: str | None, b: str | None) -> bool:
    """True when stamp a is strictly later than stamp b (None is earliest)."""
    if a is None:
        return False
    if b is None:
        return True
    return parse(a) > parse(b)

"""The envelope of push and pull: checked in full before anything is written.

A malformed envelope is the client's own code at fault, so it is answered 400 with a reason
(ProtocolError) and nothing is stored. The device report is different: its figures come
from browser APIs the client does not control, so a figure out of its documented range is
clamped (numbers) or stored as unknown (anything else), and never fails the push.

Everything here is text or an integer SQLite can store: Python's json accepts NaN and
Infinity, integers of any size and lone UTF-16 surrogates ("\\ud83d", half an emoji), none
of which sqlite3 can bind.
"""

import math
import re
from datetime import datetime

from . import hlc
from .errors import ProtocolError

INT64_MAX = 2**63 - 1
MAX_MUTATIONS = 2000
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}", re.ASCII)
CLIENT_ID_RULE = "client_id must be 8-64 characters: letters, digits, '-', '_', '.', ':'"
TEXT_MAX = 40  # app_version, device_time, oldest_unsynced_at
EPOCH_MAX = 64
# Documented ranges of the device report (docs/sync-protocol.md §12): numbers are
# truncated to integers and clamped into these; anything else is stored as NULL.
TEN_YEARS_MS = 10 * 365 * 86_400_000
DEVICE_RANGES = {
    "unsynced_count": (0, 1_000_000_000),
    "storage_used": (0, 2**53),  # JavaScript's largest exact integer: 8 PiB
    "storage_quota": (0, 2**53),
    "clock_offset_ms": (-TEN_YEARS_MS, TEN_YEARS_MS),
}
DEVICE_FIELDS = (*DEVICE_RANGES, "oldest_unsynced_at")


def is_int(value, low: int = 0, high: int = INT64_MAX) -> bool:
    """An integer (a JSON bool is not one, though Python says so) within [low, high]."""
    return type(value) is int and low <= value <= high


def clean_text(value) -> bool:
    """Text SQLite can store and a screen can show: no lone surrogates, no control chars."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)


def storable(text: str, limit: int) -> str:
    """Any text made storable (surrogates escaped) and cut to `limit` characters."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


def client_id(body) -> str:
    """The one client_id rule, for push and pull alike."""
    if not isinstance(body, dict):
        raise ProtocolError("bad_request", "body must be a JSON object")
    value = body.get("client_id")
    if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
        raise ProtocolError("bad_client_id", CLIENT_ID_RULE)
    return value


def epoch(body) -> str | None:
    """The epoch the device last saw: text, or null/absent/"" for a client never seen."""
    value = body.get("server_epoch")
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > EPOCH_MAX or not clean_text(value):
        raise ProtocolError("bad_epoch", "server_epoch must be the text the server sent, or null")
    return value


def app_version(body) -> str | None:
    value = body.get("app_version")
    if value in (None, ""):
        return None
    if not clean_text(value) or len(value) > TEXT_MAX:
        raise ProtocolError("bad_app_version", f"app_version must be text of ≤ {TEXT_MAX}")
    return value


def schema_version(body) -> int | None:
    value = body.get("schema_version")
    if value is None:
        return None
    if not is_int(value):
        raise ProtocolError("bad_schema_version", "schema_version must be an integer ≥ 0")
    return value


def device_report(body) -> dict:
    """The device's figures to store: clamped into range, NULL when not a usable value."""
    device = body.get("device")
    if device is None:
        return {}
    if not isinstance(device, dict):
        raise ProtocolError("bad_device", "device must be an object")
    values = {}
    for key, (low, high) in DEVICE_RANGES.items():
        if key in device:
            values[key] = _clamped(device[key], low, high)
    if "oldest_unsynced_at" in device:
        values["oldest_unsynced_at"] = _time_text(device["oldest_unsynced_at"])
    return values


def _clamped(value, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    return max(low, min(high, value))


def _time_text(value) -> str | None:
    if not clean_text(value) or len(value) > TEXT_MAX:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def _bad(m: dict, message: str) -> ProtocolError:
    return ProtocolError("bad_mutation", message, id=m["id"])


def _check_mutation(m) -> None:
    if not isinstance(m, dict) or not is_int(m.get("id"), 1):
        raise ProtocolError("bad_mutation", "each mutation needs an integer id 1..2^63-1")
    if not isinstance(m.get("name"), str) or not isinstance(m.get("args"), dict):
        raise _bad(m, "name must be text and args an object")
    device_time = m.get("device_time")
    if device_time is not None and (not clean_text(device_time) or len(device_time) > TEXT_MAX):
        raise _bad(m, "device_time must be an ISO-8601 text")
    bv = m.get("base_version")
    if bv is not None and not is_int(bv):
        raise _bad(m, "base_version must be an integer 0..2^63-1")
    if not hlc.valid(m.get("hlc")):
        raise ProtocolError("bad_hlc", "hlc must be '<ms>:<counter>:<node>'", id=m["id"])


def push_mutations(body) -> list[dict]:
    """Every field of the push but the args, before anything is read or written."""
    client_id(body)
    epoch(body)
    app_version(body)
    schema_version(body)
    device_report(body)
    mutations = body.get("mutations")
    if not isinstance(mutations, list) or len(mutations) > MAX_MUTATIONS:
        raise ProtocolError("bad_mutations", f"mutations must be a list of ≤ {MAX_MUTATIONS}")
    previous = None
    for m in mutations:
        _check_mutation(m)
        if previous is not None and m["id"] != previous + 1:
            raise ProtocolError("unordered", "mutation ids must ascend by one", id=m["id"])
        previous = m["id"]
    return mutations

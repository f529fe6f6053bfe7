"""Checks of the arguments a device sends with a mutation: the one home for them.

Every mutation handler reads its args through these helpers, so the rules cannot drift
between domains. Each helper reads `args[key]`, returns the clean value, and raises
`PermanentError("bad_args", message, arg=<name>)` naming the argument when the value is
wrong; `name` overrides the name reported (an argument inside an object, e.g.
"fields.notes"). Absent and JSON null are the same: the default, or "is required".

The rules (also in docs/sync-protocol.md, §10):
- ids: UUID text (8-4-4-4-12 hex digits), answered in lower case;
- positions: lat -90..90, lon -180..180, accuracy 0..1e6 m, finite numbers, no booleans;
- device times: ISO-8601 text of at most 40 characters that parses (year 1970-2999);
- text: at most a given length, no NUL, no lone UTF-16 surrogate;
- dates: YYYY-MM-DD and a real day;
- integers: not booleans, within SQLite's signed 64 bits or a tighter given range;
- numbers: finite (no NaN, no ±Infinity), within a given range;
- blob references: 64 lowercase hex digits (a SHA-256);
- enumerations: one of the listed values (yes/no: true, false, 1 or 0).
"""

import math
import re
from datetime import UTC, datetime
from datetime import date as Date

from .errors import PermanentError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DEVICE_TIME = 40
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)  # ASCII: \d would take ٢٠٢٦ too
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)


def bad(name: str, message: str) -> PermanentError:
    """The rejection of one argument: `bad_args` with the argument's name in `arg`."""
    return PermanentError("bad_args", message, arg=name)


def taken(name: str = "id") -> PermanentError:
    """The rejection of a create whose id another record holds.

    Always the same words, whoever's record it is and whatever it is: nothing leaks.
    """
    return PermanentError("id_taken", "this id is already used by another record", arg=name)


def is_uuid(value) -> bool:
    """True for UUID text (8-4-4-4-12 hex digits, either case): the codebase's one test."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def uuid_id(args: dict, key: str = "id", *, required: bool = True, name=None) -> str | None:
    """A record id: UUID text, returned in lower case (None when optional and absent)."""
    value = args.get(key)
    if value is None and not required:
        return None
    if not is_uuid(value):
        raise bad(name or key, f"{name or key} must be a UUID")
    return value.lower()


def _printable(value: str) -> str:
    """`value` safe to echo in a message (a lone surrogate cannot be stored)."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _clean_text(value: str, name: str, max_length: int) -> str:
    if len(value) > max_length:
        raise bad(name, f"{name} must be text up to {max_length} characters")
    if "\x00" in value:
        raise bad(name, f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: half an emoji, not a character
        raise bad(name, f"{name} must be valid Unicode text") from None
    return value


def text(
    args: dict,
    key: str,
    *,
    max_length: int,
    required: bool = False,
    default: str = "",
    strip: bool = True,
    name=None,
) -> str:
    """Text of at most `max_length` characters (stripped unless `strip=False`).

    Required text must not be empty once stripped; optional text defaults to `default`.
    """
    name = name or key
    value = args.get(key)
    if value is None:
        if required:
            raise bad(name, f"{name} is required")
        return default
    if not isinstance(value, str):
        raise bad(name, f"{name} must be text up to {max_length} characters")
    value = _clean_text(value, name, max_length)
    value = value.strip() if strip else value
    if required and not value.strip():
        raise bad(name, f"{name} is required")
    return value


def text_list(args: dict, key: str, *, max_items: int, max_length: int, name=None) -> list:
    """A list of at most `max_items` texts, each at most `max_length` characters."""
    name = name or key
    value = args.get(key)
    if not isinstance(value, list) or len(value) > max_items:
        raise bad(name, f"{name} must be a list of at most {max_items} texts")
    for item in value:
        if not isinstance(item, str):
            raise bad(name, f"{name} must be a list of at most {max_items} texts")
        _clean_text(item, name, max_length)
    return value


def choice(args: dict, key: str, allowed, *, default=None, name=None):
    """One of `allowed`; absent gives `default` (required when there is none)."""
    name = name or key
    value = args.get(key)
    if value is None and default is not None:
        return default
    # bool is an int: True must not pass for 1 (nor for a 1.0 in `allowed`)
    if not isinstance(value, bool) and isinstance(value, str | int | float) and value in allowed:
        return value
    raise bad(name, f"{name} must be one of {', '.join(str(a) for a in allowed)}")


def boolean(args: dict, key: str, *, name=None) -> bool | None:
    """A yes/no: true, false, 1 or 0 (None when absent)."""
    name = name or key
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or value not in (0, 1):  # bool is an int: True, False pass
        raise bad(name, f"{name} must be true, false, 1 or 0")
    return bool(value)


def integer(
    args: dict,
    key: str,
    *,
    minimum: int = INT64_MIN,
    maximum: int = INT64_MAX,
    required: bool = True,
    name=None,
) -> int | None:
    """A whole number in [minimum, maximum] (at most SQLite's signed 64 bits); no booleans."""
    name = name or key
    value = args.get(key)
    if value is None and not required:
        return None
    low, high = max(minimum, INT64_MIN), min(maximum, INT64_MAX)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad(name, f"{name} must be a whole number from {low} to {high}")
    return value


def number(
    args: dict,
    key: str,
    *,
    minimum: float,
    maximum: float,
    required: bool = False,
    name=None,
) -> float | None:
    """A finite number in [minimum, maximum] (NaN, ±Infinity and booleans refused)."""
    name = name or key
    value = args.get(key)
    if value is None and not required:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not minimum <= value <= maximum:
        raise bad(name, f"{name} must be a number from {minimum:g} to {maximum:g}")
    return float(value)


def position(args: dict) -> tuple:
    """(lat, lon, accuracy) in degrees and metres; (None, None, None) when there is no fix.

    lat and lon come together (both absent or null: no fix); accuracy is optional.
    """
    if args.get("lat") is None and args.get("lon") is None:
        return None, None, None
    lat = number(args, "lat", minimum=-90, maximum=90, required=True)
    lon = number(args, "lon", minimum=-180, maximum=180, required=True)
    accuracy = number(args, "accuracy", minimum=0, maximum=1e6)
    return lat, lon, accuracy


def device_time(args: dict, key: str = "at", *, required: bool = False, name=None) -> str | None:
    """A device's clock reading: ISO-8601 text of at most 40 characters that parses.

    Returned as the device wrote it (evidence is kept as said; readers normalise it to
    UTC, a time without an offset being UTC). None when optional and absent.
    """
    name = name or key
    value = args.get(key)
    if value is None and not required:
        return None
    message = f"{name} must be an ISO-8601 time of at most {MAX_DEVICE_TIME} characters"
    if not isinstance(value, str) or len(value) > MAX_DEVICE_TIME or not _TIME.fullmatch(value):
        raise bad(name, message)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise bad(name, message) from None
    if not 1970 <= moment.year <= 2999:
        raise bad(name, f"{name} must be a time between 1970 and 2999")
    return value


def day(args: dict, key: str, *, required: bool = True, name=None) -> str | None:
    """A calendar day: YYYY-MM-DD and a real date (2026-02-30 is refused)."""
    name = name or key
    value = args.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return Date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise bad(name, f"{name} must be a date YYYY-MM-DD")


def blob_ref(args: dict, key: str = "sha256", *, required: bool = True, name=None) -> str | None:
    """A blob's name: the SHA-256 of its bytes as 64 lowercase hex digits."""
    name = name or key
    value = args.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise bad(name, f"{name} must be 64 lowercase hex digits")
    return value


def fields(args: dict, key: str = "fields", *, allowed) -> dict:
    """A non-empty object of edits whose keys are all in `allowed`."""
    value = args.get(key)
    if not isinstance(value, dict) or not value:
        raise bad(key, f"{key} must be a non-empty object")
    unknown = set(value) - set(allowed)
    if unknown:
        # a few names, cut short: the message must stay small whatever the device sent
        listed = ", ".join(sorted(_printable(str(k)[:40]) for k in unknown)[:10])
        raise PermanentError("bad_args", f"not editable: {listed}", arg=key)
    return value

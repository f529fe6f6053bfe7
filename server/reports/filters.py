"""Template filters of the report templates."""

from ..i18n import local_time
from .fetcher import blob_url


def css_string(text: str) -> str:
    """Text made safe inside a double-quoted CSS string (page footers)."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return "".join(ch if ch >= " " else " " for ch in out)


def device_time(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A device-reported time in the reader's zone, or as sent when it is not a time."""
    try:
        return local_time(value, fmt)
    except (TypeError, ValueError):
        return str(value or "")


FILTERS = {"blob_url": blob_url, "css_string": css_string, "device_time": device_time}

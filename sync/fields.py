"""Per-field merge of an edit into a row.

Ordinary fields: last writer wins by hybrid logical clock, field by field, whatever order
the edits arrive in. Guarded fields (evidence: check-in position, signature, readings):
applied only when the device saw the field's latest value (its base version is not older
than the field's last write, and is a version the row has had: a base newer than the row's
own version was never issued, so it proves nothing and is stale); otherwise the edit becomes
a conflict for a supervisor.

`clock` is the row's field clock: {field: {"hlc": stamp, "v": version of last write}}.
"""

import json
from dataclasses import dataclass, field

from . import hlc as hlclib

PENDING = -1  # stands for "this write's version" until the writer knows the seq


@dataclass
class Merge:
    apply: dict = field(default_factory=dict)
    clock: dict = field(default_factory=dict)
    conflicts: list = field(default_factory=list)  # (field, server_value, client_value)
    ignored: list = field(default_factory=list)  # ordinary fields an older stamp lost


def load_clock(raw: str | None) -> dict:
    """Read a row's field clock column."""
    return json.loads(raw) if raw else {}


def _saw_latest(base_version, last_write: int, row_version: int) -> bool:
    """True when `base_version` is one the server issued and not older than the last write."""
    if not isinstance(base_version, int) or isinstance(base_version, bool):
        return False
    return last_write <= base_version <= row_version


def merge(row: dict, clock: dict, changes: dict, stamp: str, base_version, guarded) -> Merge:
    """Decide which fields of `changes` apply to `row`, which are stale, which conflict."""
    result = Merge(clock=dict(clock))
    for name, value in changes.items():
        meta = clock.get(name) or {}
        if name in guarded:
            stale = not _saw_latest(base_version, meta.get("v", 0), row.get("version") or 0)
            if row.get(name) not in (None, "", value) and stale:
                result.conflicts.append((name, row.get(name), value))
                continue
        elif not hlclib.newer(stamp, meta.get("hlc")):
            result.ignored.append(name)
            continue
        result.apply[name] = value
        result.clock[name] = {"hlc": stamp, "v": PENDING}
    return result


def stamp_clock(clock: dict, version: int) -> str:
    """Fill in this write's version and serialise the clock for storage."""
    done = {k: ({**v, "v": version} if v.get("v") == PENDING else v) for k, v in clock.items()}
    return json.dumps(done, sort_keys=True)

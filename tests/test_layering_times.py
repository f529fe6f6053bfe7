"""Stored times and the local zone have one home: server/times.py (pwa/times.js on the device).

Stored times compare as text in SQL, so a second formatter that differs by one character
breaks range queries silently; a second spelling of the local zone drifts the same way.
"""

import re
from pathlib import Path

from server import times

ROOT = Path(__file__).resolve().parent.parent
HOMES = {"server/times.py", "pwa/times.js"}

# What must stay outside the homes, each with its reason.
ALLOWED = {
    # Applied migrations are frozen: the column default and the index expression are as they
    # were applied (the index expression equals times.sql_local_day's, so queries use it).
    ("server/migrations.py", "'Asia/Shanghai'"),
    ("server/migrations.py", "'+8 hours'"),
    # sync/ imports nothing from server/ (tests/test_layering.py): a device time is checked
    # there (any ISO-8601 text, read as UTC when it has no offset), and a held edit's window
    # moves the server's own time text back an hour, keeping its format.
    ("sync/args.py", 'replace("Z", "+00:00")'),
    ("sync/conflicts.py", "%Y-%m-%dT%H:%M:%S"),
}

PY_COPIES = {
    "stored format": re.compile(r"%Y-%m-%dT%H:%M:%S"),
    "SQL stored format": re.compile(r"%H:%M:%fZ"),
    "stored-time parse": re.compile(r"""replace\(\s*["']Z["'],\s*["']\+00:00["']\s*\)"""),
    "zone lookup": re.compile(r"ZoneInfo\("),
    "zone name": re.compile(r"""["']Asia/Shanghai["']"""),
    "fixed offset": re.compile(r"(timedelta|timezone)\(\s*hours\s*=\s*8\b|\b28_?800\b"),
    "SQL offset": re.compile(r"""["']\+8 hours["']"""),
    "offset from now": re.compile(r"now_utc\(\s*8\s*\*"),
}
JS_COPIES = {
    "zone name": re.compile(r"""["']Asia/Shanghai["']"""),
    "fixed offset": re.compile(r"8\s*\*\s*3600|28800|\+08:00|getTimezoneOffset"),
}


def _sources():
    for folder, suffix in (("server", ".py"), ("sync", ".py"), ("pwa", ".js")):
        for path in sorted((ROOT / folder).rglob(f"*{suffix}")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def copies(sources) -> list[str]:
    """Every time-format or local-zone spelling outside the homes and the allow-list."""
    found = []
    for rel, text in sources:
        if rel in HOMES:
            continue
        patterns = JS_COPIES if rel.endswith(".js") else PY_COPIES
        for name, pattern in patterns.items():
            for match in pattern.finditer(text):
                if (rel, match.group(0)) not in ALLOWED:
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{rel}:{line}: {name}: {match.group(0)}")
    return found


def test_times_are_written_and_the_zone_named_only_in_their_home():
    assert copies(_sources()) == []


def test_the_walk_finds_a_copy_put_back():
    sample = [
        ("server/x.py", 'dt.strftime("%Y-%m-%dT%H:%M:%S.") + "Z"'),
        ("server/y.py", 'LOCAL = ZoneInfo("Asia/Shanghai")\nBEIJING = timedelta(hours=8)'),
        ("server/z.py", "date(at, '+8 hours')"),
        ("pwa/w.js", "new Date(Date.now() + 8 * 3600000)"),
    ]
    assert len(copies(sample)) == 6


def test_every_allowance_is_still_needed():
    sources = dict(_sources())
    for path, snippet in ALLOWED:
        assert snippet in sources[path], (
            f"{path} no longer needs {snippet!r}: drop it from ALLOWED"
        )


def test_the_device_twin_names_the_same_zone_and_offset():
    js = (ROOT / "pwa/times.js").read_text(encoding="utf-8")
    assert f'LOCAL_ZONE = "{times.LOCAL_ZONE_NAME}"' in js
    hours = times.LOCAL_OFFSET.total_seconds() / 3600
    assert f"LOCAL_OFFSET_MS = {hours:g} * 3600000" in js


def test_one_definition_each():
    """The stored format and the zone name are each spelled once in server/ (sync/conflicts
    only moves the clock part of the server's own time text: see ALLOWED)."""
    for needle, elsewhere in (
        ('"%Y-%m-%dT%H:%M:%S"', ["sync/conflicts.py"]),
        ('"Asia/Shanghai"', []),
    ):
        found = [rel for rel, text in _sources() if rel.endswith(".py") and needle in text]
        assert found == ["server/times.py", *elsewhere], needle

"""Sync health rows: one per field user and device (a user with no device: one, never synced).

A device reports its outbox with each push (sync/envelope.py DEVICE_FIELDS), counted *before*
that push, so the mutations the push got acknowledged are taken off: the work still unsent
is `unsynced_count` minus the mutations the server logged at the last push. When some is
left, its age is taken from the reported `oldest_unsynced_at` (an upper bound), corrected
by the device's clock offset. The device name is that of the user's newest token issued
by the time the client first synced (a sign-in starts a new client), where there is one.

The push clamps the figures into documented ranges, but rows stored before that may hold
anything an integer column takes (-2^63 made abs() overflow): the SQL compares, never abs().
"""

import re
from datetime import UTC, datetime, timedelta

from ..scope import Caller, users
from ..times import to_stored

FIELD_ROLES = ("account_manager", "technician")
UNSYNCED_HOURS = 24
SILENT_DAYS = 3
STORAGE_SHARE = 0.8
CLOCK_MS = 10 * 60 * 1000
MAX_AGE_DAYS = 100 * 365  # an unsent age shown at most as 100 years

DEVICES = """
SELECT u.id AS user_id, u.display_name, u.username, u.role, org.name AS org_name,
  org.path AS org_path, sc.client_id, sc.created_at AS first_sync_at, sc.last_push_at,
  sc.last_pull_at, sc.app_version, sc.unsynced_count, sc.oldest_unsynced_at,
  sc.storage_used, sc.storage_quota, sc.clock_offset_ms,
  coalesce(max(sc.last_push_at, sc.last_pull_at), sc.last_push_at, sc.last_pull_at)
    AS last_sync_at,
  (SELECT t.device_name FROM api_token t WHERE t.user_id = u.id
     AND t.created_at <= sc.created_at ORDER BY t.created_at DESC LIMIT 1) AS device_name,
  (SELECT count(*) FROM mutation_log ml WHERE ml.client_id = sc.client_id
     AND ml.mutation_id > sc.last_mutation_id - coalesce(sc.unsynced_count, 0)
     AND ml.at = sc.last_push_at) AS acknowledged,
  coalesce(oc.conflicts, 0) AS open_conflicts, coalesce(oc.late_edits, 0) AS open_late_edits
FROM app_user u JOIN org ON org.id = u.org_id
LEFT JOIN sync_client sc ON sc.user_id = u.id
LEFT JOIN (SELECT user_id, sum(kind = 'field') AS conflicts, sum(kind = 'late_edit')
    AS late_edits FROM conflict WHERE status = 'open' GROUP BY user_id) oc ON oc.user_id = u.id
WHERE u.active = 1 AND u.role IN ('account_manager', 'technician') AND {where}
"""

UNSENT = (
    "CASE WHEN d.unsynced_count IS NULL THEN d.oldest_unsynced_at IS NOT NULL"
    " ELSE max(d.unsynced_count - d.acknowledged, 0) END"
)
PENDING = f"""
SELECT d.*, {UNSENT} AS unsent,
  CASE WHEN {UNSENT} > 0 THEN julianday(d.oldest_unsynced_at)
    + coalesce(d.clock_offset_ms, 0) / 86400000.0 END AS unsent_since
FROM ({{devices}}) d
"""

FLAGS = """
SELECT h.*,
  coalesce(h.unsent_since < julianday(?) - ?, 0) AS flag_unsynced,
  coalesce(h.client_id IS NOT NULL AND julianday(h.last_sync_at) < julianday(?) - ?, 0)
    AS flag_silent,
  coalesce(h.storage_quota > 0 AND h.storage_used > ? * h.storage_quota, 0) AS flag_storage,
  coalesce(typeof(h.clock_offset_ms) IN ('integer', 'real')
    AND h.clock_offset_ms NOT BETWEEN -? AND ?, 0) AS flag_clock
FROM ({pending}) h
"""
ORDER = (
    "unsent_since IS NULL, unsent_since, client_id IS NULL, last_sync_at, display_name, client_id"
)
PROBLEM = "(flag_unsynced OR flag_silent OR flag_storage OR flag_clock)"


def query(caller: Caller, filters: dict, now: datetime | None = None) -> tuple[str, list]:
    """The SQL and parameters of the devices a caller may see, with their highlights.

    Highlights: unsent work older than 24 h, no sync for 3 days, storage above 80 % of the
    quota, clock off by more than 10 minutes. `filters`: org_path, role, problems.
    """
    where, params = users(caller, "u")
    if filters.get("org_path"):
        where += " AND org.path >= ? AND org.path < ?"
        params = [*params, filters["org_path"], filters["org_path"] + "\uffff"]
    if filters.get("role") in FIELD_ROLES:
        where += " AND u.role = ?"
        params = [*params, filters["role"]]
    sql = FLAGS.format(pending=PENDING.format(devices=DEVICES.format(where=where)))
    if filters.get("problems"):
        sql = f"SELECT * FROM ({sql}) WHERE {PROBLEM}"
    stamp = to_stored(now or datetime.now(UTC))
    thresholds = [
        stamp,
        UNSYNCED_HOURS / 24,
        stamp,
        SILENT_DAYS,
        STORAGE_SHARE,
        CLOCK_MS,
        CLOCK_MS,
    ]
    return sql, [*thresholds, *params]


def unsent_age(row: dict, now: datetime) -> timedelta | None:
    """How long the device's oldest unsent work has waited, if it has any."""
    if row.get("unsent_since") is None:
        return None
    # Capped: a clock offset from a broken device must not overflow timedelta.
    days = _julian(now) - row["unsent_since"]
    return timedelta(days=max(-MAX_AGE_DAYS, min(MAX_AGE_DAYS, days)))


def _julian(dt: datetime) -> float:
    return dt.timestamp() / 86400.0 + 2440587.5


def storage_share(row: dict) -> float | None:
    """Storage used as a percentage of the quota, when the device reported both."""
    used, quota = row.get("storage_used"), row.get("storage_quota")
    if not isinstance(used, int) or not isinstance(quota, int) or quota <= 0:
        return None
    return round(100.0 * used / quota, 1)


# Everybody, for the operator's figures (/metrics, the System page): an admin's view.
EVERYONE = Caller(id="", role="admin", org_id="", org_path="", org_kind="")


def unsent_over_a_day(db, now: datetime | None = None) -> int:
    """How many devices hold unsent work older than UNSYNCED_HOURS (the page's first flag)."""
    sql, params = query(EVERYONE, {}, now)
    return db.execute(f"SELECT count(*) FROM ({sql}) WHERE flag_unsynced", params).fetchone()[0]


# Browsers by the user-agent token naming them, most specific first (Edge and WeChat also say
# Chrome; every WebKit browser says Safari). The device sends its user agent cut at 80
# characters, so a version (or the end of the name: "Chrom") may be missing.
_BROWSERS = (
    ("WeChat", r"MicroMessenger/(\d+)"),
    ("Edge", r"Edg(?:A|iOS)?/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:HeadlessChrome|CriOS|Chrome)(?:/(\d+))?"),
    ("Chrome", r"like Gecko\) (?:Headless)?C(?:h(?:r(?:o(?:m)?)?)?)?$"),
    ("Safari", r"Version/(\d+)"),
)
_SYSTEMS = (
    ("HarmonyOS", r"HarmonyOS|OpenHarmony"),
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux|X11"),
)


def device_label(name: str | None) -> str | None:
    """A device's name as people read it: "Chrome 131 · Android" from a user agent (the
    device app names itself by its user agent), any other name as it is."""
    if not name or not name.startswith("Mozilla/"):
        return name
    browser = next(
        (
            f"{label} {m.group(1)}" if m.lastindex and m.group(1) else label
            for label, pattern in _BROWSERS
            if (m := re.search(pattern, name))
        ),
        None,
    )
    system = next((label for label, pattern in _SYSTEMS if re.search(pattern, name)), None)
    found = [part for part in (browser, system) if part]
    return " · ".join(found) if found else name

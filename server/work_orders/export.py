"""The dispatch board as CSV: the same rows, in the same order, as the filtered board."""

from zoneinfo import ZoneInfo

from ..i18n import parse_utc

CSV_COLUMNS = (
    "code",
    "wo_type",
    "status",
    "site_code",
    "site_name",
    "sla_grade",
    "assignee",
    "assigned_org",
    "dispatched_local",
    "response_due_local",
    "response_state",
    "arrival_due_local",
    "arrival_state",
    "restore_due_local",
    "restore_state",
    "time_flags",
    "check_in_flag",
    "title",
)


def _local(value: str | None, zone: ZoneInfo) -> str:
    at = parse_utc(value)
    return at.astimezone(zone).isoformat(timespec="minutes") if at else ""


def csv_records(board_rows: list[dict], tz: str) -> list[dict]:
    """Board rows (board.all_rows) as CSV records: codes, not labels; times in zone `tz`."""
    zone = ZoneInfo(tz)
    out = []
    for r in board_rows:
        record = dict(
            code=r["code"],
            wo_type=r["wo_type"],
            status=r["status"],
            site_code=r["site_code"],
            site_name=r["site_name"],
            sla_grade=r["sla_grade"],
            assignee=r["assignee_name"],
            assigned_org=r["team_name"],
            dispatched_local=_local(r["dispatched_at"], zone),
            time_flags=r["time_flags"],
            check_in_flag=r["check_in_flag"],
            title=r["title"],
        )
        for clock in ("response", "arrival", "restore"):
            record[f"{clock}_due_local"] = _local(r[f"{clock}_due_at"], zone)
            record[f"{clock}_state"] = r["sla"][f"{clock}_due_at"]["state"]
        out.append(record)
    return out

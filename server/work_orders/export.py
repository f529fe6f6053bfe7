"""The dispatch board as CSV: the same rows, in the same order, as the filtered board."""

from datetime import tzinfo

from ..times import from_stored, zone

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


def _local(value: str | None, local: tzinfo) -> str:
    return from_stored(value).astimezone(local).isoformat(timespec="minutes") if value else ""


def csv_records(board_rows: list[dict], tz: str) -> list[dict]:
    """Board rows (board.all_rows) as CSV records: codes, not labels; times in zone `tz`."""
    local = zone(tz)
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
            dispatched_local=_local(r["dispatched_at"], local),
            time_flags=r["time_flags"],
            check_in_flag=r["check_in_flag"],
            title=r["title"],
        )
        for clock in ("response", "arrival", "restore"):
            record[f"{clock}_due_local"] = _local(r[f"{clock}_due_at"], local)
            record[f"{clock}_state"] = r["sla"][f"{clock}_due_at"]["state"]
        out.append(record)
    return out

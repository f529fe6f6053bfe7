"""Retention rate over time: closed retention tasks by the local month of their outcome,
grouped by team (the task's organisation) or by segment (the customer's value tier,
tendency or bundling when the warning was made). Rate = kept ÷ closed, where kept is
retained, downgraded or won back (the customer stayed) and the rest were lost."""

from ..times import sql_local_month
from . import model

GROUPS = ("team", "value_tier", "tendency", "bundling")
LOCAL_MONTH = sql_local_month("t.outcome_at")


def rates(db, caller, group: str = "team", months: int = 12) -> dict:
    """{months: [...], groups: [{key, name, by_month: {month: {closed, kept, rate}}}]}."""
    group = group if group in GROUPS else "team"
    where, params = model.visible(caller, "t")
    key = "t.org_id" if group == "team" else f"t.{group}"
    name = "o.name" if group == "team" else key
    found = db.execute(
        f"SELECT {key}, {name}, {LOCAL_MONTH} AS m, count(*),"
        " sum(CASE WHEN t.outcome IN ('retained', 'downgraded', 'won_back') THEN 1 ELSE 0 END),"
        " sum(CASE WHEN t.outcome = 'lost' THEN 1 ELSE 0 END)"
        " FROM retention_task t JOIN org o ON o.id = t.org_id"
        f" WHERE t.status = 'closed' AND t.deleted_at IS NULL AND {where}"
        " GROUP BY 1, 2, 3 ORDER BY 3",
        params,
    ).fetchall()
    all_months = sorted({r[2] for r in found})[-months:]
    groups: dict = {}
    for k, label, month, closed, kept, lost in found:
        if month not in all_months:
            continue
        entry = groups.setdefault(k, {"key": k, "name": label, "by_month": {}})
        entry["by_month"][month] = {
            "closed": closed,
            "kept": kept,
            "lost": lost,
            "rate": round(100 * kept / closed, 1) if closed else None,
        }
    return {
        "group": group,
        "months": all_months,
        "groups": sorted(groups.values(), key=lambda g: str(g["name"])),
    }

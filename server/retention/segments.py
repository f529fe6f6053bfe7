"""Customer segments: value tier (the customer class A/B/C), churn tendency (from the latest
rule run: high / medium / low, or unrated before any run) and bundling (single product,
bundled, or no billing figures). The same filters serve the grid, the customer list, its
CSV export and the statistics page."""

from .. import scope
from ..db import rows

TIERS = ("A", "B", "C", "unclassified")
TENDENCIES = ("high", "medium", "low", "unrated")
BUNDLINGS = ("single", "bundled", "none")


def clause(tendency: str = "", bundling: str = "", alias: str = "customer") -> tuple[str, list]:
    """SQL (to AND in, starting with ' AND ') and params selecting customers of a segment.

    Unknown values select nothing rather than everything.
    """
    sql, params = "", []
    if tendency == "unrated":
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM churn_standing cs WHERE cs.customer_id = {alias}.id)"
        )
    elif tendency:
        sql += (
            f" AND EXISTS (SELECT 1 FROM churn_standing cs WHERE cs.customer_id = {alias}.id"
            " AND cs.tendency = ?)"
        )
        params.append(tendency)
    if bundling == "none":
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM churn_standing cb WHERE cb.customer_id = {alias}.id"
            " AND cb.bundling != 'none')"
        )
    elif bundling:
        sql += (
            f" AND EXISTS (SELECT 1 FROM churn_standing cb WHERE cb.customer_id = {alias}.id"
            " AND cb.bundling = ?)"
        )
        params.append(bundling)
    return sql, params


def grid(db, caller, bundling: str = "", org_path: str | None = None) -> dict:
    """Counts of the caller's customers by tier × tendency (one bundling, or all)."""
    where, params = scope.customers(caller)
    extra, more = clause("", bundling)
    org_sql, org_params = "", []
    if org_path:
        org_sql = " AND customer.org_id IN (SELECT id FROM org WHERE path >= ? AND path < ?)"
        org_params = [org_path, org_path + "\uffff"]
    found = rows(
        db,
        "SELECT customer.customer_class AS tier, coalesce(s.tendency, 'unrated') AS tendency,"
        " count(*) AS n FROM customer LEFT JOIN churn_standing s ON s.customer_id = customer.id"
        f" WHERE customer.deleted_at IS NULL AND {where}{extra}{org_sql}"
        " GROUP BY 1, 2",
        [*params, *more, *org_params],
    )
    cells = {(tier, t): 0 for tier in TIERS for t in TENDENCIES}
    for r in found:
        cells[(r["tier"], r["tendency"])] = r["n"]
    return {
        "cells": cells,
        "tiers": {tier: sum(cells[(tier, t)] for t in TENDENCIES) for tier in TIERS},
        "tendencies": {t: sum(cells[(tier, t)] for tier in TIERS) for t in TENDENCIES},
        "total": sum(cells.values()),
    }

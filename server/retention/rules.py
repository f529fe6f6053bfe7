"""Churn rules: which fired for a customer's month, with the figures behind each.

A month M is compared with the average of the three months before it (M-1, M-2, M-3; all
three must have figures, else the rule stays quiet):

- arpu_drop: ARPU fell by `arpu_drop_pct` % or more: (average - M) / average × 100,
  rounded to 2 decimals, ≥ the threshold (29.99 % is quiet, 30 % fires).
- usage_drop: the same for usage minutes with `usage_drop_pct`.
- contract_end: the contract ends within `contract_window_days` days of the run's date:
  0 ≤ days left ≤ window (60 days left fires with a 60-day window; 61 is quiet; an
  already-ended contract is quiet).

The score is the sum of the fired rules' weights, times `single_product_factor` for a
customer holding a single product (bundled customers are stickier). Tendency: high when the
score ≥ `high_at`, medium when ≥ `warn_at`, else low. A warning is made at medium or high.
"""

import json
from datetime import date

from .policy import DEFAULTS


def previous_months(month: str, n: int = 3) -> list[str]:
    """The n months before `month` (YYYY-MM), nearest first."""
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
        out.append(f"{year:04d}-{mon:02d}")
    return out


def _drop(current, before: list) -> tuple[float, float] | None:
    """(baseline average, drop %) or None when a month is missing or the baseline is 0."""
    if current is None or len(before) < 3 or any(v is None for v in before):
        return None
    baseline = sum(before) / 3
    if baseline <= 0:
        return None
    return round(baseline, 2), round((baseline - current) / baseline * 100, 2)


def bundling(products: str | list | None) -> str:
    """single (one product), bundled (two or more) or none (no figures)."""
    if products is None:
        return "none"
    codes = json.loads(products) if isinstance(products, str) else products
    return "bundled" if len(codes) > 1 else "single" if codes else "none"


def evaluate(rules: dict, figures: dict, as_of: date) -> dict:
    """The fired rules (each with its figures), the score, tendency and bundling.

    figures: arpu, usage_minutes, contract_end (ISO or None), products (JSON list),
    arpu_before and usage_before (the three months before, nearest first; None if missing).
    """
    rules = {**DEFAULTS, **rules}
    weights = {**DEFAULTS["weights"], **rules.get("weights", {})}
    fired = []
    for rule, key, before_key, threshold in (
        ("arpu_drop", "arpu", "arpu_before", rules["arpu_drop_pct"]),
        ("usage_drop", "usage_minutes", "usage_before", rules["usage_drop_pct"]),
    ):
        found = _drop(figures.get(key), figures.get(before_key) or [])
        if found and found[1] >= threshold:
            fired.append(
                {
                    "rule": rule,
                    "current": figures[key],
                    "before": list(figures[before_key]),
                    "baseline": found[0],
                    "drop_pct": found[1],
                    "threshold_pct": threshold,
                }
            )
    end = figures.get("contract_end")
    if end:
        days = (date.fromisoformat(end) - as_of).days
        window = int(rules["contract_window_days"])
        if 0 <= days <= window:
            fired.append(
                {
                    "rule": "contract_end",
                    "contract_end": end,
                    "days_left": days,
                    "window_days": window,
                    "as_of": as_of.isoformat(),
                }
            )
    kind = bundling(figures.get("products"))
    factor = float(rules["single_product_factor"]) if kind == "single" else 1.0
    score = round(sum(float(weights.get(f["rule"], 0)) for f in fired) * factor, 4)
    for f in fired:
        f["weight"] = weights.get(f["rule"], 0)
    tendency = (
        "high" if score >= rules["high_at"] else "medium" if score >= rules["warn_at"] else "low"
    )
    return {
        "fired": fired,
        "score": score,
        "factor": factor,
        "tendency": tendency,
        "bundling": kind,
    }

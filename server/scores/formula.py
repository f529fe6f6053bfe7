"""The score formula: weighted indicators, renormalised over the applicable ones."""


def weighted(values: dict, weights: dict) -> tuple[float | None, dict]:
    """Score 0–100 = 100 × Σ wᵢ·vᵢ ÷ Σ wᵢ over the applicable indicators.

    An indicator is applicable when it has a value (some record counted) and a weight above
    zero; the weights of the others are dropped and the rest renormalised, so a person is
    neither rewarded nor punished for work they had none of. No applicable indicator: no
    score (None). Returns (score rounded to 0.1, {key: value, weight, share, contribution}).
    """
    applicable = {
        k: float(weights.get(k) or 0)
        for k, v in values.items()
        if v is not None and float(weights.get(k) or 0) > 0
    }
    total = sum(applicable.values())
    breakdown = {}
    for key, value in values.items():
        weight = float(weights.get(key) or 0)
        share = applicable[key] / total if key in applicable else None
        breakdown[key] = dict(
            value=value,
            weight=weight,
            share=round(share, 4) if share is not None else None,
            contribution=round(100 * share * value, 2) if share is not None else None,
        )
    if not total:
        return None, breakdown
    score = 100 * sum(applicable[k] * values[k] for k in applicable) / total
    return round(score, 1), breakdown


def mean_score(scores: list) -> float | None:
    """Team score = the plain mean of its members' scores (each scored member counts once;
    members without a score are left out). None when nobody has a score."""
    found = [s for s in scores if s is not None]
    return round(sum(found) / len(found), 1) if found else None

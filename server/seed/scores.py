"""Demo scores: last month's scorecards, computed as `flask scores compute` does.

The month is the last full local month before the anchor (scores.months.previous), scored
by scores.compute.compute_month at the anchor, so the cards read the demo's visits,
follow-ups and work orders like any month's run.
"""

from ..scores import compute, months
from ..times import to_stored


def seed_scores(build) -> dict:
    """Compute and store the month before the anchor's; return its counts."""
    now = to_stored(build.now)
    return compute.compute_month(build.db, months.previous(months.current(now)), now=now)

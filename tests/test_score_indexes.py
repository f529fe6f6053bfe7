"""The scores' covering indexes (server/scores/indexes.py, for a migration) change no card.

Which index a pass walks depends on the data's statistics (on this tiny world SQLite takes
other ones): bench/scores.py's data set shows the plans (bench/README.md)."""

from server.scores import compute, indexes
from tests.test_scores import MONTH, NOW, am_month, tech_month  # noqa: F401  (fixtures)


def _cards(db):
    return db.execute(
        "SELECT role, coalesce(user_id, org_id), score, indicators, policy_version"
        " FROM scorecard WHERE month = ? ORDER BY 1, 2",
        [MONTH],
    ).fetchall()


def test_the_indexes_change_no_card(db, tree, am_month, tech_month):  # noqa: F811
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] > 0
    before = [tuple(r) for r in _cards(db)]
    indexes.create(db)
    indexes.create(db)  # IF NOT EXISTS: a no-op once made (by a migration or the bench)
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] == 0
    assert [tuple(r) for r in _cards(db)] == before

"""The scores' covering indexes (m024_score_indexes; server/scores/indexes.py) change no card.

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


def _names(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_migration_makes_them(db):
    made = {s.split(" ON ")[0].split()[-1] for s in indexes.INDEXES()}
    assert len(made) == 6 and made <= _names(db)
    assert not {"visit_planned", "work_order_arrival_due", "work_order_resolved"} & _names(db)
    assert "work_order_site" in _names(db)  # the dispatch board names it (INDEXED BY)


def test_the_indexes_change_no_card(db, tree, am_month, tech_month):  # noqa: F811
    for statement in indexes.INDEXES():  # scored first without them
        db.execute(f"DROP INDEX {statement.split(' ON ')[0].split()[-1]}")
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] > 0
    before = [tuple(r) for r in _cards(db)]
    indexes.create(db)
    indexes.create(db)  # IF NOT EXISTS: a no-op once made (by a migration or the bench)
    assert compute.compute_month(db, MONTH, now=NOW)["changed"] == 0
    assert [tuple(r) for r in _cards(db)] == before

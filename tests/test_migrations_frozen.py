"""The migration guard: migrations already applied somewhere are frozen.

A database records the names it has applied and never runs them again, so editing an applied
migration changes nothing on the databases that have it (only on new ones: two schemas), and
reordering them changes what a new database runs first. This test freezes each migration's name
in application order with a hash of its source. A new migration is appended here (and at the end
of server/migrations.py); a failure on an old one means: undo the edit and write a new migration.
"""

import hashlib
import inspect

from server.migrations import migrations

FROZEN = [
    ("m001_foundation", "05cecf88600ccfa0"),
    ("m002_sync_and_visits", "1e6db723dd7d588b"),
    ("m003_work_orders_and_inspections", "bfd2a92396d8f588"),
    ("m004_board_indexes", "5ba9db67dac4f6c6"),
    ("m007_tasks_appointments", "59b5cde3362b126e"),
    ("m005_sync_pull_indexes", "41a1563a8527a207"),
    ("m006_reviews", "3e40f266b55e02fd"),
    ("m009_statistics", "f73087bea8f129cc"),
    ("m008_scores", "aebeb5323be45edf"),
    ("m012_retention", "3c2801906d83487e"),
    ("m011_push", "a3599195f37e06b4"),
    ("m013_care_points", "2b0a1352fb7c46f1"),
    ("m014_blob_holders", "c5e982df6b7fb9c2"),
    ("m015_sessions_and_sign_in", "1dadd2a671c4f049"),
    ("m016_held_allowance", "5c944fa28718a0d6"),
    ("m017_held_allowance_per_user", "7bd82f1726d56ded"),
    ("m022_sla_by_type", "7c8968483c94e866"),
    ("m019_field_edits", "67fdae4b42e821f1"),
    ("m021_order_links_precheck", "4e9857853b2e8fce"),
    ("m020_visit_policy", "c23d2aa8b0b60ff1"),
    ("m018_follow_up_done", "d021a2282575c4b2"),
    ("m023_class_policy", "e99149d728ed5560"),
    ("m024_score_indexes", "deb8aa2b317ab69d"),
    ("m025_job_run_and_lease", "68f047e36843512b"),
    ("m026_complaints", "be4778a5dffe9026"),
]


def _now() -> list[tuple[str, str]]:
    return [
        (m.name, hashlib.sha256(inspect.getsource(m.fn).encode()).hexdigest()[:16])
        for m in migrations._migrations
    ]


def test_applied_migrations_keep_their_names_order_and_source():
    now = _now()
    assert [name for name, _ in now[: len(FROZEN)]] == [name for name, _ in FROZEN], "reordered"
    changed = [
        name for (name, digest), frozen in zip(now, FROZEN, strict=False) if frozen[1] != digest
    ]
    assert changed == [], "an applied migration was edited: write a new one instead"


def test_every_migration_is_frozen():
    """A migration added without its line here would escape the guard once applied."""
    assert len(_now()) == len(FROZEN), "append the new migration's name and hash to FROZEN"


def test_the_guard_notices_an_edit(monkeypatch):
    monkeypatch.setattr(migrations._migrations[0], "fn", test_every_migration_is_frozen)
    assert _now()[0][1] != FROZEN[0][1]

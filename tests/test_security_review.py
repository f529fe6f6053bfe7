"""Issue 13's review, re-run in `make test` on a sample (bench/security_review.py runs all of
it): the scope matrix over every GET and every state-changing route taking an id, every
state-changing route without and with a forged CSRF token, and a fuzzed request per route.
Each walk is also shown to fail when the thing it looks for is there."""

import pytest

from server import records
from tests import review_walk as walk


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return walk.build(str(tmp_path_factory.mktemp("review")))


def test_the_walk_covers_every_route_taking_a_record_id(world):
    routes, skipped = walk.scope_routes(world.app)
    endpoints = {r.endpoint for r in routes}
    assert {"customers.detail", "visits.detail", "work_orders.detail_page", "reviews.detail"} <= (
        endpoints
    )
    assert len(routes) >= 20 and [path for path, _why in skipped] == ["/retention/tasks/<task_id>"]


def test_scope_matrix_sample(world):
    counts = walk.Counts()
    walk.walk_scope(world, counts, ["sup_d1", "am2", "tech_k"])
    walk.walk_scope_writes(world, counts, ["am1", "sup_d2"])
    assert counts.scope_cells >= 60 and counts.own_cells >= 20 and counts.scope_write_cells >= 50
    assert (counts.scope_leaks, counts.own_failures, counts.scope_write_leaks) == (0, 0, 0), (
        counts.findings
    )


def test_forged_forms_are_refused(world):
    counts = walk.Counts()
    walk.walk_csrf(world, counts, ("sup_d1", "am1"))
    assert counts.csrf_attempts >= 200
    assert counts.csrf_accepted == 0, counts.findings


def test_fuzzed_requests_never_answer_5xx(world):
    counts = walk.Counts()
    walk.walk_fuzz(world, counts, ("admin",))  # the most powerful: the views run furthest
    assert counts.fuzz_requests >= 150 and counts.fuzz_statuses.get(200, 0) >= 50
    assert counts.fuzz_5xx == 0, counts.findings


# ---- the walks find what they look for ----


def test_the_scope_walk_finds_a_leak(tmp_path):
    world = walk.build(str(tmp_path))
    from server.db import connect

    db = connect(world.app.config["DATABASE"])
    am1 = world.tree["am1"]["id"]
    records.update(db, "customer", world.ids["b"]["customer"], {"account_manager_id": am1}, None)
    db.conn.commit()
    counts = walk.Counts()
    walk.walk_scope(world, counts, ["am1"])
    assert counts.scope_leaks >= 1
    assert any(f[2].startswith("/customers/") for f in counts.findings), counts.findings


def test_the_csrf_walk_finds_an_unprotected_form(tmp_path):
    world = walk.build(str(tmp_path))
    world.app.config["WTF_CSRF_ENABLED"] = False
    counts = walk.Counts()
    walk.walk_csrf(world, counts, ("admin",), {"auth.logout", "visits.approve", "tasks.cancel"})
    assert counts.csrf_accepted >= 4  # signed out twice; approved and cancelled (changed)
    assert sum(1 for f in counts.findings if f[-1]) >= 2, counts.findings


def test_the_fuzz_finds_a_500(tmp_path):
    world = walk.build(str(tmp_path))

    def broken(**_kwargs):
        raise RuntimeError("a bug")

    world.app.view_functions["customers.index"] = broken
    counts = walk.Counts()
    walk.walk_fuzz(world, counts, ("admin",), endpoints={"customers.index", "customers.detail"})
    assert counts.fuzz_5xx >= 1

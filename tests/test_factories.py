"""tests/factories.py makes every record the device replicates, as the server stores it."""

from server.sync_api.registry import build_registry
from tests import factories


def test_there_is_a_factory_for_every_replicated_entity(db, tree):
    made = factories.make_world_of_every_record(db, tree)
    entities = set(build_registry().entities)
    assert entities - set(made) == set()
    assert [e for e in sorted(entities) if not hasattr(factories, f"make_{e}")] == []
    for entity, row in made.items():
        stored = db.execute(f"SELECT id FROM {entity} WHERE id = ?", [row["id"]]).fetchone()
        logged = db.execute(
            "SELECT count(*) FROM change_log WHERE entity = ? AND entity_id = ?",
            [entity, row["id"]],
        ).fetchone()[0]
        assert stored and logged == 1, entity


def test_am1_pulls_the_rows_made_for_them(client, db, tree):
    from tests.device import Device

    made = factories.make_world_of_every_record(db, tree)
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    for entity in ("customer", "contact", "visit", "follow_up", "task", "appointment"):
        assert made[entity]["id"] in dev.entities(entity), entity


def test_a_subscription_is_saved_for_its_user(db, tree):
    saved = factories.make_subscription(db, tree["am1"])
    assert saved["user_id"] == tree["am1"]["id"]

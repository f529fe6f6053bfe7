"""The customer page shows the customer's churn standing, the warnings with the rules that
fired, and the retention tasks the reader may open."""

from server.retention import run
from tests import factories as f
from tests.test_retention import AS_OF, april, bill, world  # noqa: F401  (fixture)


def test_customer_page_shows_standing_warnings_and_tasks(db, auth, world):  # noqa: F811
    bill(db, "2026-04", april(world))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    task_id = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [world["drop"]["id"]]
    ).fetchone()[0]

    auth.login("am1")
    page = auth.client.get(f"/customers/{world['drop']['id']}").get_data(as_text=True)
    assert 'id="retention" data-tendency="medium"' in page
    assert 'data-rule="arpu_drop"' in page and "70" in page
    assert f'data-retention-task="{task_id}"' in page
    steady = auth.client.get(f"/customers/{world['steady']['id']}").get_data(as_text=True)
    assert 'id="retention" data-tendency="low"' in steady and "data-retention-task" not in steady

    # Another account manager in the same team reads the customer but not am1's task.
    f.make_user(db, world["T1"], "account_manager", username="am1b")
    db.execute(
        "UPDATE customer SET account_manager_id = (SELECT id FROM app_user WHERE username ="
        " 'am1b') WHERE id = ?",
        [world["drop"]["id"]],
    )
    auth.login("am1b")
    resp = auth.client.get(f"/customers/{world['drop']['id']}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert 'data-rule="arpu_drop"' in text and f'data-retention-task="{task_id}"' not in text

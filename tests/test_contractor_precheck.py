"""Issue 14 item 8, 两不三可 "管理不代维": a contractor's supervisor dispatches and pre-checks
its own technicians' work; approving, returning and closing are the operator's."""

import pytest

from server import records, scope
from server.auth.model import caller as caller_of
from tests import factories

HX = {"HX-Request": "true"}


@pytest.fixture
def work(db, tree):
    """An order at a D1 site maintained by contractor K, done by tech_k, submitted."""
    t = dict(tree)
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    site = factories.make_site(db, t["T1"], contractor=t["K"])
    order = factories.make_work_order(
        db, t["T1"], assignee=t["tech_k"], assigned_org=t["K"], site_id=site["id"]
    )
    records.update(
        db, "work_order", order["id"], {"status": "submitted", "submitted_at": "2026-03-01"}, None
    )
    t["order"], t["site"] = order["id"], site
    return t


def row(db, oid):
    return db.execute("SELECT * FROM work_order WHERE id = ?", [oid]).fetchone()


def steps(db, oid):
    return [
        tuple(r)
        for r in db.execute(
            "SELECT action, reviewer_id FROM review WHERE entity_id = ? ORDER BY at, version",
            [oid],
        ).fetchall()
    ]


def test_scope_rule(db, work):
    sup_k, sup_d1 = caller_of(db, work["sup_k"]["id"]), caller_of(db, work["sup_d1"]["id"])
    assert not scope.decides(sup_k) and scope.decides(sup_d1)
    assert scope.work_order_decisions(sup_k) == scope.NOTHING
    assert scope.work_order_prechecks(sup_d1) == scope.NOTHING
    where, params = scope.work_order_decisions(sup_d1, "w")
    sql = f"SELECT id FROM work_order w WHERE {where}"
    assert [r[0] for r in db.execute(sql, params)] == [work["order"]]
    where, params = scope.work_order_prechecks(sup_k, "w")
    sql = f"SELECT id FROM work_order w WHERE {where}"
    assert [r[0] for r in db.execute(sql, params)] == [work["order"]]


@pytest.mark.parametrize(
    "path, data",
    [
        ("/reviews/work_order/{id}/approve", {}),
        ("/reviews/work_order/{id}/return", {"reason": "照片不清楚"}),
        ("/work-orders/{id}/review/approve", {}),
        ("/work-orders/{id}/review/return", {"reason": "照片不清楚"}),
    ],
)
def test_a_contractor_supervisor_cannot_approve_or_return(client, db, auth, work, path, data):
    auth.login("sup_k")
    before = row(db, work["order"])
    resp = auth.post(path.format(id=work["order"]), data)
    assert resp.status_code == 403
    assert "运营商" in resp.get_data(as_text=True)  # the reason: the operator's supervisors
    after = row(db, work["order"])
    assert after["status"] == "submitted" and after["version"] == before["version"]
    assert steps(db, work["order"]) == []


def test_a_contractor_supervisor_cannot_close(client, db, auth, work):
    records.update(db, "work_order", work["order"], {"status": "approved"}, None)
    auth.login("sup_k")
    page = client.get(f"/work-orders/{work['order']}").get_data(as_text=True)
    assert 'data-action="close"' not in page
    resp = auth.post(f"/work-orders/{work['order']}/review/close")
    assert resp.status_code == 403 and row(db, work["order"])["status"] == "approved"


def test_precheck_then_the_operator_approves(client, db, auth, work):
    auth.login("sup_k")
    queue = client.get("/reviews/").get_data(as_text=True)
    assert 'data-action="precheck"' in queue and 'data-action="approve"' not in queue
    page = client.get(f"/reviews/work_order/{work['order']}").get_data(as_text=True)
    assert 'data-testid="precheck-form"' in page and 'data-testid="operator-decides"' in page
    resp = auth.post(f"/reviews/work_order/{work['order']}/precheck", {"note": "资料齐全"})
    assert resp.status_code == 303
    order = row(db, work["order"])
    assert order["status"] == "submitted" and order["prechecked_by"] == work["sup_k"]["id"]
    assert order["prechecked_at"]
    assert steps(db, work["order"]) == [("precheck", work["sup_k"]["id"])]
    again = auth.post(f"/reviews/work_order/{work['order']}/precheck", headers=HX)
    assert again.status_code == 200 and steps(db, work["order"]) == [
        ("precheck", work["sup_k"]["id"])
    ]
    auth.logout()

    auth.login("sup_d1")
    queue = client.get("/reviews/").get_data(as_text=True)
    assert f'data-prechecked="{work["order"]}"' in queue
    assert work["sup_k"]["display_name"] in queue
    assert 'data-action="approve"' in queue and 'data-action="precheck"' not in queue
    refused = auth.post(f"/reviews/work_order/{work['order']}/precheck")
    assert refused.status_code == 403  # the operator decides; it does not pre-check
    assert auth.post(f"/reviews/work_order/{work['order']}/approve").status_code == 303
    assert row(db, work["order"])["status"] == "approved"
    assert steps(db, work["order"])[-1] == ("approve", work["sup_d1"]["id"])


def test_a_return_clears_the_precheck(client, db, auth, work):
    auth.login("sup_k")
    auth.post(f"/reviews/work_order/{work['order']}/precheck")
    auth.logout()
    auth.login("sup_d1")
    resp = auth.post(f"/reviews/work_order/{work['order']}/return", {"reason": "缺照片"})
    assert resp.status_code == 303
    order = row(db, work["order"])
    assert order["status"] == "returned" and order["prechecked_at"] is None


def test_precheck_only_a_submitted_order_and_other_scopes_are_404(client, db, auth, work):
    other_site = factories.make_site(db, work["T2"])
    other = factories.make_work_order(
        db, work["T2"], assignee=work["tech1"], assigned_org=work["T2"], site_id=other_site["id"]
    )
    auth.login("sup_k")
    assert auth.post(f"/reviews/work_order/{other['id']}/precheck").status_code == 404
    records.update(db, "work_order", work["order"], {"status": "on_site"}, None)
    resp = auth.post(f"/reviews/work_order/{work['order']}/precheck")
    assert resp.status_code == 409 and row(db, work["order"])["prechecked_at"] is None
    auth.logout()
    auth.login("sup_d2")  # the operator, but not over this site
    assert auth.post(f"/reviews/work_order/{work['order']}/approve").status_code == 404
    assert auth.post(f"/reviews/work_order/{work['order']}/precheck").status_code == 404


def test_precheck_needs_csrf(client, db, auth, work):
    auth.login("sup_k")
    resp = client.post(f"/reviews/work_order/{work['order']}/precheck")
    assert resp.status_code == 400 and row(db, work["order"])["prechecked_at"] is None


def test_a_contractor_supervisor_still_dispatches(client, db, auth, work):
    auth.login("sup_k")
    data = {
        "wo_type": "fault_repair",
        "title": "传输中断",
        "site_id": work["site"]["id"],
        "assignee_id": work["tech_k"]["id"],
    }
    resp = auth.post("/work-orders/new", data)
    assert resp.status_code == 303
    made = db.execute("SELECT * FROM work_order WHERE title = '传输中断'").fetchone()
    assert made["assignee_id"] == work["tech_k"]["id"] and made["status"] == "dispatched"

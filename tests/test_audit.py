"""The audit log screen: admins only, filters, and before/after as a diff of changed fields."""

import json

import pytest

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def test_audit_filters(tree, auth, client, db):
    auth.login("admin")
    auth.post(f"/admin/users/{tree['am1']['id']}/active", {"active": "0"})

    def entries(**args):
        body = html(client.get("/admin/audit", query_string=args, headers=HX))
        assert 'id="audit-table"' in body and "<html" not in body
        return body.count("data-audit=")

    total = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert entries(action="disable") == 1
    assert entries(entity="org") == 7
    assert entries(entity="app_user", entity_id=tree["am1"]["id"]) == 2  # create, disable
    assert entries(user="admin", action="disable") == 1
    assert entries(user="nobody-like-this") == 0
    assert entries(date_from="2000-01-01") == min(total, 25)
    assert entries(date_to="2000-01-01") == 0
    assert entries(date_from="2999-01-01") == 0


def test_audit_date_filter_uses_the_users_time_zone():
    from server.times import day_start_utc as utc_start_of

    assert utc_start_of("2026-03-05", "Asia/Shanghai") == "2026-03-04T16:00:00.000Z"
    assert utc_start_of("2026-03-05", "Asia/Shanghai", 1) == "2026-03-05T16:00:00.000Z"
    with pytest.raises(ValueError):
        utc_start_of("05/03/2026", "Asia/Shanghai")


def test_audit_bad_date_shows_an_error(tree, auth, client):
    auth.login("admin")
    body = html(client.get("/admin/audit", query_string={"date_from": "yesterday"}))
    assert 'data-error="date_from"' in body


def test_audit_diff_lists_changed_fields_only():
    from server.admin.audit import changed_fields

    before = json.dumps({"name": "a", "code": "X", "version": 1, "updated_at": "t1"})
    after = json.dumps({"name": "b", "code": "X", "version": 2, "updated_at": "t2"})
    assert changed_fields(before, after) == [{"field": "name", "before": "a", "after": "b"}]
    created = changed_fields(None, json.dumps({"name": "n", "deleted_at": None}))
    assert created == [{"field": "name", "before": None, "after": "n"}]
    assert changed_fields(None, None) == []


def test_audit_shows_enum_values_as_their_labels(field, auth, client, db):
    """A changed status or kind shows as people read it (zh by default), not as stored."""
    from tests import factories

    factories.make_visit(db, field["cust1"], field["am1"], status="completed")
    auth.login("admin")
    body = html(client.get("/admin/audit", query_string={"entity": "visit"}, headers=HX))
    assert "已完成" in body and ">completed<" not in body

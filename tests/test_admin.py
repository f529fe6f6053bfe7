"""Admin screens: the organisation tree, users and the audit log, and who may see what."""

import json

import pytest

from server.auth import model as users_model
from server.labels import ERRORS
from tests import factories

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def audit_rows(db, entity, entity_id, action=None):
    sql = "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ?"
    params = [entity, entity_id]
    if action:
        sql += " AND action = ?"
        params.append(action)
    return [dict(r) for r in db.execute(sql + " ORDER BY id", params).fetchall()]


# --- organisations ---------------------------------------------------------------------


def test_org_tree_is_in_path_order_indented_with_user_counts(tree, auth, client):
    auth.login("admin")
    page = html(client.get("/admin/orgs"))
    codes = [tree[k]["code"] for k in ("P", "C", "D1", "T1")]
    positions = [page.index(f'data-org="{code}"') for code in codes]
    assert positions == sorted(positions)  # parent before child, depth first
    t1_row = page[page.index(f'data-org="{tree["T1"]["code"]}"') :].split("</tr>")[0]
    assert 'data-depth="3"' in t1_row  # indented by depth in app.css (no style attributes: CSP)
    assert ">2</a>" in t1_row  # am1 and tech1 belong to T1
    c_row = page[page.index(f'data-org="{tree["C"]["code"]}"') :].split("</tr>")[0]
    assert "<td>7</td>" in c_row  # every user but the admin sits under the city


def test_org_search_by_name_and_code_returns_the_table_partial(tree, auth, client):
    auth.login("admin")
    response = client.get("/admin/orgs", query_string={"q": "西湖"}, headers=HX)
    body = html(response)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in body and 'id="orgs-table"' in body
    assert tree["D1"]["code"] in body and tree["T1"]["code"] in body
    assert tree["D2"]["code"] not in body
    by_code = html(client.get("/admin/orgs", query_string={"q": tree["K"]["code"]}))
    assert "华信代维" in by_code and "上城区" not in by_code


def test_org_list_paginates(tree, auth, client, app):
    app.config["PAGE_SIZE"] = 3
    auth.login("admin")
    first = html(client.get("/admin/orgs"))
    second = html(client.get("/admin/orgs", query_string={"page": 2}))
    assert first.count("data-org=") == 3 and second.count("data-org=") == 3
    assert 'rel="next"' in first and 'rel="prev"' not in first and 'rel="prev"' in second
    assert tree["P"]["code"] in first and tree["P"]["code"] not in second


def test_admin_creates_an_org_under_a_valid_parent(tree, auth, db):
    auth.login("admin")
    data = {"kind": "team", "parent_id": tree["D2"]["id"], "code": "T-NEW", "name": "上城二班"}
    response = auth.post("/admin/orgs/new", data, headers=HX)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    row = db.execute("SELECT * FROM org WHERE code = 'T-NEW'").fetchone()
    assert row["parent_id"] == tree["D2"]["id"] and row["depth"] == 3
    assert row["path"].startswith(tree["D2"]["path"])
    assert audit_rows(db, "org", row["id"], "create")[0]["user_id"] == tree["admin"]["id"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (
            {"kind": "team", "parent_id": "P", "code": "X1", "name": "x"},
            "parent_id",
            "wrong_parent_kind",
        ),
        ({"kind": "city", "parent_id": "P", "code": "existing", "name": "x"}, "code", "duplicate"),
        ({"kind": "moon", "parent_id": "P", "code": "X2", "name": "x"}, "kind", "unknown_kind"),
        ({"kind": "city", "parent_id": "P", "code": "X3", "name": ""}, "name", "required"),
    ],
)
def test_org_form_rerenders_with_the_error_beside_the_field(
    tree, auth, db, app, data, field, code
):
    auth.login("admin")
    data = dict(data, parent_id=tree[data["parent_id"]]["id"])
    if data["code"] == "existing":
        data["code"] = tree["D1"]["code"]
    before = db.execute("SELECT count(*) FROM org").fetchone()[0]
    response = auth.post("/admin/orgs/new", data, headers=HX)
    body = html(response)
    assert response.status_code == 200 and 'id="org-form"' in body and "<html" not in body
    assert f'data-error="{field}"' in body
    with app.test_request_context():
        assert str(ERRORS[code]) in body
    assert db.execute("SELECT count(*) FROM org").fetchone()[0] == before
    plain = auth.post("/admin/orgs/new", data)
    assert plain.status_code == 422


def test_admin_renames_an_org_and_the_audit_log_keeps_before_and_after(tree, auth, db):
    auth.login("admin")
    org = tree["D1"]
    response = auth.post(f"/admin/orgs/{org['id']}/edit", {"name": "西湖新区", "code": "XH"})
    assert response.status_code == 303
    row = db.execute("SELECT name, code, path FROM org WHERE id = ?", [org["id"]]).fetchone()
    assert (row["name"], row["code"], row["path"]) == ("西湖新区", "XH", org["path"])
    entry = audit_rows(db, "org", org["id"], "update")[-1]
    assert json.loads(entry["before"])["name"] == "西湖区"
    assert json.loads(entry["after"])["name"] == "西湖新区"
    duplicate = auth.post(
        f"/admin/orgs/{org['id']}/edit", {"name": "x", "code": tree["D2"]["code"]}
    )
    assert duplicate.status_code == 422


def test_supervisor_sees_only_their_org_subtree_and_cannot_edit(tree, auth, client):
    auth.login("sup_d1")
    page = html(client.get("/admin/orgs"))
    assert tree["D1"]["code"] in page and tree["T1"]["code"] in page
    for other in ("P", "C", "D2", "T2", "K"):
        assert f'data-org="{tree[other]["code"]}"' not in page
    assert client.get(f"/admin/orgs/{tree['D2']['id']}/edit").status_code == 404
    assert client.get(f"/admin/orgs/{tree['T1']['id']}/edit").status_code == 403
    assert client.get("/admin/orgs/new").status_code == 403


# --- users -------------------------------------------------------------------------------


def test_user_search_and_filters(tree, auth, client):
    auth.login("admin")

    def listed(**args):
        body = html(client.get("/admin/users", query_string=args, headers=HX))
        assert 'id="users-table"' in body and "<html" not in body
        return {
            u
            for u in ("am1", "am2", "tech1", "tech_k", "sup_d1", "sup_city", "admin")
            if f'data-user="{u}"' in body
        }

    assert listed(q="am") == {"am1", "am2"}
    assert listed(role="technician") == {"tech1", "tech_k"}
    assert listed(org=tree["D1"]["id"]) == {"sup_d1", "am1", "tech1"}
    assert listed(org=tree["D1"]["id"], role="account_manager") == {"am1"}
    assert listed(q=tree["am2"]["display_name"]) == {"am2"}
    assert listed(q="%") == set()  # wildcards are escaped


def test_user_list_paginates(tree, auth, client, app):
    app.config["PAGE_SIZE"] = 3
    auth.login("admin")
    pages = [html(client.get("/admin/users", query_string={"page": n})) for n in (1, 2, 3)]
    counts = [p.count("data-user=") for p in pages]
    assert counts == [3, 3, 2]  # eight users
    assert 'rel="next"' in pages[0] and 'rel="next"' not in pages[2]


def test_admin_creates_a_user_with_an_argon2_hash(tree, auth, db):
    auth.login("admin")
    data = {
        "username": "newbie",
        "display_name": "新同事",
        "role": "technician",
        "org_id": tree["K"]["id"],
        "phone": "13800000000",
        "email": "",
        "password": "a long password",
    }
    response = auth.post("/admin/users/new", data, headers=HX)
    assert response.status_code == 204
    row = db.execute("SELECT * FROM app_user WHERE username = 'newbie'").fetchone()
    assert row["password_hash"].startswith("$argon2id$")
    assert row["email"] is None and row["phone"] == "13800000000"
    assert response.headers["HX-Redirect"].endswith(row["id"])


def test_user_form_errors_beside_fields(tree, auth, db):
    auth.login("admin")
    data = {
        "username": "am1",
        "display_name": "",
        "role": "account_manager",
        "org_id": tree["K"]["id"],
        "password": "short",
    }
    body = html(auth.post("/admin/users/new", data, headers=HX))
    for field in ("username", "display_name", "org_id", "password"):
        assert f'data-error="{field}"' in body
    assert 'data-error="role"' not in body
    assert db.execute("SELECT count(*) FROM app_user").fetchone()[0] == 8


def test_admin_edits_a_user_and_the_edit_is_in_the_audit_log(tree, auth, db, client):
    auth.login("admin")
    target = tree["am1"]
    data = {
        "display_name": "王经理",
        "role": "account_manager",
        "org_id": tree["T2"]["id"],
        "phone": "13900000000",
        "email": "wang@example.com",
        "username": "hijack",  # not editable here
    }
    assert auth.post(f"/admin/users/{target['id']}/edit", data).status_code == 303
    row = users_model.get(db, target["id"])
    assert (row["display_name"], row["org_id"], row["username"]) == (
        "王经理",
        tree["T2"]["id"],
        "am1",
    )
    entry = audit_rows(db, "app_user", target["id"], "update")[-1]
    before, after = json.loads(entry["before"]), json.loads(entry["after"])
    assert (before["display_name"], after["display_name"]) == (target["display_name"], "王经理")
    assert entry["user_id"] == tree["admin"]["id"]
    page = html(client.get("/admin/audit", query_string={"entity_id": target["id"]}))
    diff_row = page[page.index('data-field="display_name"') :].split("</tr>")[0]
    assert target["display_name"] in diff_row and "王经理" in diff_row
    assert 'data-field="updated_at"' not in page  # bookkeeping is left out of the diff


def test_admin_resets_a_password(tree, auth, db, app):
    auth.login("admin")
    target = tree["am1"]
    short = auth.post(f"/admin/users/{target['id']}/password", {"password": "x"}, headers=HX)
    assert "field-error" in html(short) and 'id="user-password"' in html(short)
    ok = auth.post(f"/admin/users/{target['id']}/password", {"password": "new password 2"})
    assert ok.status_code == 200
    assert users_model.authenticate(db, "am1", "new password 2") is not None
    assert users_model.authenticate(db, "am1", factories.PASSWORD) is None


def test_admin_disables_and_enables_a_user(tree, auth, db):
    auth.login("admin")
    target = tree["tech1"]
    body = html(auth.post(f"/admin/users/{target['id']}/active", {"active": "0"}, headers=HX))
    assert 'id="user-status"' in body and "<html" not in body
    assert users_model.get(db, target["id"])["active"] == 0
    auth.post(f"/admin/users/{target['id']}/active", {"active": "1"}, headers=HX)
    assert users_model.get(db, target["id"])["active"] == 1
    actions = [r["action"] for r in audit_rows(db, "app_user", target["id"])]
    assert actions[-2:] == ["disable", "enable"]


def test_admin_cannot_disable_themselves(tree, auth, db):
    auth.login("admin")
    me = tree["admin"]
    body = html(auth.post(f"/admin/users/{me['id']}/active", {"active": "0"}, headers=HX))
    assert "field-error" in body
    assert users_model.get(db, me["id"])["active"] == 1


def test_user_page_lists_device_tokens_and_admin_revokes_one(tree, auth, client, db):
    from server.auth import tokens

    target = tree["tech1"]
    pair = tokens.issue(db, target["id"], "华为 Mate 60")
    auth.login("admin")
    page = html(client.get(f"/admin/users/{target['id']}"))
    assert "华为 Mate 60" in page and f'data-token="{pair["token_id"]}"' in page
    url = f"/admin/users/{target['id']}/tokens/{pair['token_id']}/revoke"
    body = html(auth.post(url, headers=HX))
    assert 'id="user-tokens"' in body and "<html" not in body
    assert tokens.user_for_access(db, pair["access_token"]) is None
    assert auth.post(url, headers=HX).status_code == 404  # already revoked
    other = tokens.issue(db, tree["am1"]["id"], "other")
    wrong = f"/admin/users/{target['id']}/tokens/{other['token_id']}/revoke"
    assert auth.post(wrong, headers=HX).status_code == 404  # not this user's token
    assert tokens.user_for_access(db, other["access_token"]) is not None


# --- scope ----------------------------------------------------------------------------


def test_supervisor_lists_users_of_their_subtree_only(tree, auth, client):
    auth.login("sup_d1")
    body = html(client.get("/admin/users"))
    assert {"sup_d1", "am1", "tech1"} == {
        u
        for u in ("admin", "sup_city", "sup_d1", "sup_k", "am1", "am2", "tech1", "tech_k")
        if f'data-user="{u}"' in body
    }
    # filtering by an org outside the subtree shows nobody rather than leaking
    outside = html(client.get("/admin/users", query_string={"org": tree["D2"]["id"]}))
    assert "data-user=" not in outside


def test_supervisor_views_in_scope_users_read_only(tree, auth, client):
    auth.login("sup_d1")
    inside, outside = tree["am1"], tree["am2"]
    page = client.get(f"/admin/users/{inside['id']}")
    assert page.status_code == 200
    assert "/edit" not in html(page) and "user-password" not in html(page)
    assert client.get(f"/admin/users/{outside['id']}").status_code == 404
    assert client.get(f"/admin/users/{tree['admin']['id']}").status_code == 404
    assert client.get(f"/admin/users/{outside['id']}/edit").status_code == 404
    assert auth.post(f"/admin/users/{outside['id']}/active", {"active": "0"}).status_code == 404
    assert client.get(f"/admin/users/{inside['id']}/edit").status_code == 403
    assert auth.post(f"/admin/users/{inside['id']}/active", {"active": "0"}).status_code == 403
    assert client.get("/admin/users/new").status_code == 403


def test_supervisor_cannot_create_an_admin(tree, auth, db):
    auth.login("sup_city")
    data = {
        "username": "evil",
        "display_name": "evil",
        "role": "admin",
        "org_id": tree["C"]["id"],
        "password": "a long password",
    }
    assert auth.post("/admin/users/new", data).status_code == 403
    assert db.execute("SELECT count(*) FROM app_user WHERE username = 'evil'").fetchone()[0] == 0


@pytest.mark.parametrize("username", ["am1", "tech1", "tech_k"])
@pytest.mark.parametrize("path", ["/admin/orgs", "/admin/users", "/admin/audit"])
def test_field_users_get_403_on_admin_pages(tree, auth, client, username, path):
    auth.login(username)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("username", ["sup_city", "sup_d1", "am1"])
def test_audit_log_is_admin_only(tree, auth, client, username):
    auth.login(username)
    assert client.get("/admin/audit").status_code == 403


def test_admin_pages_need_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

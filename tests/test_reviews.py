"""The review desk: the queue (scope, filters, order), approve and return with a reason, the
rework loop through the real sync API with its full history, the conflicts and late-edits
inbox, spot checks, 404 for other scopes and CSRF on every form."""

import re

import pytest

from server import records
from tests import factories
from tests.conftest import Auth, signed_in
from tests.device import Device, check_in, new_id, second_phone

ROW = re.compile(r'<tr data-review="([^"]+)"')
HX = {"HX-Request": "true"}
PW = factories.PASSWORD


def _submit(db, order, at):
    return records.update(
        db, "work_order", order["id"], {"status": "submitted", "submitted_at": at}, None
    )


@pytest.fixture
def desk(app, client, db, tree):
    """Visits and work orders handed in across the tree, at known times (oldest first):

    wo_d1 (D1, team T1, tech1) 01:00 · inspection (T1, tech1) 02:00 · v1 (am1, T1) ·
    wo_k (D2, contractor K, tech_k) 04:00 · exception (filed by tech_k, K) 05:00 · v2 (am2, T2)
    """
    t = dict(tree)
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    t["cust1"] = factories.make_customer(db, t["T1"], t["am1"], name="西湖电子")
    t["cust2"] = factories.make_customer(db, t["T2"], t["am2"], name="上城银行")
    site = factories.make_site(db, t["T1"])
    wo_d1 = factories.make_work_order(db, t["D1"], assignee=t["tech1"], assigned_org=t["T1"])
    insp = factories.make_work_order(
        db, t["T1"], "inspection", assignee=t["tech1"], assigned_org=t["T1"], site_id=site["id"]
    )
    wo_k = factories.make_work_order(db, t["D2"], assignee=t["tech_k"], assigned_org=t["K"])
    _submit(db, wo_d1, "2026-03-01T01:00:00.000Z")
    _submit(db, insp, "2026-03-01T02:00:00.000Z")
    _submit(db, wo_k, "2026-03-01T04:00:00.000Z")
    exc = factories.make_work_order(
        db,
        t["K"],
        "exception_report",
        reported_by=t["tech_k"]["id"],
        at="2026-03-01T05:00:00.000Z",
    )
    t["v1"] = _completed_visit(db, t["cust1"], t["am1"], "2026-03-01T03:00:00.000Z")
    t["v2"] = _completed_visit(db, t["cust2"], t["am2"], "2026-03-01T06:00:00.000Z")
    t.update(wo_d1=wo_d1["id"], insp=insp["id"], wo_k=wo_k["id"], exc=exc["id"])
    return t


def _completed_visit(db, customer, account_manager, at) -> str:
    values = dict(
        customer_id=customer["id"],
        account_manager_id=account_manager["id"],
        org_id=customer["org_id"],
        status="completed",
        check_in_at=at,
        check_out_at=at,
    )
    return records.insert(db, "visit", values, account_manager["id"])["id"]


def _results(push) -> list[str]:
    status, body = push
    assert status == 200, body
    return [r["status"] for r in body["results"]]


def queue(auth, query="") -> list[str]:
    resp = auth.client.get(f"/reviews/?{query}")
    assert resp.status_code == 200
    return ROW.findall(resp.get_data(as_text=True))


def history(db, entity_id) -> list[tuple]:
    found = db.execute(
        "SELECT action, reason, reviewer_id FROM review WHERE entity_id = ? ORDER BY at, version",
        [entity_id],
    ).fetchall()
    return [tuple(r) for r in found]


def status_of(db, table, row_id):
    return db.execute(f"SELECT status FROM {table} WHERE id = ?", [row_id]).fetchone()[0]


# ---- the queue ----


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("sup_city", ["wo_d1", "insp", "v1", "wo_k", "exc", "v2"]),
        ("sup_d1", ["wo_d1", "insp", "v1"]),
        ("sup_d2", ["wo_k", "v2"]),  # K's order sits in D2
        ("sup_k", ["wo_k", "exc"]),  # a contractor's supervisor: their contractor's work only
        ("admin", ["wo_d1", "insp", "v1", "wo_k", "exc", "v2"]),
    ],
)
def test_the_queue_shows_the_subtree_oldest_first(app, desk, user, expected):
    assert queue(signed_in(app, user)) == [desk[k] for k in expected]


@pytest.mark.parametrize("user", ["am1", "tech1", "tech_k"])
def test_field_users_are_refused_everywhere(app, desk, user):
    auth = signed_in(app, user)
    for path in ("/reviews/", f"/reviews/visit/{desk['v1']}", "/reviews/conflicts/"):
        assert auth.client.get(path).status_code == 403, path
    for path in (
        f"/reviews/visit/{desk['v1']}/approve",
        f"/reviews/work_order/{desk['wo_d1']}/return",
        f"/reviews/visit/{desk['v1']}/spot-checks",
        f"/reviews/conflicts/{new_id()}",
    ):
        assert auth.post(path, {"reason": "x"}).status_code == 403, path


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=visit", ["v1", "v2"]),
        ("kind=inspection", ["insp"]),
        ("kind=exception_report", ["exc"]),
        ("author={tech_k}", ["wo_k", "exc"]),
        ("author={am1}", ["v1"]),
        ("org={D1}", ["wo_d1", "insp", "v1"]),
        ("org={K}", ["wo_k", "exc"]),
        ("day_from=2026-03-01&day_to=2026-03-01", ["wo_d1", "insp", "v1", "wo_k", "exc", "v2"]),
        ("day_from=2026-03-02", []),
        ("kind=bogus", ["wo_d1", "insp", "v1", "wo_k", "exc", "v2"]),  # reported, not applied
    ],
)
def test_filters(app, desk, query, expected):
    ids = {k: desk[k]["id"] for k in ("tech_k", "am1", "D1", "K")}
    assert queue(signed_in(app, "sup_city"), query.format(**ids)) == [desk[k] for k in expected]


def test_a_bad_filter_is_reported(app, desk):
    html = signed_in(app, "sup_city").client.get("/reviews/?kind=bogus").get_data(as_text=True)
    assert 'data-error="kind"' in html


def test_an_author_outside_the_scope_is_not_a_filter(app, desk):
    auth = signed_in(app, "sup_d1")
    html = auth.client.get(f"/reviews/?author={desk['tech_k']['id']}").get_data(as_text=True)
    assert 'data-error="author"' in html
    assert set(ROW.findall(html)) == {desk["wo_d1"], desk["insp"], desk["v1"]}


def test_the_queue_pages(app, desk):
    app.config["PAGE_SIZE"] = 4
    auth = signed_in(app, "sup_city")
    assert len(queue(auth)) == 4 and len(queue(auth, "page=2")) == 2


# ---- approve and return ----


def test_one_click_approve_from_the_list_swaps_the_row(app, db, desk):
    auth = signed_in(app, "sup_d1")
    resp = auth.post(f"/reviews/visit/{desk['v1']}/approve", headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith("<tr")
    assert f'data-review="{desk["v1"]}"' in html and 'data-status="approved"' in html
    assert 'data-action="approve"' not in html
    assert status_of(db, "visit", desk["v1"]) == "approved"
    assert history(db, desk["v1"]) == [("approve", "", desk["sup_d1"]["id"])]
    assert desk["v1"] not in queue(auth)  # no longer waiting
    assert desk["v1"] in queue(auth, "state=reviewed")


def test_return_needs_a_reason(app, db, desk):
    auth = signed_in(app, "sup_d1")
    resp = auth.post(f"/reviews/work_order/{desk['wo_d1']}/return", {"reason": "  "}, headers=HX)
    assert resp.status_code == 200 and 'data-error="reason"' in resp.get_data(as_text=True)
    plain = auth.post(f"/reviews/work_order/{desk['wo_d1']}/return", {"reason": ""})
    assert plain.status_code == 422 and 'data-error="reason"' in plain.get_data(as_text=True)
    assert status_of(db, "work_order", desk["wo_d1"]) == "submitted"
    assert history(db, desk["wo_d1"]) == []


def test_return_with_a_reason_from_the_list(app, db, desk):
    # The operator's supervisor over the contractor's report (a contractor's supervisor only
    # pre-checks: tests/test_contractor_precheck.py).
    auth = signed_in(app, "sup_city")
    resp = auth.post(
        f"/reviews/work_order/{desk['exc']}/return", {"reason": "照片不清楚"}, headers=HX
    )
    html = resp.get_data(as_text=True)
    assert 'data-status="returned"' in html and "照片不清楚" in html
    row = db.execute("SELECT * FROM work_order WHERE id = ?", [desk["exc"]]).fetchone()
    assert row["status"] == "returned" and row["return_reason"] == "照片不清楚"
    assert history(db, desk["exc"]) == [("return", "照片不清楚", desk["sup_city"]["id"])]


def test_a_plain_form_post_redirects_to_the_review_page(app, db, desk):
    # (The desk's inspection has no checklist, so its approval is refused:
    # tests/test_inspection_gate.py.)
    auth = signed_in(app, "sup_d1")
    resp = auth.post(f"/reviews/work_order/{desk['wo_d1']}/approve")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        f"/reviews/work_order/{desk['wo_d1']}"
    )
    page = auth.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-review-step="approve"' in page


def test_a_step_the_state_machine_refuses_is_shown(app, db, desk):
    auth = signed_in(app, "sup_d1")
    assert auth.post(f"/reviews/visit/{desk['v1']}/approve").status_code == 303
    again = auth.post(f"/reviews/visit/{desk['v1']}/approve")
    assert again.status_code == 409 and 'data-error="action"' in again.get_data(as_text=True)
    hx = auth.post(f"/reviews/visit/{desk['v1']}/return", {"reason": "x"}, headers=HX)
    assert hx.status_code == 200 and 'data-error="action"' in hx.get_data(as_text=True)
    assert history(db, desk["v1"]) == [("approve", "", desk["sup_d1"]["id"])]


def test_the_work_order_page_review_is_kept_in_the_history_too(app, db, desk):
    auth = signed_in(app, "sup_d1")
    resp = auth.post(f"/work-orders/{desk['wo_d1']}/review/return", {"reason": "缺少故障原因"})
    assert resp.status_code == 303
    assert history(db, desk["wo_d1"]) == [("return", "缺少故障原因", desk["sup_d1"]["id"])]
    page = auth.client.get(f"/work-orders/{desk['wo_d1']}").get_data(as_text=True)
    assert 'data-review-step="return"' in page and "缺少故障原因" in page


# ---- the rework loop through the device ----


def test_a_returned_visit_reaches_the_device_is_fixed_resubmitted_and_approved(
    app, client, db, desk
):
    auth, dev, vid = signed_in(app, "sup_d1"), Device(client, "am1", PW), desk["v1"]
    assert (
        auth.post(
            f"/reviews/visit/{vid}/return", {"reason": "请补充联系人"}, headers=HX
        ).status_code
        == 200
    )
    dev.pull()
    row = dev.entities("visit")[vid]
    assert row["status"] == "returned" and row["return_reason"] == "请补充联系人"
    fix = dev.mutation("visit.update", {"id": vid, "fields": {"contacts_met": ["王经理"]}})
    again = dev.mutation("visit.resubmit", {"id": vid, "at": "2026-03-02T01:00:00Z"})
    assert _results(dev.push([fix, again])) == ["applied", "applied"]
    assert status_of(db, "visit", vid) == "completed"
    assert vid in queue(auth)
    assert auth.post(f"/reviews/visit/{vid}/approve", headers=HX).status_code == 200
    steps = history(db, vid)
    assert [s[0] for s in steps] == ["return", "resubmit", "approve"]
    assert steps[1][2] == desk["am1"]["id"] and steps[0][1] == "请补充联系人"
    page = auth.client.get(f"/visits/{vid}").get_data(as_text=True)
    assert re.findall(r'data-review-step="(\w+)"', page) == ["return", "resubmit", "approve"]
    queue_page = auth.client.get(f"/reviews/visit/{vid}").get_data(as_text=True)
    assert re.findall(r'data-review-step="(\w+)"', queue_page) == ["return", "resubmit", "approve"]
    assert 'data-returns="1"' in auth.client.get("/reviews/?state=reviewed").get_data(as_text=True)


def test_a_returned_order_is_reworked_and_resubmitted_by_the_technician(app, client, db, desk):
    auth, oid = signed_in(app, "sup_d1"), desk["wo_d1"]
    auth.post(f"/reviews/work_order/{oid}/return", {"reason": "原因写得不对"})
    dev = Device(client, "tech1", PW)
    dev.pull()
    assert dev.entities("work_order")[oid]["return_reason"] == "原因写得不对"
    fix = dev.mutation("work_order.update", {"id": oid, "fields": {"cause": "光缆被挖断"}})
    submit = dev.mutation("work_order.submit", {"id": oid, "at": "2026-03-02T01:00:00Z"})
    assert _results(dev.push([fix, submit])) == ["applied", "applied"]
    auth.post(f"/reviews/work_order/{oid}/approve")
    row = db.execute("SELECT status, cause FROM work_order WHERE id = ?", [oid]).fetchone()
    assert tuple(row) == ("approved", "光缆被挖断")
    assert [s[0] for s in history(db, oid)] == ["return", "resubmit", "approve"]


def test_resubmit_only_moves_a_returned_visit(app, client, db, desk):
    dev = Device(client, "am1", PW)
    started = check_in(dev, desk["cust1"])
    early = dev.mutation("visit.resubmit", {"id": started["args"]["id"]})
    status, body = dev.push([started, early])
    assert body["results"][1]["result"]["code"] == "illegal_transition"
    signed_in(app, "sup_d1").post(f"/reviews/visit/{desk['v1']}/approve")
    late = dev.mutation("visit.resubmit", {"id": desk["v1"]})
    status, body = dev.push([late])
    assert body["results"][0]["status"] == "held"  # kept as a late edit, not applied
    assert status_of(db, "visit", desk["v1"]) == "approved"
    assert [s[0] for s in history(db, desk["v1"])] == ["approve"]


# ---- conflicts and late edits ----


def _sign(dev, vid, sha, base):
    args = {"visit_id": vid, "sha256": sha, "mime": "image/png", "size": 100}
    return dev.mutation("visit.sign", args, base_version=base)


@pytest.fixture
def held(app, client, db, desk):
    """A signature conflict on v1 and a late edit of v1 after approval; one on v2."""
    dev, vid = Device(client, "am1", PW), desk["v1"]
    other, sup = second_phone(dev), signed_in(app, "sup_city")
    base = db.execute("SELECT version FROM visit WHERE id = ?", [vid]).fetchone()[0]
    assert _results(dev.push([_sign(dev, vid, "a" * 64, base)])) == ["applied"]
    assert _results(other.push([_sign(other, vid, "b" * 64, base)])) == ["held"]
    sup.post(f"/reviews/visit/{vid}/approve")
    edit = dev.mutation(
        "visit.update", {"id": vid, "fields": {"notes": "补记", "satisfaction": 2}}
    )
    follow = dev.mutation(
        "visit.add_follow_up",
        {"id": new_id(), "visit_id": vid, "action": "回访", "due_date": "2026-04-01"},
    )
    assert _results(dev.push([edit, follow])) == ["held", "held"]
    sup.post(f"/reviews/visit/{desk['v2']}/approve")
    d2 = Device(client, "am2", PW)
    assert _results(
        d2.push([d2.mutation("visit.update", {"id": desk["v2"], "fields": {"notes": "x"}})])
    ) == ["held"]
    found = db.execute("SELECT id, kind, mutation_name, entity_id FROM conflict").fetchall()
    by = {(r["entity_id"], r["mutation_name"]): r["id"] for r in found}
    return dict(
        desk,
        field=by[(vid, "visit.sign")],
        edit=by[(vid, "visit.update")],
        follow=by[(vid, "visit.add_follow_up")],
        other=by[(desk["v2"], "visit.update")],
    )


def inbox(auth) -> list[str]:
    html = auth.client.get("/reviews/conflicts/").get_data(as_text=True)
    return re.findall(r'<tr data-conflict="([^"]+)"', html)


def conflict(db, cid):
    return db.execute("SELECT * FROM conflict WHERE id = ?", [cid]).fetchone()


def test_the_inbox_is_scoped_and_shows_the_evidence(app, held):
    d1 = signed_in(app, "sup_d1")
    assert set(inbox(d1)) == {held["field"], held["edit"], held["follow"]}
    assert set(inbox(signed_in(app, "sup_d2"))) == {held["other"]}
    assert inbox(signed_in(app, "sup_k")) == []
    html = d1.client.get("/reviews/conflicts/").get_data(as_text=True)
    assert "a" * 64 in html and "b" * 64 in html  # server's value beside the device's
    assert held["am1"]["display_name"] in html and "补记" in html
    assert 'data-decision="apply"' in html and 'data-decision="seen"' in html


def test_accept_the_devices_value_of_a_field_conflict(app, db, held):
    auth = signed_in(app, "sup_d1")
    resp = auth.post(f"/reviews/conflicts/{held['field']}", {"decision": "device"}, headers=HX)
    assert 'data-resolution="accepted_device"' in resp.get_data(as_text=True)
    sig = db.execute("SELECT signature_sha256 FROM visit WHERE id = ?", [held["v1"]]).fetchone()[0]
    assert sig == "b" * 64
    row = conflict(db, held["field"])
    assert (row["status"], row["resolution"], row["resolved_by"]) == (
        "resolved",
        "accepted_device",
        held["sup_d1"]["id"],
    ) and row["resolved_at"]
    audited = db.execute(
        "SELECT action FROM audit_log WHERE entity_id IN (?, ?)", [held["field"], held["v1"]]
    ).fetchall()
    assert {"resolve", "accept_conflict"} <= {a[0] for a in audited}
    assert held["field"] not in inbox(auth)


def test_keep_the_servers_value(app, db, held):
    auth = signed_in(app, "sup_d1")
    assert (
        auth.post(f"/reviews/conflicts/{held['field']}", {"decision": "server"}).status_code == 303
    )
    sig = db.execute("SELECT signature_sha256 FROM visit WHERE id = ?", [held["v1"]]).fetchone()[0]
    assert sig == "a" * 64 and conflict(db, held["field"])["resolution"] == "kept_server"


def test_apply_a_late_edit_field_by_field(app, db, held):
    auth = signed_in(app, "sup_d1")
    resp = auth.post(
        f"/reviews/conflicts/{held['edit']}", {"decision": "apply", "fields": ["notes"]}
    )
    assert resp.status_code == 303
    visit = db.execute("SELECT * FROM visit WHERE id = ?", [held["v1"]]).fetchone()
    assert visit["notes"] == "补记" and visit["satisfaction"] is None  # only the field picked
    assert visit["status"] == "approved" and visit["updated_by"] == held["sup_d1"]["id"]
    assert conflict(db, held["edit"])["resolution"] == "applied"


def test_a_late_edit_of_another_kind_is_only_seen_or_dismissed(app, db, held):
    auth = signed_in(app, "sup_d1")
    refused = auth.post(f"/reviews/conflicts/{held['follow']}", {"decision": "apply"})
    assert refused.status_code == 409 and conflict(db, held["follow"])["status"] == "open"
    assert (
        auth.post(f"/reviews/conflicts/{held['follow']}", {"decision": "seen"}).status_code == 303
    )
    assert conflict(db, held["follow"])["resolution"] == "seen"
    assert db.execute("SELECT count(*) FROM follow_up").fetchone()[0] == 0
    resp = auth.post(f"/reviews/conflicts/{held['edit']}", {"decision": "dismissed"}, headers=HX)
    assert 'data-resolution="dismissed"' in resp.get_data(as_text=True)
    assert db.execute("SELECT notes FROM visit WHERE id = ?", [held["v1"]]).fetchone()[0] == ""


def test_a_resolved_conflict_is_gone(app, held):
    auth = signed_in(app, "sup_d1")
    assert (
        auth.post(f"/reviews/conflicts/{held['edit']}", {"decision": "dismissed"}).status_code
        == 303
    )
    assert (
        auth.post(f"/reviews/conflicts/{held['edit']}", {"decision": "apply"}).status_code == 404
    )


# ---- spot checks ----


def test_spot_checks_are_recorded_listed_and_filterable(app, db, desk):
    auth = signed_in(app, "sup_d1")
    url = f"/reviews/visit/{desk['v1']}/spot-checks"
    bad = auth.post(url, {"method": "phone", "result": "problem"}, headers=HX)
    assert 'data-error="note"' in bad.get_data(as_text=True)
    missing = auth.post(url, {"result": "ok"})
    assert missing.status_code == 422 and 'data-error="method"' in missing.get_data(as_text=True)
    ok = auth.post(
        url, {"method": "satisfaction_call", "result": "ok", "note": "客户满意"}, headers=HX
    )
    assert 'data-spot-check="satisfaction_call"' in ok.get_data(as_text=True)
    assert (
        auth.post(
            f"/reviews/work_order/{desk['insp']}/spot-checks",
            {"method": "on_site", "result": "problem", "note": "电池未检"},
        ).status_code
        == 303
    )
    rows = db.execute("SELECT entity_id, method, result, checked_by FROM spot_check").fetchall()
    assert {tuple(r) for r in rows} == {
        (desk["v1"], "satisfaction_call", "ok", desk["sup_d1"]["id"]),
        (desk["insp"], "on_site", "problem", desk["sup_d1"]["id"]),
    }
    assert 'data-spot-check="satisfaction_call"' in auth.client.get(
        f"/visits/{desk['v1']}"
    ).get_data(as_text=True)
    assert 'data-result="problem"' in auth.client.get(f"/work-orders/{desk['insp']}").get_data(
        as_text=True
    )
    assert queue(auth, "spot=none") == [desk["wo_d1"]]
    assert queue(auth, "spot=done") == [desk["insp"], desk["v1"]]


# ---- scope and CSRF on every action ----


def test_records_of_another_scope_are_404_on_every_action(app, db, held):
    auth = signed_in(app, "sup_k")
    for entity, rid in (("visit", held["v1"]), ("work_order", held["wo_d1"]), ("visit", new_id())):
        assert auth.client.get(f"/reviews/{entity}/{rid}").status_code == 404
        for action, data in (
            ("approve", {}),
            ("return", {"reason": "x"}),
            ("spot-checks", {"method": "phone", "result": "ok"}),
        ):
            assert auth.post(f"/reviews/{entity}/{rid}/{action}", data).status_code == 404, action
    assert auth.client.get(f"/reviews/customer/{held['cust1']['id']}").status_code == 404
    for cid in (held["field"], held["edit"], new_id()):
        assert auth.post(f"/reviews/conflicts/{cid}", {"decision": "dismissed"}).status_code == 404
    assert (
        signed_in(app, "sup_d2")
        .post(f"/reviews/conflicts/{held['edit']}", {"decision": "seen"})
        .status_code
        == 404
    )
    assert db.execute("SELECT count(*) FROM conflict WHERE status = 'resolved'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM spot_check").fetchone()[0] == 0


def test_every_form_needs_the_csrf_token(app, db, held):
    client = app.test_client()
    Auth(client).login("sup_city")
    posts = [
        (f"/reviews/visit/{held['v2']}/approve", {}),
        (f"/reviews/work_order/{held['wo_d1']}/return", {"reason": "x"}),
        (f"/reviews/work_order/{held['wo_d1']}/spot-checks", {"method": "phone", "result": "ok"}),
        (f"/reviews/conflicts/{held['other']}", {"decision": "dismissed"}),
    ]
    for path, data in posts:
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data=data, headers=HX).status_code == 400, path
    assert status_of(db, "work_order", held["wo_d1"]) == "submitted"
    assert db.execute("SELECT count(*) FROM spot_check").fetchone()[0] == 0
    assert conflict(db, held["other"])["status"] == "open"
    pages = ["/reviews/", f"/reviews/visit/{held['v2']}", "/reviews/conflicts/"]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S)
        assert forms, page
        assert all('name="csrf_token"' in f for f in forms), page

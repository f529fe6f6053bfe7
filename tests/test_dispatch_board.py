"""The supervisors' work-order pages: dispatch board (scope, urgency, filters, SLA badges,
CSV), dispatch form, detail actions, SLA policy versions; and the board's query plans."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from server import records
from server.db import one, rows
from server.ids import now_utc
from server.scope import Caller
from server.times import from_stored as parse
from server.times import to_stored as iso
from server.work_orders import board
from tests import factories as f

ROW = re.compile(r'<tr data-order="([^"]+)" data-status')


def ago(minutes: int) -> str:
    return iso(datetime.now(UTC) - timedelta(minutes=minutes))


@pytest.fixture
def world(db, tree):
    t = dict(tree)
    t["tech2"] = f.make_user(db, t["T1"], "technician", username="tech2")
    t["site1"] = f.make_site(db, t["T1"], t["K"], code="BS-XH-0001", name="文三路基站")
    t["site2"] = f.make_site(db, t["T2"], t["K"], code="BS-SC-0001", name="解放路基站")

    def order(site, assignee=None, team=None, minutes_ago=5, **over):
        return f.make_work_order(
            db,
            t["T1"] if site is t["site1"] else t["T2"],
            assignee=assignee,
            assigned_org=team,
            site_id=site["id"],
            at=ago(minutes_ago),
            **over,
        )

    t["order"] = order
    return t


def either(chinese: str, english: str, html: str) -> bool:
    """The text in the page's language: Chinese by default, English without catalogues."""
    return chinese in html or english in html


def codes(html: str) -> list[str]:
    return ROW.findall(html)


def board_codes(client, **args) -> list[str]:
    response = client.get("/work-orders/", query_string=args)
    assert response.status_code == 200
    return codes(response.get_data(as_text=True))


def test_board_scope(client, auth, world):
    w = world
    own = w["order"](w["site1"], w["tech1"], w["T1"])
    to_d1_team = w["order"](w["site2"], team=w["T1"])
    to_k = w["order"](w["site2"], w["tech_k"], w["K"])
    auth.login("sup_d1")
    assert set(board_codes(client)) == {own["code"], to_d1_team["code"]}
    assert client.get(f"/work-orders/{to_k['id']}").status_code == 404
    assert client.get(f"/work-orders/{own['id']}").status_code == 200
    auth.logout()
    auth.login("sup_k")
    assert board_codes(client) == [to_k["code"]]
    assert client.get(f"/work-orders/{own['id']}").status_code == 404
    auth.logout()
    auth.login("tech1")
    assert client.get("/work-orders/").status_code == 403
    assert client.get(f"/work-orders/{own['id']}").status_code == 403
    assert client.get("/work-orders/sla-policy").status_code == 403


def test_board_orders_by_urgency(client, auth, db, world):
    w = world
    # diamond arrival 120 min, standard 1440: the old diamond order is due first (overdue).
    late = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=200)
    soon = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=30)
    later = w["order"](w["site1"], w["tech1"], sla_grade="standard", minutes_ago=60)
    # On site: its running clock is restore (diamond 240 min from dispatch 100 min ago).
    on_site = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=100)
    records.update(
        db, "work_order", on_site["id"], {"status": "on_site", "on_site_at": ago(50)}, None
    )
    done = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=500)
    records.update(db, "work_order", done["id"], {"status": "closed"}, None)
    review = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=400)
    records.update(db, "work_order", review["id"], {"status": "submitted"}, None)
    auth.login("sup_d1")
    expected = [late, soon, on_site, later, review]
    assert board_codes(client) == [o["code"] for o in expected]
    assert board_codes(client, status="all") == [o["code"] for o in [*expected, done]]


def test_sla_badges(client, auth, db, world):
    w = world
    breached = w["order"](w["site1"], w["tech1"], sla_grade="diamond", minutes_ago=300)
    running = w["order"](w["site1"], w["tech1"], sla_grade="standard", minutes_ago=10)
    met = w["order"](w["site1"], w["tech1"], sla_grade="gold", minutes_ago=20)
    records.update(
        db, "work_order", met["id"], {"status": "accepted", "accepted_at": ago(15)}, None
    )
    auth.login("sup_d1")
    html = client.get("/work-orders/").get_data(as_text=True)
    rows_html = {
        code: chunk for code, chunk in re.findall(r'data-order="([^"]+)"(.*?)</tr>', html, re.S)
    }
    row = rows_html[breached["code"]]
    assert row.count('data-sla="breached"') == 3  # response 15, arrival 120, restore 240 < 300
    assert either("超时", "Overdue by", row)  # Chinese once the catalogues are compiled
    row = rows_html[running["code"]]
    assert row.count('data-sla="running"') == 3 and either(
        "剩 3 小时 50 分", "3 h 50 min left", row
    )  # 240 - 10, in hours and minutes (server/times.py duration_text)
    assert 'data-sla="met"' in rows_html[met["code"]]


def test_time_and_check_in_flags_shown(client, auth, db, world):
    w = world
    o = w["order"](w["site1"], w["tech1"])
    records.update(
        db, "work_order", o["id"], {"time_flags": "future,too_fast", "check_in_flag": "far"}, None
    )
    auth.login("sup_d1")
    html = client.get("/work-orders/").get_data(as_text=True)
    for flag in ("future", "too_fast", "far"):
        assert f'data-flag="{flag}"' in html
    assert either("距站点过远", "Far from site", html)


def test_filters(client, auth, db, world):
    w = world
    fault = w["order"](w["site1"], w["tech1"], w["T1"], sla_grade="gold", minutes_ago=60 * 24 * 3)
    job = w["order"](w["site2"], w["tech2"], w["T1"], wo_type="on_demand", sla_grade="silver")
    insp = w["order"](w["site1"], None, w["T1"], wo_type="inspection", sla_grade="standard")
    closed = w["order"](w["site1"], w["tech2"], w["T1"])
    records.update(db, "work_order", closed["id"], {"status": "closed"}, None)
    auth.login("sup_d1")
    everything = {fault["code"], job["code"], insp["code"], closed["code"]}
    assert set(board_codes(client, status="all")) == everything
    assert closed["code"] not in board_codes(client)  # open by default
    assert board_codes(client, status="closed") == [closed["code"]]
    assert board_codes(client, wo_type="on_demand") == [job["code"]]
    assert board_codes(client, sla_grade="standard") == [insp["code"]]
    assert set(board_codes(client, assignee=w["tech2"]["id"], status="all")) == {
        job["code"],
        closed["code"],
    }
    assert set(board_codes(client, assigned_org=w["T1"]["id"])) == {
        fault["code"],
        job["code"],
        insp["code"],
    }
    assert board_codes(client, sla="breached") == [fault["code"]]  # gold, three days old
    # Clocks by work type: the silver on-demand job is due 1440 min after dispatch (5 min
    # ago), the standard inspection outside a plan 10080 min after; neither has a response
    # clock (fault repairs only).
    assert board_codes(client, sla="due_soon", within="60") == []
    assert board_codes(client, sla="due_soon", within="1440") == [job["code"]]
    assert set(board_codes(client, sla="due_soon", within="10080")) == {job["code"], insp["code"]}
    assert set(board_codes(client, q="解放路")) == {job["code"]}
    assert set(board_codes(client, q="BS-XH", status="all")) == everything - {job["code"]}
    assert board_codes(client, q=fault["code"]) == [fault["code"]]
    # Created days are Shanghai days of the row's creation (the write, not the dispatch time).
    db.execute(
        "UPDATE work_order SET created_at = ? WHERE id = ?",
        ["2026-03-09T16:30:00.000Z", fault["id"]],
    )
    assert board_codes(client, day_from="2026-03-10", day_to="2026-03-10") == [fault["code"]]
    assert board_codes(client, day_from="2026-03-11") == [
        c for c in board_codes(client) if c != fault["code"]
    ]
    assert board_codes(client, day_to="2026-03-09") == []
    html = client.get("/work-orders/", query_string={"wo_type": "nonsense"}).get_data(True)
    assert 'data-error="wo_type"' in html


def test_filter_unknown_org_refused(client, auth, world):
    auth.login("sup_d1")
    html = client.get("/work-orders/", query_string={"assigned_org": world["K"]["id"]}).get_data(
        True
    )
    assert 'data-error="assigned_org"' in html


def test_csv_export_equals_filtered_board(client, auth, db, world):
    w = world
    for n in range(4):
        w["order"](w["site1"], w["tech1"], w["T1"], sla_grade="diamond", minutes_ago=10 + n * 50)
    w["order"](w["site1"], w["tech2"], w["T1"], sla_grade="gold")
    auth.login("sup_d1")
    args = {"sla_grade": "diamond", "status": "all"}
    shown = board_codes(client, **args)
    response = client.get("/work-orders/export.csv", query_string=args)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    records_ = list(csv.DictReader(io.StringIO(response.get_data(True).lstrip("\ufeff"))))
    assert [r["code"] for r in records_] == shown and len(shown) == 4
    assert {r["arrival_state"] for r in records_} == {"running", "breached"}


def test_dispatch_form_creates_order_with_deadlines(client, auth, db, world):
    w = world
    auth.login("sup_d1")
    page = client.get("/work-orders/new").get_data(True)
    assert w["site1"]["code"] in page and w["site2"]["code"] not in page  # sites in scope
    options = client.get("/work-orders/sites", query_string={"site_q": "文三"}).get_data(True)
    assert w["site1"]["id"] in options
    form = {
        "wo_type": "fault_repair",
        "site_id": w["site1"]["id"],
        "title": "基站退服",
        "sla_grade": "diamond",
        "assignee_id": w["tech1"]["id"],
    }
    response = auth.post("/work-orders/new", data=form)
    assert response.status_code == 303
    order = one(db, "SELECT * FROM work_order WHERE title = '基站退服'")
    assert order["assigned_org_id"] == w["T1"]["id"] and order["org_id"] == w["T1"]["id"]
    start = parse(order["dispatched_at"])
    assert parse(order["arrival_due_at"]) - start == timedelta(minutes=120)
    assert parse(order["restore_due_at"]) - start == timedelta(minutes=240)
    assert order["sla_policy_version"] == 1 and order["status"] == "dispatched"


def test_dispatch_form_errors(client, auth, db, world):
    w = world
    auth.login("sup_d1")
    bad = {
        "wo_type": "exception_report",
        "site_id": w["site2"]["id"],
        "assignee_id": w["tech_k"]["id"],
    }
    response = auth.post("/work-orders/new", data=bad)
    assert response.status_code == 422
    html = response.get_data(True)
    for field in ("wo_type", "site_id", "title", "assignee_id"):
        assert f'data-error="{field}"' in html
    assert not rows(db, "SELECT id FROM work_order")
    none = {"wo_type": "on_demand", "site_id": w["site1"]["id"], "title": "x"}
    html = auth.post("/work-orders/new", data=none).get_data(True)
    assert 'data-error="assigned_org_id"' in html


def test_reassign_and_cancel(client, auth, db, world):
    w = world
    o = w["order"](w["site1"], w["tech1"], w["T1"])
    records.update(db, "work_order", o["id"], {"status": "accepted"}, None)
    auth.login("sup_d1")
    url = f"/work-orders/{o['id']}"
    response = auth.post(f"{url}/assign", data={"assignee_id": w["tech2"]["id"]})
    assert response.status_code == 303
    after = one(db, "SELECT * FROM work_order WHERE id = ?", [o["id"]])
    assert after["assignee_id"] == w["tech2"]["id"] and after["status"] == "dispatched"
    out = auth.post(f"{url}/assign", data={"assignee_id": w["tech_k"]["id"]})
    assert out.status_code == 422 and 'data-error="assignee_id"' in out.get_data(True)
    response = auth.post(f"{url}/review/cancel", data={"reason": ""})
    assert response.status_code == 422 and 'data-error="cancel_reason"' in response.get_data(True)
    assert auth.post(f"{url}/review/cancel", data={"reason": "客户撤单"}).status_code == 303
    after = one(db, "SELECT * FROM work_order WHERE id = ?", [o["id"]])
    assert after["status"] == "cancelled" and after["cancel_reason"] == "客户撤单"
    refused = auth.post(f"{url}/review/approve")
    assert refused.status_code == 409
    assert "cannot become approved" in refused.get_data(True)
    refused = auth.post(f"{url}/assign", data={"assignee_id": w["tech1"]["id"]})
    assert refused.status_code == 409 and "cannot be reassigned" in refused.get_data(True)


def test_approve_return_close(client, auth, db, world):
    w = world
    o = w["order"](w["site1"], w["tech1"], w["T1"])
    records.update(db, "work_order", o["id"], {"status": "submitted"}, None)
    auth.login("sup_d1")
    url = f"/work-orders/{o['id']}"
    html = client.get(url).get_data(True)
    assert 'data-action="approve"' in html and 'data-action="return"' in html
    assert 'data-action="close"' not in html
    assert auth.post(f"{url}/review/return", data={"reason": " "}).status_code == 422
    assert auth.post(f"{url}/review/return", data={"reason": "照片不清晰"}).status_code == 303
    after = one(db, "SELECT * FROM work_order WHERE id = ?", [o["id"]])
    assert after["status"] == "returned" and after["return_reason"] == "照片不清晰"
    assert "照片不清晰" in client.get(url).get_data(True)
    refused = auth.post(f"{url}/review/close")
    assert refused.status_code == 409 and "cannot become closed" in refused.get_data(True)
    records.update(db, "work_order", o["id"], {"status": "submitted"}, None)
    assert auth.post(f"{url}/review/approve").status_code == 303
    assert auth.post(f"{url}/review/close").status_code == 303
    after = one(db, "SELECT * FROM work_order WHERE id = ?", [o["id"]])
    assert after["status"] == "closed" and after["approved_at"] and after["closed_at"]
    assert auth.post(f"{url}/review/nonsense").status_code == 404


def test_detail_shows_evidence(client, auth, db, world):
    w = world
    o = w["order"](w["site1"], w["tech1"], w["T1"])
    values = dict(
        work_order_id=o["id"],
        user_id=w["tech1"]["id"],
        from_status="dispatched",
        to_status="accepted",
        device_at="2030-01-01T00:00:00.000Z",
        corrected_at="2030-01-01T00:05:00.000Z",
        server_at=now_utc(),
        clock_offset_ms=300000,
        flags="future",
    )
    records.insert(db, "work_order_event", values, w["tech1"]["id"])
    records.update(
        db,
        "work_order",
        o["id"],
        {"check_in_distance_m": 812.4, "check_in_flag": "far", "diagnosis": "电源模块故障"},
        None,
    )
    auth.login("sup_d1")
    html = client.get(f"/work-orders/{o['id']}").get_data(True)
    assert 'data-event="accepted" class="error"' in html and either(
        "时间在未来", "Time in the future", html
    )
    assert "812 m" in html and 'data-flag="far"' in html and "电源模块故障" in html
    assert either("偏差 300 秒", "offset 300 s", html)


def test_policy_versions(client, auth, db, world):
    w = world
    auth.login("sup_d1")
    page = client.get("/work-orders/sla-policy").get_data(True)
    assert 'data-version="1"' in page and 'name="diamond.arrival_minutes"' not in page
    assert auth.post("/work-orders/sla-policy", data={}).status_code == 403
    auth.logout()
    auth.login("admin")
    limits = {
        f"{g}.{c}": v
        for g in ("diamond", "gold", "silver", "bronze", "standard")
        for c, v in (("response_minutes", 10), ("arrival_minutes", 60), ("restore_minutes", 90))
    }
    bad = auth.post("/work-orders/sla-policy", data={**limits, "gold.arrival_minutes": "5"})
    assert bad.status_code == 422 and either(
        "响应 ≤ 到场 ≤ 恢复", "Response ≤ arrival ≤ restore", bad.get_data(True)
    )
    in_force = datetime.now(UTC) + timedelta(hours=2)
    local = in_force.astimezone(datetime.now().astimezone().tzinfo)
    shanghai = (in_force + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    assert local  # the form's time is Shanghai time whatever the server's zone
    response = auth.post("/work-orders/sla-policy", data={**limits, "effective_from": shanghai})
    assert response.status_code == 303
    v2 = rows(db, "SELECT * FROM sla_policy WHERE version = 2")
    assert len(v2) == 5 and v2[0]["effective_from"] == iso(
        in_force.replace(second=0, microsecond=0)
    )
    before = w["order"](w["site1"], w["tech1"], sla_grade="gold", minutes_ago=0)
    after = f.make_work_order(
        db,
        w["T1"],
        assignee=w["tech1"],
        site_id=w["site1"]["id"],
        sla_grade="gold",
        at=iso(in_force + timedelta(minutes=1)),
    )
    assert before["sla_policy_version"] == 1
    assert parse(before["arrival_due_at"]) - parse(before["dispatched_at"]) == timedelta(
        minutes=240
    )
    assert after["sla_policy_version"] == 2
    assert parse(after["arrival_due_at"]) - parse(after["dispatched_at"]) == timedelta(minutes=60)
    assert 'data-version="2"' in client.get("/work-orders/sla-policy").get_data(True)


def _caller(db, user) -> Caller:
    org = one(db, "SELECT path, kind FROM org WHERE id = ?", [user["org_id"]])
    return Caller(user["id"], user["role"], user["org_id"], org["path"], org["kind"])


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "work_order_board"),
        ({"status": "all"}, "work_order_board"),
        ({"status": "closed", "sla_grade": "gold"}, "work_order_board"),
        ({"wo_type": "fault_repair", "assigned_org": "x"}, "work_order_board"),
        ({"sla": "breached"}, "work_order_board"),
        ({"sla": "due_soon", "within": "60"}, "work_order_board"),
        ({"day_from": "2026-03-01", "status": "all"}, "work_order_board"),
        ({"assignee": "x", "status": "all"}, "work_order_assignee"),
        ({"q": "文三路"}, "work_order_site"),
        ({"q": "WO-2026"}, "sqlite_autoindex_work_order_2"),
    ],
)
def test_board_pages_walk_an_index(db, world, filters, index):
    """No plan reads a whole scope and sorts it: the board index is walked in board order
    (no sort at all), or a narrow index (one technician, matching sites, an order number)."""
    for user in (world["admin"], world["sup_city"], world["sup_d1"]):
        query = board.query(db, _caller(db, user), filters, now_utc(), "Asia/Shanghai")
        plan = board.explain(db, query)
        assert plan[0].startswith(f"SEARCH work_order USING INDEX {index}") or plan[0].startswith(
            f"SCAN work_order USING INDEX {index}"
        ), plan
        if index == "work_order_board":
            assert not any("TEMP B-TREE" in step for step in plan), plan


def test_technician_filter_options_load_when_used(client, auth, world):
    """The board names only the chosen technician; the select's options come from
    /work-orders/technicians, in the caller's scope, with the chosen one selected."""
    w = world
    auth.login("sup_d1")
    page = client.get("/work-orders/", query_string={"assignee": w["tech2"]["id"]})
    html = page.get_data(as_text=True)
    assert f'value="{w["tech2"]["id"]}" selected' in html
    assert f'value="{w["tech1"]["id"]}"' not in html
    options = client.get("/work-orders/technicians", query_string={"assignee": w["tech2"]["id"]})
    html = options.get_data(as_text=True)
    assert f'value="{w["tech1"]["id"]}"' in html
    assert f'value="{w["tech2"]["id"]}" selected' in html
    assert w["tech_k"]["id"] not in html  # the contractor's technician is outside sup_d1's scope
    refused = client.get("/work-orders/", query_string={"assignee": w["tech_k"]["id"]})
    assert 'data-error="assignee"' in refused.get_data(as_text=True)

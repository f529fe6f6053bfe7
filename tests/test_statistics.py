"""Statistics: hand-computed figures for each chart, filters, scope, CSV = chart, the SVG.

The fixture is March 2025 (Asia/Shanghai). Weeks start on Monday, local time.
"""

import csv
import io
import re

import pytest

from server import records
from server.inspections.checklists import create_template
from tests.factories import make_customer, make_site

MARCH = {"month": "2025-03"}
PAST = "2025-03-{:02d}T{}:00:00.000Z"


def day(d: int, hour: str = "02") -> str:
    return PAST.format(d, hour)


def visit(db, customer, am, org, check_in_at, status="completed"):
    values = dict(
        customer_id=customer["id"],
        account_manager_id=am["id"],
        org_id=org["id"],
        status=status,
        check_in_at=check_in_at,
    )
    return records.insert(db, "visit", values, None)


_codes = iter(range(1, 10_000))


def order(db, org, wo_type="fault_repair", created="2025-03-02T02:00:00.000Z", **fields):
    values = dict(
        code=f"WO-T{next(_codes):05d}",
        wo_type=wo_type,
        status=fields.pop("status", "closed"),
        org_id=org["id"],
        sla_grade=fields.pop("sla_grade", "standard"),
        **fields,
    )
    row = records.insert(db, "work_order", values, None)
    db.execute("UPDATE work_order SET created_at = ? WHERE id = ?", [created, row["id"]])
    return row


def sla(created_day, arrive, restore, arrival_due=None, restore_due=None):
    """Clocks on the creation day: due at 04:00 and 08:00Z; arrive/restore at that hour."""

    def at(hours):
        if hours is None:
            return None
        return f"2025-03-{created_day + hours // 24:02d}T{hours % 24:02d}:00:00.000Z"

    return dict(
        arrival_due_at=arrival_due or at(4),
        restore_due_at=restore_due or at(8),
        on_site_at=at(arrive),
        resolved_at=at(restore),
    )


def answer(db, order_row, item, passed):
    values = dict(work_order_id=order_row["id"], item_id=item["id"], passed=int(passed))
    return records.insert(db, "inspection_answer", values, None)


@pytest.fixture
def world(db, tree):
    t = tree
    w = {}
    w["cA"] = make_customer(db, t["T1"], t["am1"], handsets=600, sla_grade="gold")
    w["cC"] = make_customer(db, t["T1"], t["am1"], handsets=50, sla_grade="standard")
    w["cB"] = make_customer(db, t["T2"], t["am2"], handsets=200, sla_grade="silver")
    assert [w[k]["customer_class"] for k in ("cA", "cC", "cB")] == ["A", "C", "B"]
    # Visits. Local weeks: 2025-02-24, 03-03, 03-10 (03-17, 03-24, 03-31 empty).
    visit(db, w["cA"], t["am1"], t["T1"], "2025-03-03T02:00:00.000Z")
    visit(db, w["cA"], t["am1"], t["T1"], "2025-03-09T15:30:00.000Z")  # Sun 23:30 local
    visit(db, w["cA"], t["am1"], t["T1"], "2025-03-09T16:30:00.000Z")  # Mon 00:30 local
    visit(db, w["cC"], t["am1"], t["T1"], "2025-03-12T02:00:00.000Z")
    visit(db, w["cC"], t["am1"], t["T1"], "2025-03-12T03:00:00.000Z", status="cancelled")
    visit(db, w["cC"], t["am1"], t["T1"], "2025-02-28T15:59:00.000Z")  # 28 Feb local
    visit(db, w["cC"], t["am1"], t["T1"], "2025-02-28T16:00:00.000Z")  # 1 March local
    visit(db, w["cB"], t["am2"], t["T2"], "2025-03-05T02:00:00.000Z")
    # Work orders with SLA clocks (gold: cA; standard: cC or none; silver: cB).
    cA, cC, cB = w["cA"]["id"], w["cC"]["id"], w["cB"]["id"]
    order(db, t["T1"], customer_id=cA, sla_grade="gold", cause="光缆中断", **sla(2, 3, 7))
    order(
        db,
        t["T1"],
        created=day(4),
        customer_id=cA,
        sla_grade="gold",
        cause=" 光缆中断 ",
        **sla(4, 5, 8),
    )  # arrival late, restore on time
    order(db, t["T1"], created=day(6), customer_id=cC, status="en_route", **sla(6, None, None))
    order(
        db,
        t["C"],
        created=day(8),
        assigned_org_id=t["K"]["id"],
        assignee_id=t["tech_k"]["id"],
        status="approved",
        cause="电源故障",
        **sla(8, 2, 9),
    )  # arrival met, restore late; only the city and the contractor see it
    order(
        db,
        t["T1"],
        created=day(10),
        customer_id=cA,
        sla_grade="gold",
        status="cancelled",
        cause="光缆中断",
        **sla(10, None, None),
    )
    order(db, t["T1"], "on_demand", created=day(11), customer_id=cC, **sla(11, 1, 2))
    order(
        db,
        t["T2"],
        created=day(12),
        customer_id=cB,
        sla_grade="silver",
        cause="设备老化",
        **sla(12, 1, 2),
    )
    order(
        db,
        t["T1"],
        created="2025-04-02T02:00:00.000Z",
        customer_id=cA,
        sla_grade="gold",
        cause="光缆中断",
        **sla(2, 1, 2),
    )  # April: outside the period
    order(
        db,
        t["T1"],
        created=day(31),
        customer_id=cA,
        sla_grade="gold",
        status="en_route",
        arrival_due_at="2099-01-01T00:00:00.000Z",
        restore_due_at="2099-01-02T00:00:00.000Z",
    )  # clocks still running: neither met nor breached
    # Inspections: two checklist versions share the label 机房温度.
    items = [
        {"label": "蓄电池浮充电压", "kind": "pass_fail"},
        {"label": "机房温度", "kind": "pass_fail"},
    ]
    v1 = create_template(db, None, "base_station", "基站巡检", items)["items"]
    v2 = create_template(db, None, "base_station", "基站巡检", items[1:])["items"]
    site = make_site(db, t["T1"], contractor=t["K"])
    i1 = order(db, t["T1"], "inspection", created=day(5), site_id=site["id"])
    answer(db, i1, v1[0], False)
    answer(db, i1, v1[0], True)  # fixed on the spot: the latest answer passed
    answer(db, i1, v1[1], False)
    i2 = order(db, t["T1"], "inspection", created=day(6), site_id=site["id"])
    answer(db, i2, v2[0], False)
    i3 = order(
        db,
        t["C"],
        "inspection",
        created=day(7),
        site_id=site["id"],
        assigned_org_id=t["K"]["id"],
    )
    answer(db, i3, v1[0], False)
    i4 = order(db, t["T1"], "inspection", created=day(8), site_id=site["id"], status="cancelled")
    answer(db, i4, v1[1], False)
    i5 = order(db, t["T1"], "inspection", created="2025-04-05T02:00:00.000Z", site_id=site["id"])
    answer(db, i5, v1[1], False)
    return w


def csv_rows(client, chart, **args) -> list[dict]:
    resp = client.get(f"/statistics/{chart}.csv", query_string=args)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


WEEKS = ["2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31"]


def weeks(client, **args) -> list[int]:
    found = csv_rows(client, "visits", **{**MARCH, **args})
    assert [r["week"] for r in found] == WEEKS
    return [int(r["visits"]) for r in found]


def sla_table(client, **args) -> dict:
    return {
        r["sla_grade"]: (
            int(r["arrival_met"]),
            int(r["arrival_decided"]),
            r["arrival_rate"],
            int(r["restore_met"]),
            int(r["restore_decided"]),
            r["restore_rate"],
        )
        for r in csv_rows(client, "sla", **{**MARCH, **args})
    }


def due_table(client, **args) -> dict:
    """The due-time columns (on-demand, accompanying, inspection, rectification) by grade."""
    return {
        r["sla_grade"]: (int(r["due_met"]), int(r["due_decided"]), r["due_rate"])
        for r in csv_rows(client, "sla", **{**MARCH, **args})
    }


def pairs(client, chart, **args) -> list[tuple[str, int]]:
    return [
        tuple((r[k] if i == 0 else int(r[k])) for i, k in enumerate(r))
        for r in csv_rows(client, chart, **{**MARCH, **args})
    ]


def test_visits_per_week_by_local_week(client, auth, world):
    auth.login("admin")
    assert weeks(client) == [1, 3, 2, 0, 0, 0]
    auth.login("sup_d1")
    assert weeks(client) == [1, 2, 2, 0, 0, 0]
    assert weeks(client, customer_class="A") == [0, 2, 1, 0, 0, 0]
    assert weeks(client, sla_grade="standard") == [1, 0, 1, 0, 0, 0]
    auth.login("sup_k")
    assert weeks(client) == [0] * 6


def test_sla_on_time_rate_by_grade(client, auth, world):
    auth.login("admin")
    found = sla_table(client)
    assert found["gold"] == (1, 2, "50.0", 2, 2, "100.0")
    # arrival and restore count fault repairs only (the on-demand job's old fault clocks
    # are not judged): the en-route order (both past due) and the contractor's order
    assert found["standard"] == (1, 2, "50.0", 0, 2, "0.0")
    assert found["silver"] == (1, 1, "100.0", 1, 1, "100.0")
    assert found["diamond"] == (0, 0, "", 0, 0, "")
    # the on-demand job is judged by its due time (restore_due_at): done at 02:00, due 08:00
    assert due_table(client)["standard"] == (1, 1, "100.0")
    assert due_table(client)["gold"] == (0, 0, "")
    auth.login("sup_d1")
    found = sla_table(client)
    assert found["standard"] == (0, 1, "0.0", 0, 1, "0.0")
    assert found["silver"] == (0, 0, "", 0, 0, "")
    assert due_table(client)["standard"] == (1, 1, "100.0")
    auth.login("sup_k")  # a contractor's supervisor: only orders dispatched to them
    found = sla_table(client)
    assert found["standard"] == (1, 1, "100.0", 0, 1, "0.0")
    assert found["gold"][1] == 0
    assert due_table(client)["standard"] == (0, 0, "")


def test_faults_by_cause(client, auth, world):
    auth.login("admin")
    assert pairs(client, "faults") == [("光缆中断", 2), ("电源故障", 1), ("设备老化", 1)]
    auth.login("sup_d1")
    assert pairs(client, "faults") == [("光缆中断", 2)]
    auth.login("sup_k")
    assert pairs(client, "faults") == [("电源故障", 1)]


def test_inspection_failures_by_item_latest_answer(client, auth, world):
    auth.login("admin")
    assert pairs(client, "inspections") == [("机房温度", 2), ("蓄电池浮充电压", 1)]
    auth.login("sup_d1")
    assert pairs(client, "inspections") == [("机房温度", 2)]
    auth.login("sup_k")
    assert pairs(client, "inspections") == [("蓄电池浮充电压", 1)]


def test_filters_narrow_every_chart(client, auth, world, tree):
    auth.login("admin")
    assert sla_table(client, wo_type="on_demand")["standard"] == (0, 0, "", 0, 0, "")
    assert due_table(client, wo_type="on_demand")["standard"] == (1, 1, "100.0")
    assert pairs(client, "faults", wo_type="on_demand") == []
    assert pairs(client, "inspections", wo_type="fault_repair") == []
    assert pairs(client, "faults", customer_class="A") == [("光缆中断", 2)]
    assert sla_table(client, customer_class="A")["standard"][1] == 0
    assert pairs(client, "faults", sla_grade="silver") == [("设备老化", 1)]
    d2 = {"org": tree["D2"]["id"]}
    assert weeks(client, **d2) == [0, 1, 0, 0, 0, 0]
    assert pairs(client, "faults", **d2) == [("设备老化", 1)]
    k = {"org": tree["K"]["id"]}  # by the team or contractor the order went to
    assert pairs(client, "faults", **k) == [("电源故障", 1)]
    assert pairs(client, "inspections", **k) == [("蓄电池浮充电压", 1)]


def test_period_from_to_and_month(client, auth, world):
    auth.login("admin")
    found = csv_rows(client, "visits", **{"from": "2025-03-04", "to": "2025-03-10"})
    assert [(r["week"], r["visits"]) for r in found] == [("2025-03-03", "2"), ("2025-03-10", "1")]
    april = csv_rows(client, "faults", month="2025-04")
    assert [(r["cause"], r["orders"]) for r in april] == [("光缆中断", "1")]
    # A month wins over from/to.
    both = csv_rows(
        client, "faults", month="2025-04", **{"from": "2025-03-01", "to": "2025-03-31"}
    )
    assert both == april


@pytest.mark.parametrize(
    ("args", "field", "code"),
    [
        ({"month": "2025-13"}, "month", "invalid_date"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "to", "out_of_range"),
        ({"from": "2024-01-01", "to": "2025-03-01"}, "to", "period_too_long"),
        ({"from": "03/01/2025"}, "from", "invalid_date"),
        ({"wo_type": "picnic"}, "wo_type", "invalid_choice"),
        ({"sla_grade": "platinum"}, "sla_grade", "invalid_choice"),
    ],
)
def test_bad_filters_are_reported(client, auth, tree, args, field, code):
    auth.login("sup_d1")
    resp = client.get("/statistics/", query_string=args)
    assert resp.status_code == 200
    assert f'data-error="{field}"' in resp.get_data(as_text=True)
    from server.labels import ERRORS

    assert code in ERRORS


def test_an_org_outside_the_scope_is_refused_not_applied(client, auth, world, tree):
    auth.login("sup_d1")
    resp = client.get("/statistics/", query_string={**MARCH, "org": tree["T2"]["id"]})
    assert 'data-error="org"' in resp.get_data(as_text=True)
    assert pairs(client, "faults", org=tree["T2"]["id"]) == [("光缆中断", 2)]
    assert weeks(client, org=tree["K"]["id"]) == [1, 2, 2, 0, 0, 0]


def test_roles(client, auth, tree):
    for username in ("am1", "tech1"):
        auth.login(username)
        assert client.get("/statistics/").status_code == 403
        assert client.get("/statistics/visits.csv").status_code == 403
    auth.login("sup_d1")
    assert client.get("/statistics/").status_code == 200
    assert client.get("/statistics/nonsense.csv").status_code == 404


def section(html: str, chart: str) -> str:
    found = re.search(rf'<section class="card" data-chart="{chart}".*?</section>', html, re.S)
    assert found, chart
    return found.group(0)


def table_cells(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_csv_equals_the_table_and_the_svg_shows_it(client, auth, world):
    auth.login("admin")
    html = client.get("/statistics/", query_string=MARCH).get_data(as_text=True)
    for chart, keys in (
        ("visits", ("week", "visits")),
        ("faults", ("cause", "orders")),
        ("inspections", ("item", "failures")),
    ):
        part = section(html, chart)
        table = table_cells(part)
        assert table == [[r[k] for k in keys] for r in csv_rows(client, chart, **MARCH)]
        svg = re.search(r"<svg.*?</svg>", part, re.S).group(0)
        assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
        for row in table:
            assert row[0] in svg and f">{row[1]}<" in svg
    svg = re.search(r"<svg.*?</svg>", section(html, "sla"), re.S).group(0)
    assert ">50%<" in svg and ">100%<" in svg and ">0%<" in svg
    sla_rows = table_cells(section(html, "sla"))
    assert len(sla_rows) == 5 and sla_rows[0][1:4] == ["0", "0", "—"]


def test_empty_chart_says_so(client, auth, tree):
    auth.login("sup_k")
    html = client.get("/statistics/", query_string=MARCH).get_data(as_text=True)
    assert "<svg" not in section(html, "faults")
    assert "<svg" in section(html, "visits")  # the weeks are there, at zero


def test_chart_shortens_long_labels_but_keeps_them_whole_in_the_title():
    from server.charts import bar_chart

    cause = "一个非常非常长的故障原因描述文字超过十六个字"
    svg = str(bar_chart("Faults <by> cause", [cause, "雷击"], [("Orders", [5, 0])]))
    assert f"<title>{cause}</title>" in svg and "描述文…</text>" in svg
    assert 'aria-label="Faults &lt;by&gt; cause"' in svg  # escaped
    assert ">5<" in svg and ">0<" in svg
    assert 'width="340"' in svg  # the largest value spans the bar area

"""Billing import: dry run with line-numbered errors and nothing written, all-or-nothing,
re-import of a month replaces it and says what changed, class follows handsets unless
overridden, scope, the web flow and the command line."""

import json
from io import BytesIO

from server import records
from server.auth.model import caller as caller_of
from server.billing import importer
from tests import factories as f

HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"


def csv_of(*lines) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def count(db, month=None):
    if month:
        return db.execute(
            "SELECT count(*) FROM billing_month WHERE month = ?", [month]
        ).fetchone()[0]
    return db.execute("SELECT count(*) FROM billing_month").fetchone()[0]


def test_bad_rows_listed_by_line_and_nothing_imported(db, tree):
    a = f.make_customer(db, tree["T1"], tree["am1"])
    b = f.make_customer(db, tree["T1"], tree["am1"])
    text = csv_of(
        f"{a['code']},120.5,300,1024,60,2026-12-31,VOICE;DATA",
        "NOPE,1,1,1,1,,VOICE",  # line 3: unknown customer
        f"{b['code']},abc,-5,1,1,2026-02-30,",  # line 4: four problems
        f"{a['code']},1,1,1,1,,VOICE",  # line 5: duplicate
    )
    outcome = importer.import_month(db, None, "2026-03", text)
    assert not outcome.ok and not outcome.applied
    errors = {row.line: sorted(row.errors) for row in outcome.report.bad_rows}
    assert errors == {
        3: [("customer", "unknown_customer")],
        4: [
            ("arpu", "invalid_number"),
            ("contract_end", "invalid_date"),
            ("products", "required"),
            ("usage_minutes", "out_of_range"),
        ],
        5: [("customer", "duplicate_in_file")],
    }
    assert count(db) == 0
    assert db.execute("SELECT count(*) FROM billing_import").fetchone()[0] == 0


def test_header_problems_and_bad_month(db, tree):
    outcome = importer.import_month(db, None, "2026-13", "customer,arpu,colour\nX,1,red\n")
    codes = sorted(outcome.report.header_errors)
    assert ("colour", "unknown_column") in codes and ("month", "invalid_month") in codes
    assert ("usage_minutes", "missing_column") in codes and count(db) == 0


def test_import_then_reimport_replaces_month_and_reports_changes(db, tree):
    a, b, c = (f.make_customer(db, tree["T1"], tree["am1"], handsets=60) for _ in range(3))
    first = importer.import_month(
        db,
        None,
        "2026-03",
        csv_of(
            f"{a['code']},100,300,1024,60,2026-12-31,VOICE;DATA",
            f"{b['code']},200,300,1024,60,,VOICE",
            f"{c['code']},300,300,1024,60,,VOICE",
        ),
    )
    assert first.applied and (first.added, first.changed, first.removed) == (3, 0, 0)
    stored = db.execute(
        "SELECT products, contract_end FROM billing_month WHERE customer_id = ?", [a["id"]]
    ).fetchone()
    assert json.loads(stored[0]) == ["DATA", "VOICE"] and stored[1] == "2026-12-31"
    dry = importer.import_month(
        db,
        None,
        "2026-03",
        csv_of(
            f"{a['code']},100,300,1024,60,2026-12-31,DATA;VOICE",
            f"{b['code']},250,300,1024,60,,VOICE",
        ),
        dry_run=True,
    )
    assert (dry.added, dry.changed, dry.unchanged, dry.removed) == (0, 1, 1, 1)
    assert dry.changed_codes == [b["code"]] and not dry.applied and count(db, "2026-03") == 3
    again = importer.import_month(
        db,
        None,
        "2026-03",
        csv_of(
            f"{a['code']},100,300,1024,60,2026-12-31,DATA;VOICE",
            f"{b['code']},250,300,1024,60,,VOICE",
        ),
    )
    assert (again.added, again.changed, again.unchanged, again.removed) == (0, 1, 1, 1)
    assert again.removed_codes == [c["code"]]
    assert count(db, "2026-03") == 2
    arpu = db.execute(
        "SELECT arpu FROM billing_month WHERE customer_id = ? AND month = '2026-03'", [b["id"]]
    ).fetchone()[0]
    assert arpu == 250
    history = db.execute(
        "SELECT added, changed, removed FROM billing_import ORDER BY created_at"
    ).fetchall()
    assert [tuple(r) for r in history] == [(3, 0, 0), (0, 1, 1)]
    # Each import earned the month's points (server/points); the re-import replaced them.
    assert first.points["month"] == again.points["month"] == "2026-03"
    earned = db.execute(
        "SELECT customer_id, sum(points) FROM points_entry WHERE kind = 'earn'"
        " AND month = '2026-03' GROUP BY customer_id HAVING sum(points) != 0"
    ).fetchall()
    assert {r[0] for r in earned} == {a["id"], b["id"]}


def test_class_follows_handsets_unless_overridden(db, tree):
    plain = f.make_customer(db, tree["T1"], tree["am1"], handsets=50)
    kept = f.make_customer(
        db,
        tree["T1"],
        tree["am1"],
        handsets=50,
        class_override="B",
        class_override_reason="战略客户",
    )
    assert (plain["customer_class"], kept["customer_class"]) == ("C", "B")
    text = csv_of(f"{plain['code']},1,1,1,520,,VOICE", f"{kept['code']},1,1,1,520,,VOICE")
    outcome = importer.import_month(db, None, "2026-03", text)
    assert outcome.class_changes == 1
    plain, kept = records.get(db, "customer", plain["id"]), records.get(db, "customer", kept["id"])
    assert (plain["handsets"], plain["computed_class"], plain["customer_class"]) == (520, "A", "A")
    assert (kept["handsets"], kept["computed_class"], kept["customer_class"]) == (520, "A", "B")
    assert kept["class_override_reason"] == "战略客户"
    # An older month corrects history only: today's handsets stay.
    importer.import_month(db, None, "2026-01", csv_of(f"{plain['code']},1,1,1,5,,VOICE"))
    assert records.get(db, "customer", plain["id"])["handsets"] == 520
    importer.import_month(db, None, "2026-04", csv_of(f"{plain['code']},1,1,1,120,,VOICE"))
    plain = records.get(db, "customer", plain["id"])
    assert (plain["handsets"], plain["customer_class"]) == (120, "B")


def test_supervisor_imports_only_in_scope(db, tree):
    mine = f.make_customer(db, tree["T1"], tree["am1"])
    theirs = f.make_customer(db, tree["T2"], tree["am2"])
    sup = caller_of(db, tree["sup_d1"]["id"])
    outcome = importer.import_month(
        db,
        sup,
        "2026-03",
        csv_of(f"{mine['code']},1,1,1,1,,VOICE", f"{theirs['code']},1,1,1,1,,VOICE"),
    )
    assert [(r.line, r.errors) for r in outcome.report.bad_rows] == [
        (3, [("customer", "out_of_scope")])
    ]
    assert count(db) == 0


def test_web_flow_dry_run_apply_once(db, auth, tree):
    a = f.make_customer(db, tree["T1"], tree["am1"])
    auth.login("sup_d1")
    text = csv_of(f"{a['code']},100,300,1024,60,,VOICE").encode("gb18030")
    from io import BytesIO

    resp = auth.post("/billing/", data={"month": "2026-03", "file": (BytesIO(text), "bill.csv")})
    assert resp.status_code == 302
    batch_url = resp.headers["Location"]
    page = auth.client.get(batch_url).get_data(as_text=True)
    assert 'data-added="1"' in page and count(db) == 0
    resp = auth.post(batch_url + "/apply")
    assert resp.status_code == 302 and count(db, "2026-03") == 1
    assert auth.post(batch_url + "/apply").status_code == 409
    assert auth.post("/billing/", data={"month": "26-3"}).status_code == 422
    auth.logout()
    auth.login("am1")
    assert auth.client.get("/billing/").status_code == 403
    auth.logout()
    auth.login("sup_k")  # another supervisor's batch is a 404
    assert auth.client.get(batch_url).status_code == 404


def test_command_line_dry_run_and_import(app, db, tree, tmp_path):
    a = f.make_customer(db, tree["T1"], tree["am1"])
    path = tmp_path / "bill.csv"
    path.write_text(
        "\ufeff" + csv_of(f"{a['code']},100,300,1024,60,,VOICE", "NOPE,1,1,1,1,,V"),
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["billing", "import", str(path), "--month", "2026-03", "--dry-run"]
    )
    assert result.exit_code != 0 and "line 3: NOPE" in result.output
    path.write_text(csv_of(f"{a['code']},100,300,1024,60,,VOICE"), encoding="utf-8")
    result = runner.invoke(
        args=["billing", "import", str(path), "--month", "2026-03", "--dry-run"]
    )
    assert result.exit_code == 0 and "would import 1 rows" in result.output and count(db) == 0
    result = runner.invoke(args=["billing", "import", str(path), "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and count(db) == 1


def _upload(auth, month, text="", name="bill.csv"):
    return auth.post("/billing/", data={"month": month, "file": (BytesIO(text.encode()), name)})


def test_billing_month_in_the_future_is_refused(app, db, auth, tree, tmp_path):
    """Fixed: a typo like 2099-01 was imported, became the newest month (handsets, rules)."""
    from server.billing import importer

    customer = f.make_customer(db, tree["T1"], tree["am1"])
    text = HEADER + f"{customer['code']},100,300,1024,60,,VOICE\n"
    auth.login("sup_d1")
    resp = _upload(auth, "2099-01", text)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-error="month"' in page
    assert 'value="2099-01"' in page  # what the user typed is kept
    outcome = importer.import_month(db, None, "2099-01", text)
    assert not outcome.applied and ("month", "month_in_future") in outcome.report.header_errors
    path = tmp_path / "bill.csv"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["billing", "import", str(path), "--month", "2099-01"]
    )
    assert result.exit_code != 0
    assert db.execute("SELECT count(*) FROM billing_month").fetchone()[0] == 0
    # this month and earlier ones are fine
    assert _upload(auth, "2026-03", text).status_code == 302


def test_billing_import_list_is_scoped(db, auth, tree):
    """Fixed: every supervisor saw every import (file names, row counts, who) of the
    province; now their subtree's and the command line's."""
    mine = f.make_customer(db, tree["T1"], tree["am1"])
    theirs = f.make_customer(db, tree["T2"], tree["am2"])
    sup_d2 = f.make_user(db, tree["D2"], "supervisor", username="sup_d2")
    for user, customer, name in ((tree["sup_d1"], mine, "d1.csv"), (sup_d2, theirs, "d2.csv")):
        auth.login(user["username"])
        text = HEADER + f"{customer['code']},100,300,1024,60,,VOICE\n"
        batch_url = _upload(auth, "2026-03", text, name).headers["Location"]
        assert auth.post(batch_url + "/apply").status_code == 302
        auth.logout()
    auth.login("sup_d1")
    page = auth.client.get("/billing/").get_data(as_text=True)
    assert "d1.csv" in page and "d2.csv" not in page
    auth.logout()
    auth.login("admin")
    page = auth.client.get("/billing/").get_data(as_text=True)
    assert "d1.csv" in page and "d2.csv" in page

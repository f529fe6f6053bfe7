"""Review of billing, retention, care and points as a hostile and a careless user would use
them: another scope's ids, wrong roles, bad and huge input, double submits, sync args for
other people's rows. Each test here failed before the fix it names."""

import re
from io import BytesIO

from server.points import ledger
from server.retention import run
from tests import factories as f
from tests.device import Device, new_id
from tests.test_retention import AS_OF, april, bill, world  # noqa: F401  (fixture)

HEADER = "customer,arpu,usage_minutes,data_mb,handsets,contract_end,products\n"


def _upload(auth, month, text="", name="bill.csv"):
    return auth.post("/billing/", data={"month": month, "file": (BytesIO(text.encode()), name)})


# ---- probes: no 500 on bad input anywhere ----


def test_bad_input_never_500(db, auth, world):  # noqa: F811
    w = world
    bill(db, "2026-04", april(w))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    task_id = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [w["drop"]["id"]]
    ).fetchone()[0]
    auth.login("admin")
    c = w["drop"]["id"]
    gets = [
        "/retention/?status=x&outcome=y&tendency=z&page=-1",
        "/retention/?page=abc",
        "/retention/outcomes?by=nonsense",
        "/retention/outcomes?by=value_tier",
        "/retention/outcomes?by=bundling",
        "/retention/segments?bundling=zzz",
        "/customers/?tendency=zzz&bundling=yyy",
        "/customers/?tendency=unrated&bundling=none",
        "/customers/export.csv?tendency=high&bundling=none",
        "/care/?user=nope",
        "/billing/batch/nope",
        "/retention/tasks/nope",
        f"/points/customers/{c}",
        "/points/customers/nope",
    ]
    for path in gets:
        status = auth.client.get(path).status_code
        assert status < 500, path
    posts = [
        (f"/retention/tasks/{task_id}/outcome", {"outcome": "x" * 10000, "reason": "y" * 10**5}),
        ("/retention/policy", {"arpu_drop_pct": "nan", "warn_at": "inf", "high_at": "1e999"}),
        ("/retention/policy", {"arpu_drop_pct": "9" * 5000}),
        ("/points/policy", {"points_per_yuan": "nan", "levels": "a", "effective_from": "x"}),
        ("/points/policy", {"points_per_yuan": "1", "levels": "a, " + "9" * 5000}),
        (
            "/points/policy",
            {"points_per_yuan": "1", "levels": ",\n,", "effective_from": "2026-13"},
        ),
        (f"/points/customers/{c}/adjust", {"points": "9" * 5000, "reason": "x"}),
        (f"/points/customers/{c}/adjust", {"points": "1.5", "reason": "x"}),
        (f"/points/customers/{c}/redeem", {"points": "-5", "reason": "x"}),
        ("/care/done", {"key": "birthday:x:2026-13-01", "how": "call"}),
        ("/care/done", {"key": "holiday:nope:2026-10-01", "how": "call"}),
        ("/care/holidays", {"name": "", "starts_on": "2026-02-30", "ends_on": "x"}),
        ("/care/holidays/nope", {"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-01-01"}),
        ("/care/holidays/nope/delete", {}),
        ("/billing/", {"month": "2026-13"}),
        ("/billing/batch/nope/apply", {}),
    ]
    for path, data in posts:
        status = auth.post(path, data=data).status_code
        assert status < 500, (path, status)


ENTRY = re.compile(r'id="points-(redeem|adjust)".*?name="entry_id" value="([^"]+)"', re.S)


def test_redeem_and_adjust_double_submit_write_once(db, auth, tree):
    """Fixed: a double click on Redeem spent the points twice (no form id)."""
    customer = f.make_customer(db, tree["T1"], tree["am1"])
    ledger.add(db, tree["admin"]["id"], customer["id"], "adjust", 1000, "opening")
    auth.login("sup_d1")
    page = auth.client.get(f"/customers/{customer['id']}").get_data(as_text=True)
    ids = dict(ENTRY.findall(page))
    assert set(ids) == {"redeem", "adjust"} and ids["redeem"] != ids["adjust"]
    for kind, points in (("redeem", "300"), ("adjust", "-50")):
        form = {"points": points, "reason": "礼品", "entry_id": ids[kind]}
        first = auth.post(f"/points/customers/{customer['id']}/{kind}", data=form)
        second = auth.post(f"/points/customers/{customer['id']}/{kind}", data=form)
        assert first.status_code in (204, 303) and second.status_code in (204, 303)
    assert ledger.balance(db, customer["id"]) == 650
    assert db.execute("SELECT count(*) FROM points_entry").fetchone()[0] == 3
    # the same id with other figures (a forged or reused form) is refused, nothing written
    form = {"points": "10", "reason": "x", "entry_id": ids["redeem"]}
    assert auth.post(f"/points/customers/{customer['id']}/redeem", data=form).status_code == 409
    assert ledger.balance(db, customer["id"]) == 650
    # a fresh page brings fresh ids
    again = dict(
        ENTRY.findall(
            auth.client.get(f"/points/customers/{customer['id']}").get_data(as_text=True)
        )
    )
    assert again["redeem"] != ids["redeem"]


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


def test_care_done_with_another_users_id_is_refused_and_device_time_bounded(
    db,
    client,
    world,  # noqa: F811
):
    """Fixed: care.done reusing the id of another user's mark was an internal_error (a
    server exception on every retry); a 100 KB `at` was stored as the device time (now:
    rejected naming `at`, like every argument that is not what the protocol says)."""
    w = world
    mine = f.make_contact(db, w["drop"], name="王总", birthday="1975-11-28")
    theirs = f.make_contact(db, w["other"], name="李总", birthday="1975-11-28")
    am1 = Device(client, "am1", f.PASSWORD)
    am2 = Device(client, "am2", f.PASSWORD)
    am2.pull()
    am1.pull()
    taken = new_id()
    args = {"id": taken, "key": f"birthday:{theirs['id']}:2026-11-28", "how": "call"}
    status, body = am2.push(
        [
            am2.mutation("care.done", {**args, "at": "x" * 100_000}),
            am2.mutation("care.done", args),
        ]
    )
    too_long, stored = body["results"]
    assert (too_long["status"], too_long["result"]["arg"]) == ("rejected", "at")
    assert stored["status"] == "applied"
    assert db.execute("SELECT done_device_at FROM care_done").fetchone()[0] is None
    status, body = am1.push(
        [
            am1.mutation(
                "care.done",
                {"id": taken, "key": f"birthday:{mine['id']}:2026-11-28", "how": "gift"},
            )
        ]
    )
    result = body["results"][0]
    assert result["status"] == "rejected" and result["result"]["code"] == "id_taken"
    row = dict(db.execute("SELECT user_id, how FROM care_done WHERE id = ?", [taken]).fetchone())
    assert row == {"user_id": w["am2"]["id"], "how": "call"}


def test_retention_outcome_device_time_bounded(db, client, world):  # noqa: F811
    bill(db, "2026-04", april(world))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    task_id = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [world["drop"]["id"]]
    ).fetchone()[0]
    am1 = Device(client, "am1", f.PASSWORD)
    am1.pull()
    args = {"id": task_id, "outcome": "retained", "reason": "续约", "at": "9" * 50_000}
    status, body = am1.push([am1.mutation("retention.outcome", args)])
    result = body["results"][0]
    assert (result["status"], result["result"]["arg"]) == ("rejected", "at")
    stored = db.execute(
        "SELECT status, outcome_device_at FROM retention_task WHERE id = ?", [task_id]
    ).fetchone()
    assert tuple(stored) == ("open", None)


def test_outcome_double_submit_is_not_an_error(db, auth, world):  # noqa: F811
    """Fixed: the second request of a double click answered 422 'has an outcome already'."""
    bill(db, "2026-04", april(world))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    task_id = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [world["drop"]["id"]]
    ).fetchone()[0]
    auth.login("am1")
    url = f"/retention/tasks/{task_id}/outcome"
    form = {"outcome": "retained", "reason": "续约两年"}
    assert auth.post(url, data=form).status_code in (204, 303)
    assert auth.post(url, data=form).status_code in (204, 303)
    audits = db.execute(
        "SELECT count(*) FROM audit_log WHERE entity = 'retention_task' AND action = 'outcome'"
    ).fetchone()[0]
    assert audits == 1
    # another outcome afterwards is still refused with the reason, the typed text kept
    resp = auth.post(url, data={"outcome": "lost", "reason": "转网了"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-error="outcome"' in page and "转网了" in page
    # another account manager's task, a supervisor of another district: 404
    other = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [world["other"]["id"]]
    ).fetchone()[0]
    assert auth.client.get(f"/retention/tasks/{other}").status_code == 404
    auth.logout()
    auth.login("sup_k")
    assert auth.client.get(f"/retention/tasks/{task_id}").status_code == 404
    auth.logout()
    auth.login("tech1")
    assert auth.client.get(f"/retention/tasks/{task_id}").status_code == 403


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


def test_care_done_twice_at_once_is_one_mark_not_a_500(db, auth, world, monkeypatch):  # noqa: F811
    """Fixed: two requests of a double click passing the 'done already?' check together; the
    second insert hit UNIQUE (user_id, item_key) and answered 500."""
    from server import records
    from server.care import model

    contact = f.make_contact(db, world["drop"], name="王总", birthday="1975-11-28")
    key = f"birthday:{contact['id']}:2026-11-28"
    insert = records.insert

    def racing_insert(conn, table, values, actor_id):
        # the other request's insert lands between this one's check and its insert
        insert(conn, table, {**values, "how": "call"}, actor_id)
        return insert(conn, table, values, actor_id)

    monkeypatch.setattr(model.records, "insert", racing_insert)
    auth.login("am1")
    resp = auth.post("/care/done", data={"key": key, "how": "gift", "note": "鲜花"})
    assert resp.status_code in (204, 302, 303)
    assert [tuple(r) for r in db.execute("SELECT how FROM care_done")] == [("call",)]


def test_outcome_closed_meanwhile_is_not_overwritten(db, auth, world, monkeypatch):  # noqa: F811
    """Fixed: a web outcome whose task the device closed between the page's check and the
    write replaced the device's outcome (last writer won, the first outcome lost)."""
    from server.retention import model, views

    bill(db, "2026-04", april(world))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    task_id = db.execute(
        "SELECT id FROM retention_task WHERE customer_id = ?", [world["drop"]["id"]]
    ).fetchone()[0]
    read = views._task_or_404

    def read_then_device_closes(task_id):
        task = read(task_id)  # seen open
        if task["status"] == "open":
            model.record_outcome(db, world["am1"]["id"], task_id, "retained", "续约 (手机)")
        return task

    monkeypatch.setattr(views, "_task_or_404", read_then_device_closes)
    auth.login("am1")
    url = f"/retention/tasks/{task_id}/outcome"
    resp = auth.post(url, data={"outcome": "lost", "reason": "转网了"})
    monkeypatch.setattr(views, "_task_or_404", read)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and 'data-error="outcome"' in page and "转网了" in page
    stored = db.execute(
        "SELECT outcome, outcome_reason FROM retention_task WHERE id = ?", [task_id]
    ).fetchone()
    assert tuple(stored) == ("retained", "续约 (手机)")


def test_holiday_added_twice_is_one_holiday(db, auth, tree):
    """Fixed: a double click on Add made the holiday twice (two care items for everyone)."""
    auth.login("admin")
    form = {"name": "公司周年", "starts_on": "2026-12-08", "ends_on": "2026-12-08"}
    assert auth.post("/care/holidays", data=form).status_code in (204, 303)
    resp = auth.post("/care/holidays", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-error="name"' in page and "公司周年" in page
    count = db.execute(
        "SELECT count(*) FROM public_holiday WHERE name = '公司周年' AND deleted_at IS NULL"
    ).fetchone()[0]
    assert count == 1
    # another year's day of the same name is a holiday of its own
    form2 = {**form, "starts_on": "2027-12-08", "ends_on": "2027-12-08"}
    assert auth.post("/care/holidays", data=form2).status_code in (204, 303)


def test_points_and_care_forms_are_scoped(db, auth, tree):
    mine = f.make_customer(db, tree["T1"], tree["am1"])
    contact = f.make_contact(db, mine, name="王总", birthday="1975-11-28")
    form = {"points": "1", "reason": "x"}
    for user, path, status in (
        ("am2", f"/points/customers/{mine['id']}/redeem", 404),
        ("sup_k", f"/points/customers/{mine['id']}/adjust", 404),
        ("am1", f"/points/customers/{mine['id']}/adjust", 403),
        ("tech1", f"/points/customers/{mine['id']}/redeem", 403),
        ("am1", "/points/policy", 403),
        ("sup_d1", "/care/holidays", 403),
        ("sup_d1", "/retention/run", 403),
    ):
        auth.login(user)
        assert auth.post(path, data=form).status_code == status, (user, path)
        auth.logout()
    auth.login("am2")
    key = f"birthday:{contact['id']}:2026-11-28"
    assert auth.post("/care/done", data={"key": key, "how": "call"}).status_code == 404
    assert auth.client.get(f"/care/?user={tree['am1']['id']}").status_code < 500
    auth.logout()
    auth.login("sup_k")
    assert auth.client.get(f"/care/?user={tree['am1']['id']}").status_code == 404
    assert db.execute("SELECT count(*) FROM points_entry").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM care_done").fetchone()[0] == 0


def test_rates_by_every_group_and_grid_counts_match_the_list(db, auth, world):  # noqa: F811
    """Checked, nothing to fix: every grouping of the retention rate renders with closed
    tasks; each grid number is the number of customers its link lists."""
    bill(db, "2026-04", april(world))
    run.run_rules(db, "2026-04", as_of=AS_OF)
    auth.login("am1")
    for task_id, outcome in db.execute(
        "SELECT t.id, CASE WHEN c.name = '下滑客户' THEN 'lost' ELSE 'retained' END"
        " FROM retention_task t JOIN customer c ON c.id = t.customer_id"
        " WHERE t.assignee_id = ?",
        [world["am1"]["id"]],
    ).fetchall():
        form = {"outcome": outcome, "reason": "r"}
        assert auth.post(f"/retention/tasks/{task_id}/outcome", data=form).status_code == 303
    auth.logout()
    auth.login("sup_d1")
    for group in ("team", "value_tier", "tendency", "bundling"):
        page = auth.client.get(f"/retention/outcomes?by={group}").get_data(as_text=True)
        assert "data-rate=" in page, group
    for bundling in ("", "single", "bundled", "none"):
        grid = auth.client.get(f"/retention/segments?bundling={bundling}").get_data(as_text=True)
        for cell, count in re.findall(r'data-cell="([^"]+)" data-count="(\d+)"', grid):
            tier, tendency = cell.split(":")
            listing = auth.client.get(
                f"/customers/export.csv?customer_class={tier}&tendency={tendency}"
                f"&bundling={bundling}"
            ).get_data(as_text=True)
            rows = [line for line in listing.strip().splitlines()[1:] if line]
            assert len(rows) == int(count), (bundling, cell)


def test_load_holidays_of_the_wrong_shape_says_why(app, db, tmp_path):
    """Fixed: a JSON file of another shape (a list, entries that are not objects, no
    holidays list) ended the command with a Python traceback instead of a reason."""
    runner = app.test_cli_runner()
    before = db.execute("SELECT count(*) FROM public_holiday").fetchone()[0]
    for content in ("[1, 2]", '{"holidays": ["x"]}', '{"holidays": 5}', "{}"):
        path = tmp_path / "h.json"
        path.write_text(content, encoding="utf-8")
        result = runner.invoke(args=["care", "load-holidays", str(path)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), content
        assert "Error:" in result.output, content
    assert db.execute("SELECT count(*) FROM public_holiday").fetchone()[0] == before

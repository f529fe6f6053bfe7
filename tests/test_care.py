"""Care calendar: the week-ahead rule on hand-computed days (boundaries, 29 February, future
key dates, anniversaries, holidays), done marks through sync (once per user and key, scope),
the pages (scope, CSRF), the holiday admin page and the holiday loader."""

import json
from datetime import date

import pytest

from server import records
from server.care import calendar, model
from server.scope import Caller
from tests import factories
from tests import factories as f
from tests.device import Device, new_id

TODAY = date(2026, 11, 22)  # a Sunday; the week is 22–28 November


def _caller(user) -> Caller:
    return Caller(user["id"], user["role"], user["org_id"], "", "team")


@pytest.fixture
def field(db, tree):
    c1 = factories.make_customer(db, tree["T1"], tree["am1"], name="甲公司")
    c2 = factories.make_customer(db, tree["T2"], tree["am2"], name="乙公司")
    return {**tree, "c1": c1, "c2": c2}


@pytest.mark.parametrize(
    "original,today,expected",
    [
        ("1980-11-22", TODAY, "2026-11-22"),  # today itself
        ("1980-11-21", TODAY, "2027-11-21"),  # yesterday: next year
        ("1980-11-28", TODAY, "2026-11-28"),  # the week's last day
        ("1980-02-29", date(2027, 2, 27), "2027-02-28"),  # leap day in a common year
        ("1980-02-29", date(2028, 2, 27), "2028-02-29"),  # and in a leap year
        ("2026-12-01", TODAY, "2026-12-01"),  # a future key date: on that day
        ("2027-11-25", TODAY, None),  # not yet come this year, nor next
        ("not a day", TODAY, None),
        (None, TODAY, None),
    ],
)
def test_occurrence(original, today, expected):
    found = calendar.occurrence(original, today)
    assert (found.isoformat() if found else None) == expected


def test_week_ahead_on_hand_computed_data(db, field):
    c1 = field["c1"]
    records.update(db, "customer", c1["id"], {"founded_on": "2016-11-27"}, None)
    other = factories.make_customer(db, field["T1"], field["am1"], name="丙公司")
    records.update(db, "customer", other["id"], {"founded_on": "2026-11-24"}, None)  # 0 years
    key_dates = json.dumps(
        [{"label": "签约纪念日", "date": "2020-11-29"}, {"label": "入职", "date": "2019-11-23"}],
        ensure_ascii=False,
    )
    wang = factories.make_contact(db, c1, name="王总", birthday="1975-11-28", key_dates=key_dates)
    factories.make_contact(db, c1, name="李工", birthday="1990-11-21")  # yesterday
    gone = factories.make_contact(db, c1, name="赵经理", birthday="1985-11-23")
    records.update(db, "contact", gone["id"], {"deleted_at": "2026-01-01T00:00:00Z"}, None)
    factories.make_contact(db, field["c2"], name="别人的", birthday="1980-11-23")  # am2's
    records.insert(
        db,
        "public_holiday",
        {"name": "测试节", "starts_on": "2026-11-28", "ends_on": "2026-11-30"},
        None,
    )
    records.insert(
        db,
        "public_holiday",
        {"name": "下周节", "starts_on": "2026-11-29", "ends_on": "2026-11-29"},
        None,
    )
    items = calendar.week_ahead(db, field["am1"]["id"], TODAY)
    got = [(i["occurs_on"], i["kind"], i["title"]) for i in items]
    assert got == [
        ("2026-11-23", "key_date", "入职"),
        ("2026-11-27", "anniversary", "甲公司"),
        ("2026-11-28", "birthday", "王总"),
        ("2026-11-28", "holiday", "测试节"),
    ]
    assert items[1]["years"] == 10
    assert items[0]["key"] == f"key_date:{wang['id']}:2026-11-23:入职"
    assert items[2]["key"] == f"birthday:{wang['id']}:2026-11-28"
    assert all(i["done"] is None for i in items)


def test_parse_key():
    assert calendar.parse_key("key_date:abc:2026-11-23:a:b") == {
        "kind": "key_date",
        "ref": "abc",
        "occurs_on": "2026-11-23",
        "label": "a:b",
    }
    for bad in (
        "birthday:abc",
        "birthday:abc:2026-13-01",
        "party:abc:2026-11-01",
        "key_date:a:2026-11-01",
        3,
    ):
        assert calendar.parse_key(bad) is None


def test_done_through_sync_once_and_scoped(db, client, field):
    c1 = field["c1"]
    wang = factories.make_contact(db, c1, name="王总", birthday="1975-11-28")
    theirs = factories.make_contact(db, field["c2"], name="别人的", birthday="1980-11-23")
    key = f"birthday:{wang['id']}:2026-11-28"
    first_id = new_id()
    device = Device(client, "am1", factories.PASSWORD)
    device.pull()
    holidays = device.entities("public_holiday")
    assert {h["starts_on"] for h in holidays.values()} >= {"2026-02-15", "2026-10-01"}
    at = "2026-11-22T02:00:00Z"
    first = device.mutation(
        "care.done", {"id": first_id, "key": key, "how": "gift", "note": "鲜花", "at": at}
    )
    status, body = device.push(
        [
            first,
            device.mutation("care.done", {"id": new_id(), "key": key, "how": "call", "at": at}),
            device.mutation(
                "care.done",
                {
                    "id": new_id(),
                    "key": f"birthday:{theirs['id']}:2026-11-23",
                    "how": "call",
                    "at": at,
                },
            ),
            device.mutation("care.done", {"id": new_id(), "key": key, "how": "dance", "at": at}),
            device.mutation(
                "care.done", {"id": new_id(), "key": "nonsense", "how": "call", "at": at}
            ),
            device.mutation(
                "care.done",
                {
                    "id": new_id(),
                    "key": "holiday:holiday-2026-10-01:2026-10-01",
                    "how": "message",
                    "at": at,
                },
            ),
        ]
    )
    assert status == 200
    results = body["results"]
    assert [r["status"] for r in results] == [
        "applied",
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert results[1]["result"] == {"id": first_id, "already": True}
    assert [r["result"]["code"] for r in results[2:5]] == ["not_found", "bad_args", "bad_args"]
    rows = db.execute("SELECT * FROM care_done ORDER BY occurs_on").fetchall()
    assert len(rows) == 2
    done = dict(rows[1])
    assert done["id"] == first_id and done["how"] == "gift" and done["note"] == "鲜花"
    assert done["kind"] == "birthday" and done["contact_id"] == wang["id"]
    assert done["customer_id"] == c1["id"] and done["done_device_at"] == at
    # the same mutation pushed again (a retry after a lost answer) is not applied twice
    again = device.push([first])
    assert again[0] == 200 and again[1]["results"][0]["status"] == "duplicate"
    assert db.execute("SELECT count(*) FROM care_done").fetchone()[0] == 2
    device.pull()
    assert device.entities("care_done")[first_id]["how"] == "gift"
    # the week ahead on the server shows it done
    items = calendar.week_ahead(db, field["am1"]["id"], TODAY)
    assert [i["done"]["how"] for i in items if i["key"] == key] == ["gift"]
    # am2 does not receive am1's marks; am1's supervisor does, another district's does not
    am2 = Device(client, "am2", factories.PASSWORD)
    am2.pull()
    assert am2.entities("care_done") == {}
    sup = Device(client, "sup_d1", factories.PASSWORD)
    sup.pull()
    assert first_id in sup.entities("care_done")


def test_holiday_changes_reach_devices_that_synced_before(db, client, field):
    device = Device(client, "am1", factories.PASSWORD)
    device.pull()
    before = len(device.entities("public_holiday"))
    added = model.save_holiday(
        db,
        field["admin"]["id"],
        {"name": "新节", "starts_on": "2028-01-01", "ends_on": "2028-01-01", "provisional": 0},
    )
    model.remove_holiday(db, field["admin"]["id"], "holiday-2026-01-01")
    device.pull()
    holidays = device.entities("public_holiday")
    assert added["id"] in holidays and "holiday-2026-01-01" not in holidays
    assert len(holidays) == before


def test_care_page_for_account_manager_and_supervisor(db, auth, field):
    wang = factories.make_contact(db, field["c1"], name="王总", birthday="1975-11-28")
    theirs = factories.make_contact(db, field["c2"], name="别人的", birthday="1980-11-23")
    key = f"birthday:{wang['id']}:2026-11-28"
    auth.login("am1")
    page = auth.client.get("/care/")
    assert page.status_code == 200
    # no CSRF token: refused, nothing written
    assert auth.client.post("/care/done", data={"key": key, "how": "call"}).status_code == 400
    assert auth.post("/care/done", data={"key": key, "how": "sing"}).status_code == 400
    assert (
        auth.post(
            "/care/done", data={"key": f"birthday:{theirs['id']}:2026-11-23", "how": "call"}
        ).status_code
        == 404
    )
    assert db.execute("SELECT count(*) FROM care_done").fetchone()[0] == 0
    assert (
        auth.post("/care/done", data={"key": key, "how": "call", "note": "电话祝福"}).status_code
        == 303
    )
    assert auth.post("/care/done", data={"key": key, "how": "gift"}).status_code == 303
    row = db.execute("SELECT how, note FROM care_done").fetchall()
    assert [tuple(r) for r in row] == [("call", "电话祝福")]
    auth.logout()
    auth.login("sup_d1")
    html = auth.client.get("/care/").get_data(as_text=True)
    assert f'data-care-done="{key}"' in html and 'data-how="call"' in html
    assert auth.client.get(f"/care/?user={field['am1']['id']}").status_code == 200
    assert auth.client.get(f"/care/?user={field['am2']['id']}").status_code == 404
    auth.logout()
    auth.login("tech1")
    assert auth.client.get("/care/").status_code == 403


def test_holiday_admin_page(db, auth, field):
    auth.login("sup_city")
    assert auth.client.get("/care/holidays").status_code == 403
    auth.logout()
    auth.login("admin")
    page = auth.client.get("/care/holidays").get_data(as_text=True)
    assert 'data-holiday="holiday-2026-02-15"' in page and 'data-starts="2027-02-06"' in page
    bad = auth.post(
        "/care/holidays", data={"name": "x", "starts_on": "2028-01-03", "ends_on": "2028-01-01"}
    )
    assert bad.status_code == 422 and 'data-error="ends_on"' in bad.get_data(as_text=True)
    assert (
        auth.post(
            "/care/holidays",
            data={"name": "元旦", "starts_on": "2028-01-01", "ends_on": "2028-01-01"},
        ).status_code
        == 303
    )
    edit = auth.post(
        "/care/holidays/holiday-2027-02-06",
        data={"name": "春节", "starts_on": "2027-02-05", "ends_on": "2027-02-13"},
    )
    assert edit.status_code == 303
    row = records.get(db, "public_holiday", "holiday-2027-02-06")
    assert (row["starts_on"], row["ends_on"], row["provisional"]) == (
        "2027-02-05",
        "2027-02-13",
        0,
    )
    assert auth.post("/care/holidays/holiday-2026-01-01/delete").status_code == 303
    assert auth.post("/care/holidays/holiday-2026-01-01/delete").status_code == 404
    assert auth.client.post("/care/holidays/holiday-2026-04-04/delete").status_code == 400


def test_load_holidays_file_and_cli(app, db, tmp_path):
    path = tmp_path / "cn.json"
    path.write_text(
        json.dumps(
            {
                "holidays": [
                    {"name": "春节", "starts_on": "2027-02-05", "ends_on": "2027-02-13"},
                    {"name": "元旦", "starts_on": "2028-01-01", "ends_on": "2028-01-01"},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["care", "load-holidays", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added, 1 changed, 0 unchanged" in result.output
    spring = records.get(db, "public_holiday", "holiday-2027-02-06")
    assert spring["starts_on"] == "2027-02-05" and spring["provisional"] == 0
    # the bundled file again changes nothing it already holds except what we moved back
    bundled = app.test_cli_runner().invoke(args=["care", "load-holidays"])
    assert bundled.exit_code == 0 and "0 added, 1 changed, 13 unchanged" in bundled.output
    path.write_text(json.dumps({"holidays": [{"name": "", "starts_on": "x"}]}), encoding="utf-8")
    broken = app.test_cli_runner().invoke(args=["care", "load-holidays", str(path)])
    assert broken.exit_code != 0 and "entry 1" in broken.output


def test_founded_on_on_the_customer_form(db, auth, field):
    auth.login("sup_d1")
    c1 = field["c1"]
    page = auth.client.get(f"/customers/{c1['id']}/edit").get_data(as_text=True)
    assert 'name="founded_on"' in page
    form = {k: v for k, v in c1.items() if v is not None and isinstance(v, (str, int, float))}
    form.update(founded_on="2001-13-01")
    bad = auth.post(f"/customers/{c1['id']}/edit", data=form)
    assert 'data-error="founded_on"' in bad.get_data(as_text=True)
    form.update(founded_on="2001-11-25")
    assert auth.post(f"/customers/{c1['id']}/edit", data=form).status_code in (200, 204, 302, 303)
    assert records.get(db, "customer", c1["id"])["founded_on"] == "2001-11-25"
    html = auth.client.get(f"/customers/{c1['id']}").get_data(as_text=True)
    assert "2001-11-25" in html


def test_care_done_with_another_users_id_is_refused_and_device_time_bounded(
    db,
    client,
    tree,
):
    """Fixed: care.done reusing the id of another user's mark was an internal_error (a
    server exception on every retry); a 100 KB `at` was stored as the device time (now:
    rejected naming `at`, like every argument that is not what the protocol says)."""
    drop = f.make_customer(db, tree["T1"], tree["am1"], name="下滑客户")
    other = f.make_customer(db, tree["T2"], tree["am2"], name="上城客户")
    mine = f.make_contact(db, drop, name="王总", birthday="1975-11-28")
    theirs = f.make_contact(db, other, name="李总", birthday="1975-11-28")
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
    assert row == {"user_id": tree["am2"]["id"], "how": "call"}


def test_care_done_twice_at_once_is_one_mark_not_a_500(db, auth, tree, monkeypatch):
    """Fixed: two requests of a double click passing the 'done already?' check together; the
    second insert hit UNIQUE (user_id, item_key) and answered 500."""
    from server import records
    from server.care import model

    customer = f.make_customer(db, tree["T1"], tree["am1"], name="下滑客户")
    contact = f.make_contact(db, customer, name="王总", birthday="1975-11-28")
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

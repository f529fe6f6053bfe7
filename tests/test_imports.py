"""CSV import (upload, dry run, apply once, all or nothing) and scoped, re-importable export."""

import io
import re

import pytest

from server import csvio
from tests import factories as f

CUSTOMER_HEADER = (
    "code,name,industry,handsets,top500,sla_grade,class_override,class_override_reason,"
    "account_manager,org,address,lat,lon"
)


def english(auth):
    assert auth.post("/lang", data={"locale": "en"}).status_code == 302


def upload(auth, kind, text, encoding="utf-8", filename="data.csv"):
    """Upload a file; return the dry-run page's URL."""
    raw = text.encode(encoding) if isinstance(text, str) else text
    response = auth.post(
        f"/imports/{kind}",
        data={"file": (io.BytesIO(raw), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def apply(auth, batch_url):
    return auth.post(f"{batch_url}/apply")


def bad_lines(page: str) -> dict[int, set[str]]:
    """{file line: {"column:error", …}} read from the dry-run page."""
    found: dict[int, set[str]] = {}
    for line, cells in re.findall(r'<tr data-line="(\d+)">(.*?)</tr>', page, re.S):
        found[int(line)] = set(re.findall(r'data-error="([^"]+)"', cells))
    return found


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def customer_rows(tree, *rows):
    return "\n".join([CUSTOMER_HEADER, *rows]) + "\n"


def test_dry_run_lists_every_bad_row_and_apply_imports_nothing(tree, db, auth, client):
    f.make_customer(db, tree["T2"], tree["am2"], code="D2-001")
    d1, t1 = tree["D1"]["code"], tree["T1"]["code"]
    text = customer_rows(
        tree,
        f"N-001,好客户,manufacturing,120,0,gold,,,am1,{t1},西湖区,30.2,120.1",
        f"N-002,,manufacturing,-5,0,gold,,,am1,{t1},,,",  # line 3: no name, negative handsets
        f"N-003,覆盖客户,bank,10,0,gold,C,,am1,{d1},,95,",  # line 4: no reason, bad latitude
        f"D2-001,别区客户,retail,10,0,gold,,,am2,{d1},,,",  # line 5: code outside scope
        "N-001,重复编码,retail,10,0,gold,,,tech1,NOPE,,,",  # line 6: duplicate code, bad refs
    )
    before = count(db, "customer")
    auth.login("sup_d1")
    english(auth)
    batch_url = upload(auth, "customer", text)
    page = client.get(batch_url).get_data(as_text=True)
    assert bad_lines(page) == {
        3: {"name:required", "handsets:out_of_range"},
        4: {"class_override_reason:reason_required", "lat:invalid_latitude"},
        5: {"code:out_of_scope"},
        6: {
            "code:duplicate_in_file",
            "account_manager:not_account_manager",
            "org:unknown_org",
        },
    }
    assert "Give a reason for the override." in page  # reasons in the user's language
    assert "To create: 1" in page and "Rows with errors: 4" in page
    assert "Import these rows" not in page
    response = apply(auth, batch_url)
    assert response.status_code == 422
    assert count(db, "customer") == before  # nothing imported, not even the good row
    assert db.execute("SELECT applied_at FROM import_batch").fetchone()[0] is None


def test_good_import_creates_and_updates_once(tree, db, auth, client):
    existing = f.make_customer(db, tree["T1"], tree["am1"], code="OLD-1", handsets=10)
    t1 = tree["T1"]["code"]
    text = customer_rows(
        tree,
        f"OLD-1,{existing['name']},retail,600,0,diamond,,,am1,{t1},新地址,,",
        f"NEW-1,新客户甲,bank,5,0,gold,,,am1,{t1},,30.1,120.2",
        f"NEW-2,新客户乙,retail,150,是,silver,C,战略调整,,{t1},,,",
    )
    auth.login("sup_d1")
    english(auth)
    batch_url = upload(auth, "customer", text)
    page = client.get(batch_url).get_data(as_text=True)
    assert "To create: 2" in page and "To update: 1" in page and "Rows with errors: 0" in page
    assert count(db, "customer") == 1  # the dry run wrote nothing
    response = apply(auth, batch_url)
    assert response.status_code == 302
    assert count(db, "customer") == 3
    old = db["customer"].get(existing["id"])
    assert (old["handsets"], old["customer_class"], old["address"]) == (600, "A", "新地址")
    new2 = db.execute("SELECT * FROM customer WHERE code = 'NEW-2'").fetchone()
    assert new2["top500"] == 1 and new2["computed_class"] == "A"
    assert (new2["customer_class"], new2["class_override_reason"]) == ("C", "战略调整")
    assert new2["updated_by"] == tree["sup_d1"]["id"]
    # A batch applies once.
    again = apply(auth, batch_url)
    assert again.status_code == 409
    assert count(db, "customer") == 3
    assert "Imported at" in client.get(batch_url).get_data(as_text=True)


def test_missing_optional_columns_keep_existing_values(tree, db, auth, client):
    existing = f.make_customer(db, tree["T1"], tree["am1"], code="K-1", address="原地址")
    auth.login("sup_d1")
    batch_url = upload(auth, "customer", "code,handsets\nK-1,250\n")
    assert apply(auth, batch_url).status_code == 302
    row = db["customer"].get(existing["id"])
    assert (row["handsets"], row["address"], row["customer_class"]) == (250, "原地址", "B")
    assert row["account_manager_id"] == tree["am1"]["id"]


def test_file_level_errors(tree, db, auth, client):
    auth.login("sup_d1")
    english(auth)
    page = client.get(upload(auth, "customer", "name,colour\n甲,red\n")).get_data(as_text=True)
    assert 'data-header-error="colour"' in page and "Unknown column." in page
    assert 'data-header-error="code"' in page and "A required column is missing." in page
    empty = client.get(upload(auth, "site", "code,name\n")).get_data(as_text=True)
    assert "The file has no rows." in empty


def test_gb18030_file(tree, db, auth, client):
    t1 = tree["T1"]["code"]
    text = customer_rows(tree, f"GB-1,浙江丝绸集团,manufacturing,80,否,bronze,,,am1,{t1},绍兴路,,")
    raw = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    auth.login("sup_d1")
    batch_url = upload(auth, "customer", raw)
    assert apply(auth, batch_url).status_code == 302
    row = db.execute("SELECT name, address FROM customer WHERE code = 'GB-1'").fetchone()
    assert tuple(row) == ("浙江丝绸集团", "绍兴路")


def test_utf8_with_bom_and_multiline_cells_keep_line_numbers(tree, db, auth, client):
    t1 = tree["T1"]["code"]
    text = customer_rows(
        tree,
        f'M-1,多行地址,retail,1,0,gold,,,am1,{t1},"一楼\n二楼",,',  # lines 2-3
        "",  # line 4: blank, skipped
        f"M-2,坏行,retail,x,0,gold,,,am1,{t1},,,",  # line 5
    )
    auth.login("sup_d1")
    page = client.get(upload(auth, "customer", "\ufeff" + text)).get_data(as_text=True)
    assert bad_lines(page) == {5: {"handsets:invalid_integer"}}


def test_upload_refuses_large_and_binary_files(tree, app, auth, client):
    app.config["IMPORT_MAX_BYTES"] = 100
    auth.login("sup_d1")
    english(auth)

    def post(raw):
        files = {"file": (io.BytesIO(raw), "big.csv")}
        return auth.post("/imports/customer", data=files, content_type="multipart/form-data")

    too_big = post(b"code,name\n" + b"X,Y\n" * 50)
    assert too_big.status_code == 422 and "The file is too large." in too_big.get_data(True)
    binary = post(b"\xff\xfe\x00\x00\x81")
    assert binary.status_code == 422 and 'data-error="file"' in binary.get_data(True)


def test_imports_are_for_supervisors_and_admins_and_batches_are_private(tree, db, auth, client):
    auth.login("sup_d1")
    batch_url = upload(auth, "site", "code,name\nS-1,站\n")
    auth.login("am1")
    assert client.get("/imports/customer").status_code == 403
    auth.login("sup_city")
    assert client.get(batch_url).status_code == 404
    assert apply(auth, batch_url).status_code == 404
    assert client.get("/imports/widgets").status_code == 404


def test_template_download(tree, auth, client):
    auth.login("admin")
    response = client.get("/imports/site/template.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body == (
        "\ufeffcode,name,site_type,lat,lon,area,address,org,contractor,customer,"
        "inspection_cycle_days\r\n"
    )


def test_site_import_resolves_codes_and_checks_references(tree, db, auth, client):
    customer = f.make_customer(db, tree["T1"], code="C-1")
    outside = f.make_customer(db, tree["T2"], code="C-2")
    t1, k, d1 = tree["T1"]["code"], tree["K"]["code"], tree["D1"]["code"]
    header = (
        "code,name,site_type,lat,lon,area,address,org,contractor,customer,inspection_cycle_days"
    )
    bad = "\n".join(
        [
            header,
            f"S-1,站一,base_station,30,120,西湖,,{t1},{k},C-1,30",
            f"S-2,站二,tower,,,,,{t1},{d1},C-2,0",
            f"S-3,站三,base_station,,,,,{t1},,NOPE,",
        ]
    )
    auth.login("sup_d1")
    page = client.get(upload(auth, "site", bad)).get_data(as_text=True)
    assert bad_lines(page) == {
        3: {
            "site_type:invalid_choice",
            "contractor:not_contractor",
            "customer:out_of_scope",
            "inspection_cycle_days:out_of_range",
        },
        4: {"customer:unknown_customer"},
    }
    good = "\n".join([header, f"S-1,站一,base_station,30,120,西湖,,{t1},{k},C-1,30"])
    assert apply(auth, upload(auth, "site", good)).status_code == 302
    site = db.execute("SELECT * FROM site WHERE code = 'S-1'").fetchone()
    assert site["customer_id"] == customer["id"] and site["contractor_id"] == tree["K"]["id"]
    assert outside["id"] != site["customer_id"]


def test_export_is_scoped_filtered_and_reimports(tree, db, auth, client):
    f.make_customer(db, tree["T1"], tree["am1"], code="E-1", name="=1+1 公式", industry="bank")
    f.make_customer(db, tree["T1"], tree["am1"], code="E-2", name="西湖纸业", lat=None, lon=None)
    f.make_customer(db, tree["T1"], tree["am2"], code="E-3", name="同组别人的客户")
    f.make_customer(db, tree["T2"], tree["am2"], code="E-4", name="上城客户")

    def exported(query=""):
        response = client.get(f"/customers/export.csv{query}")
        assert response.mimetype == "text/csv"
        raw = response.get_data()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
        _, found = csvio.read(raw.decode("utf-8-sig"))
        return {cells["code"]: cells for _, cells in found}

    auth.login("am1")
    assert set(exported()) == {"E-1", "E-2"}
    auth.login("sup_d1")
    everything = exported()
    assert set(everything) == {"E-1", "E-2", "E-3"}
    assert set(exported("?customer_class=A")) == {"E-1"}
    assert everything["E-1"]["name"] == "=1+1 公式"  # quoted on the way out, unquoted back
    assert "'=1+1" in client.get("/customers/export.csv").get_data(as_text=True)
    auth.login("admin")
    assert set(exported()) == {"E-1", "E-2", "E-3", "E-4"}
    # What the D1 supervisor exported re-imports as updates with nothing changed.
    auth.login("sup_d1")
    english(auth)
    csv_text = client.get("/customers/export.csv").get_data()
    versions = {r[0]: r[1] for r in db.execute("SELECT code, version FROM customer")}
    batch_url = upload(auth, "customer", csv_text)
    assert "To update: 3" in client.get(batch_url).get_data(as_text=True)
    assert apply(auth, batch_url).status_code == 302
    assert {r[0]: r[1] for r in db.execute("SELECT code, version FROM customer")} == versions


def test_site_export_is_scoped_and_reimports(tree, db, auth, client):
    customer = f.make_customer(db, tree["T1"], tree["am1"], code="C-9")
    f.make_site(db, tree["T1"], tree["K"], customer, code="S-D1")
    f.make_site(db, tree["T2"], None, None, code="S-D2")
    auth.login("sup_d1")
    english(auth)
    body = client.get("/sites/export.csv").get_data()
    _, found = csvio.read(body.decode("utf-8-sig"))
    assert [cells["code"] for _, cells in found] == ["S-D1"]
    assert (found[0][1]["contractor"], found[0][1]["customer"]) == (tree["K"]["code"], "C-9")
    batch_url = upload(auth, "site", body)
    assert "To update: 1" in client.get(batch_url).get_data(as_text=True)
    assert apply(auth, batch_url).status_code == 302

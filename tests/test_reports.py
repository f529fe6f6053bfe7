"""Printed reports: each rendered by WeasyPrint from factory data and read back with poppler
(pdftotext, pdffonts, pdfinfo), scoped like the pages they are downloaded from."""

import io
import re
import subprocess
import zlib

import pytest
from PIL import Image

from bench import pdfworld
from server import records
from server.reports import fetcher
from server.scores.compute import compute_month
from tests import factories
from tests.conftest import signed_in

MONTH = "2026-10"
INSPECTION_ITEMS = 120


def poppler(tool: str, pdf_path, *args) -> str:
    done = subprocess.run(
        [tool, *args, str(pdf_path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


class Printed:
    """A downloaded PDF on disk, read back with poppler."""

    def __init__(self, path):
        self.path = path

    def text(self, *args) -> str:
        return poppler("pdftotext", self.path, *args)

    def page(self, n: int) -> str:
        return self.text("-f", str(n), "-l", str(n), "-layout")

    def info(self) -> dict:
        found = poppler("pdfinfo", self.path)
        return dict(re.findall(r"^([^:]+):\s*(.*)$", found, re.M))

    def pages(self) -> int:
        return int(self.info()["Pages"])

    def fonts(self) -> list[dict]:
        lines = poppler("pdffonts", self.path).splitlines()[2:]
        return [dict(name=line.split()[0], emb=line.split()[-5]) for line in lines]


def download(client, path, tmp_path) -> Printed:
    resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    out = tmp_path / (re.sub(r"\W", "_", path) + ".pdf")
    out.write_bytes(resp.get_data())
    return Printed(out)


@pytest.fixture
def world(app, db, tree):
    """In district D1 / team T1: a visit with four photos (one more pending) and a signature,
    a fault repair, a 90-item inspection; October's scores computed."""
    t = dict(tree)
    blobs = app.config["BLOB_DIR"]
    t["sup_d2"] = factories.make_user(db, t["D2"], "supervisor", username="sup_d2")
    t["cust"] = factories.make_customer(
        db, t["T1"], t["am1"], name="杭州西湖电子科技有限公司", code="XH001", customer_class="A"
    )
    t["site"] = factories.make_site(db, t["T1"], name="文三路基站")
    t["visit"] = pdfworld.visit(db, blobs, t["cust"], t["am1"], photos=4, pending=1)
    t["repair"] = pdfworld.repair(db, blobs, t["D1"], t["tech1"], t["T1"], t["cust"], t["site"])
    t["inspection"] = pdfworld.inspection(
        db, blobs, t["D1"], t["tech1"], t["site"], items=INSPECTION_ITEMS
    )
    compute_month(db, MONTH)
    return t


def test_visit_report_prints_the_visit_in_chinese_with_the_cjk_font(app, world, tmp_path):
    printed = download(
        signed_in(app, "sup_d1").client, f"/reports/visits/{world['visit']['id']}.pdf", tmp_path
    )
    text = printed.text()
    for expected in (
        "杭州西湖电子科技有限公司",
        "XH001",
        "王建国",  # a contact met, by name
        "前台李小姐",
        "发送专线扩容报价",
        "2026-10-21",
        "48 m",
        "30.27452, 120.15551",
        "± 12 m",
        "现场照片4",
        world["visit"]["id"],  # the footer traces the page back to the record
    ):
        assert expected in text, expected
    assert re.search(r"\b4\s?/\s?5\b", text)  # satisfaction
    assert f"{world['visit']['version']}" in text
    fonts = printed.fonts()
    assert fonts and all(f["emb"] == "yes" for f in fonts)
    assert any("Noto-Sans-CJK-SC" in f["name"] for f in fonts)
    info = printed.info()
    assert info["Tagged"] == "yes" and info["PDF version"] == "1.7"
    assert "杭州西湖电子科技有限公司" in info["Title"]
    assert printed.pages() == 1


def test_visit_report_is_scoped_like_the_visit_page(app, world, tmp_path):
    path = f"/reports/visits/{world['visit']['id']}.pdf"
    for username in ("sup_d2", "am2", "sup_k"):
        assert signed_in(app, username).client.get(path).status_code == 404, username
    assert signed_in(app, "tech1").client.get(path).status_code == 403
    assert app.test_client().get(path).status_code in (302, 401)
    download(signed_in(app, "am1").client, path, tmp_path)  # the customer's own account manager
    assert signed_in(app, "sup_city").client.get("/reports/visits/nope.pdf").status_code == 404


def test_repair_report_shows_sla_timeline_cause_fix_parts(app, world, tmp_path):
    order = world["repair"]
    printed = download(
        signed_in(app, "sup_d1").client, f"/reports/work-orders/{order['id']}.pdf", tmp_path
    )
    text = printed.text()
    for expected in (
        order["code"],
        "杭州西湖电子科技有限公司",
        "施工挖断后临时接续不良",
        "-17 dBm",
        "光纤熔接保护管 × 4",
        "尾纤 3m",
        "处理前",
        "处理后",
        "2026-10-14 14:30",  # arrival (on site) 300 min after dispatch, local time
    ):
        assert expected in text, expected
    assert order["id"] in text
    assert (
        signed_in(app, "sup_d2").client.get(f"/reports/work-orders/{order['id']}.pdf").status_code
        == 404
    )
    assert (
        signed_in(app, "am1").client.get(f"/reports/work-orders/{order['id']}.pdf").status_code
        == 403
    )


def test_long_inspection_splits_its_table_cleanly_across_pages(app, db, world, tmp_path):
    order = world["inspection"]
    printed = download(
        signed_in(app, "sup_d1").client, f"/reports/work-orders/{order['id']}.pdf", tmp_path
    )
    pages = printed.pages()
    assert pages == 5
    rectification = db.execute(
        "SELECT code FROM work_order WHERE parent_id = ?", [order["id"]]
    ).fetchone()[0]
    seen = {}
    for n in range(1, pages + 1):
        page = printed.page(n)
        assert order["id"] in page  # every page traces back
        if n > 1 and "120" not in page:  # a checklist page: the header row again
            assert re.search(r"^\s*#\s", page, re.M), n
        for line in page.splitlines():
            found = re.search(r"(\S+) (\d{3})\s", line)
            if found and found.group(1) in {k[0] for k in pdfworld.ITEM_KINDS}:
                seen.setdefault(int(found.group(2)), []).append((n, line))
    # Every item printed in the checklist, its reading on the same line (rows never split).
    assert set(range(1, INSPECTION_ITEMS + 1)) <= set(seen)
    assert "54 V" in seen[46][0][1] and "54 V" in seen[1][0][1]
    assert "56.5 V" in seen[36][0][1] and "53–55 V" in seen[36][0][1]  # failed, out of range
    assert "第36项超出范围" in printed.text()
    first_failed = [line for _, line in seen[9]]
    assert any(rectification in line for line in first_failed)  # linked rectification
    assert sum(len(v) for v in seen.values()) == INSPECTION_ITEMS + INSPECTION_ITEMS // 9


def pdf_objects(path) -> bytes:
    """Every object of a PDF with its streams inflated (the catalogue sits in one)."""
    raw = path.read_bytes()
    out = [raw]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", raw, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_reports_are_tagged_with_title_and_language(app, world, tmp_path):
    printed = download(
        signed_in(app, "sup_d1").client, f"/reports/visits/{world['visit']['id']}.pdf", tmp_path
    )
    objects = pdf_objects(printed.path)
    assert b"/Lang (zh-CN)" in objects
    assert b"/StructTreeRoot" in objects and b"/Marked true" in objects
    assert b"/DisplayDocTitle true" in objects


def test_a_machine_without_the_cjk_font_refuses_to_print(app, world, monkeypatch):
    from server.reports import pdf

    def missing():
        raise pdf.ReportError("Noto Sans CJK SC is not installed")

    monkeypatch.setattr(pdf, "cjk_font", missing)
    resp = signed_in(app, "sup_d1").client.get(f"/reports/visits/{world['visit']['id']}.pdf")
    assert resp.status_code == 503 and b"Noto Sans CJK" in resp.data


def _card(db, role, subject_id):
    column = "user_id" if role in ("account_manager", "technician") else "org_id"
    return db.execute(
        f"SELECT id, score FROM scorecard WHERE month = ? AND role = ? AND {column} = ?",
        [MONTH, role, subject_id],
    ).fetchone()


def test_scorecards_print_for_a_person_a_team_and_a_contractor(app, db, world, tmp_path):
    client = signed_in(app, "sup_city").client
    am1 = download(
        client, f"/reports/scores/people/{world['am1']['id']}.pdf?month={MONTH}", tmp_path
    )
    text = am1.text()
    assert world["am1"]["display_name"] in text and MONTH in text
    card = _card(db, "account_manager", world["am1"]["id"])
    assert card["id"] in text
    if card["score"] is not None:
        assert f"{card['score']:.1f}" in text
    team = download(
        client, f"/reports/scores/orgs/{world['T1']['id']}.pdf?month={MONTH}", tmp_path
    )
    assert "西湖一班" in team.text() and world["tech1"]["display_name"] in team.text()
    contractor = download(
        client, f"/reports/scores/orgs/{world['K']['id']}.pdf?month={MONTH}", tmp_path
    )
    assert "华信代维" in contractor.text()
    assert any("Noto-Sans-CJK" in f["name"] for f in contractor.fonts())


def test_scorecard_reports_are_scoped_like_the_score_pages(app, world):
    person = f"/reports/scores/people/{world['am1']['id']}.pdf?month={MONTH}"
    team = f"/reports/scores/orgs/{world['T1']['id']}.pdf?month={MONTH}"
    for username in ("sup_d2", "sup_k"):
        client = signed_in(app, username).client
        assert client.get(person).status_code == 404, username
        assert client.get(team).status_code == 404, username
    assert signed_in(app, "am1").client.get(person).status_code == 403
    client = signed_in(app, "sup_d1").client
    assert client.get(f"/reports/scores/orgs/{world['K']['id']}.pdf").status_code == 404


def test_record_pages_offer_the_download(app, world):
    client = signed_in(app, "sup_d1").client
    pages = {
        f"/visits/{world['visit']['id']}": f"/reports/visits/{world['visit']['id']}.pdf",
        f"/work-orders/{world['repair']['id']}": (
            f"/reports/work-orders/{world['repair']['id']}.pdf"
        ),
        f"/scores/people/{world['am1']['id']}?month={MONTH}": (
            f"/reports/scores/people/{world['am1']['id']}.pdf?month={MONTH}"
        ),
        f"/scores/orgs/{world['T1']['id']}?month={MONTH}": (
            f"/reports/scores/orgs/{world['T1']['id']}.pdf?month={MONTH}"
        ),
    }
    for page, pdf in pages.items():
        html = client.get(page).get_data(as_text=True)
        link = re.search(r'<a href="([^"]+)" data-download="pdf"', html)
        assert link, page
        assert link.group(1).replace("&amp;", "&") == pdf


def test_the_fetcher_serves_only_the_reports_own_blobs(app, db, world):
    photo = db.execute(
        "SELECT sha256 FROM visit_photo WHERE visit_id = ? ORDER BY created_at",
        [world["visit"]["id"]],
    ).fetchone()[0]
    other = db.execute("SELECT sha256 FROM work_order_photo LIMIT 1").fetchone()[0]
    fetch = fetcher.BlobFetcher(app.config["BLOB_DIR"], {photo})
    response = fetch.fetch(fetcher.blob_url(photo))
    body = response.read()
    response.close()
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(body)) as image:
        assert max(image.size) == fetcher.PRINT_EDGE  # 1600 px from the phone, shrunk
    for url in (
        fetcher.blob_url(other),  # a real blob, but not this report's
        "blob:" + "0" * 64,
        "http://127.0.0.1/photo.jpg",
        "https://example.org/x.png",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetch.fetch(url)


def test_monthly_batch_prints_every_card_on_two_processes(app, db, world, tmp_path):
    out = tmp_path / "month"
    result = app.test_cli_runner().invoke(
        args=["reports", "monthly", "--month", MONTH, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cards = db.execute("SELECT count(*) FROM scorecard WHERE month = ?", [MONTH]).fetchone()[0]
    files = sorted(out.glob("*.pdf"))
    assert cards > 5 and len(files) == cards
    team = next(f for f in files if f.name.startswith("team-") and world["T1"]["id"] in f.name)
    assert "西湖一班" in Printed(team).text()
    subtree = tmp_path / "d2"
    result = app.test_cli_runner().invoke(
        args=[
            "reports",
            "monthly",
            "--month",
            MONTH,
            "--org",
            world["D2"]["code"],
            "--out",
            str(subtree),
        ]
    )
    assert result.exit_code == 0, result.output
    names = {f.name.split("-")[0] for f in subtree.glob("*.pdf")}
    assert names and world["am1"]["username"] not in " ".join(f.name for f in subtree.glob("*"))
    bad = app.test_cli_runner().invoke(args=["reports", "monthly", "--month", "2026-13"])
    assert bad.exit_code != 0


def test_every_report_renders_to_png_with_ink_on_it(app, world, tmp_path):
    """The visual check: each report as PNG (pdftoppm), kept under tmp_path to look at."""
    from PIL import Image

    client = signed_in(app, "sup_city").client
    paths = {
        "visit": f"/reports/visits/{world['visit']['id']}.pdf",
        "repair": f"/reports/work-orders/{world['repair']['id']}.pdf",
        "inspection": f"/reports/work-orders/{world['inspection']['id']}.pdf",
        "person": f"/reports/scores/people/{world['tech1']['id']}.pdf?month={MONTH}",
        "team": f"/reports/scores/orgs/{world['T1']['id']}.pdf?month={MONTH}",
    }
    for name, path in paths.items():
        printed = download(client, path, tmp_path)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-l", "2", str(printed.path), str(tmp_path / name)],
            check=True,
            timeout=60,
        )
        pngs = sorted(tmp_path.glob(f"{name}-*.png"))
        assert pngs, name
        with Image.open(pngs[0]) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:128])
        assert dark > 2000, name  # text and rules, not an empty page


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12", "2026-13", "2026-1", "abc"])
def test_a_scorecard_pdf_for_a_month_that_is_not_one_is_a_400_with_the_reason(app, tree, month):
    """0000-01 and 9999-12 crashed the month parser (500); 2026-13 printed last month's card
    under the reader's request. Both are now a 400 that says what a month looks like."""
    client = signed_in(app, "sup_d1").client
    for path in (
        f"/reports/scores/people/{tree['am1']['id']}.pdf?month={month}",
        f"/reports/scores/orgs/{tree['T1']['id']}.pdf?month={month}",
    ):
        resp = client.get(path)
        assert resp.status_code == 400, (path, resp.status_code)
        assert b"YYYY-MM" in resp.get_data()
    # The scores pages share the parser: an out-of-range month is no longer a 500.
    page = client.get(f"/scores/people/{tree['am1']['id']}?month={month}")
    assert page.status_code < 500


def test_a_scorecard_pdf_without_a_month_is_last_months_and_scope_still_applies(app, tree):
    client = signed_in(app, "sup_d1").client
    resp = client.get(f"/reports/scores/people/{tree['am1']['id']}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert client.get(f"/reports/scores/people/{tree['am2']['id']}.pdf").status_code == 404
    assert client.get(f"/reports/scores/orgs/{tree['K']['id']}.pdf").status_code == 404
    assert (
        signed_in(app, "am1")
        .client.get(f"/reports/scores/orgs/{tree['T1']['id']}.pdf")
        .status_code
        == 403
    )


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_the_monthly_batch_refuses_an_out_of_range_month_as_a_usage_error(app, month):
    result = app.test_cli_runner().invoke(args=["reports", "monthly", "--month", month])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "YYYY-MM" in result.output


def _huge_png(side: int) -> bytes:
    """A tiny file that decodes to side x side pixels (one bit each, so cheap to make)."""
    out = io.BytesIO()
    Image.new("1", (side, side), 1).save(out, "PNG")
    return out.getvalue()


def test_a_photo_that_decodes_to_too_many_pixels_is_refused_not_decoded():
    """A 250 KB PNG of 9000 x 9000 px took about 350 MB of memory to shrink for print."""
    data = _huge_png(8000)
    assert len(data) < 100_000
    with pytest.raises(fetcher.RefusedURL):
        fetcher.downscale(data)
    body, mime = fetcher.downscale(_huge_png(1200))  # an ordinary one still prints
    assert mime.startswith("image/") and body


def test_a_visit_with_a_pixel_bomb_photo_still_prints_without_it(app, db, tree, tmp_path):
    customer = factories.make_customer(db, tree["T1"], tree["am1"], name="滨江测试客户")
    visit = pdfworld.visit(db, app.config["BLOB_DIR"], customer, tree["am1"], photos=1)
    bomb = pdfworld.store_blob(
        db, app.config["BLOB_DIR"], _huge_png(8000), "image/png", tree["am1"]["id"]
    )
    # Written as its uploader (audited): a photo shows only what its author holds (scope.py).
    photo = db.execute("SELECT id FROM visit_photo WHERE visit_id = ?", [visit["id"]]).fetchone()
    records.update(db, "visit_photo", photo["id"], {"sha256": bomb}, tree["am1"]["id"])
    refused = []
    real = fetcher.downscale

    def watching(data, edge=fetcher.PRINT_EDGE):
        try:
            return real(data, edge)
        except fetcher.RefusedURL as exc:
            refused.append(str(exc))
            raise

    fetcher.downscale = watching
    try:
        resp = signed_in(app, "sup_d1").client.get(f"/reports/visits/{visit['id']}.pdf")
    finally:
        fetcher.downscale = real
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert refused and "8000" in refused[0]

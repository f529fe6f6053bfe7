"""CSV injection (OWASP): no export hands a spreadsheet a cell it could run as a formula,
whatever the prefix; one rule (server/imports/csvio.py) for every export and import."""

import csv
import io

import pytest

from server import csvio
from server.scores import cards
from server.statistics import report
from server.visits import listing
from server.work_orders import export as work_order_export
from tests import factories

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1+1",  # full-width equals: Excel and WPS read it as =
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1",  # small form
    ";=1",
    "|calc",
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",  # BOM
    "\u200e\u202e=1",  # direction marks
    "\u3000=1",  # ideographic space
    " =1",
    "\u3164=1",  # Hangul filler, a blank letter
]
HARMLESS = ["西湖纸业", "a=b", "1-2", "'quoted", "", "Ａ公司", "\u200bname"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_cells_are_quoted_and_come_back_unchanged(text):
    written = csvio.write(["cell"], [{"cell": text}])
    text_out = written.removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(text_out)))[1] == ["'" + text]
    _header, found = csvio.read(text_out)
    assert found[0][1]["cell"] == text  # the apostrophe comes off again on import


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_cells_are_left_alone(text):
    written = csvio.write(["cell"], [{"cell": text}])
    assert list(csv.reader(io.StringIO(written.removeprefix("\ufeff"))))[1] == [text]


def test_numbers_stay_numbers():
    written = csvio.write(["n"], [{"n": -5}])
    assert written.endswith("\r\n-5\r\n")


def unsafe_cells(body: bytes) -> list[str]:
    """Cells of a downloaded CSV a spreadsheet could run (the apostrophe is what saves one)."""
    text = body.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [c for c in cells if csvio.formula_like(c)]


def _every_column(columns, text):
    return [{column: text for column in columns}]


@pytest.fixture
def hostile_world(db, tree, monkeypatch):
    """Every export's rows carry a hostile cell: real rows for the import-shaped exports, the
    record functions' output for the others (each view still writes through csvio)."""
    payload = "\u200b＝HYPERLINK(1)"
    customer = factories.make_customer(db, tree["T1"], tree["am1"], name=payload)
    factories.make_site(db, tree["T1"], tree["K"], customer, name=payload)
    monkeypatch.setattr(
        listing, "csv_records", lambda *a: _every_column(listing.CSV_COLUMNS, payload)
    )
    monkeypatch.setattr(
        work_order_export,
        "csv_records",
        lambda *a: _every_column(work_order_export.CSV_COLUMNS, payload),
    )
    monkeypatch.setattr(
        cards, "export_rows", lambda *a: (["month", "name"], [{"month": "x", "name": payload}])
    )
    monkeypatch.setattr(
        report,
        "data",
        lambda db, caller, clean, chart, now: _every_column(report.COLUMNS[chart], payload),
    )
    return payload


EXPORTS = [
    "/customers/export.csv",
    "/sites/export.csv",
    "/visits/export.csv",
    "/work-orders/export.csv",
    "/scores/export.csv",
    *[f"/statistics/{chart}.csv" for chart in report.CHARTS],
]


@pytest.mark.parametrize("path", EXPORTS)
def test_every_export_quotes_hostile_cells(hostile_world, auth, client, path):
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert ("'" + hostile_world).encode() in body  # the row is there, quoted
    assert unsafe_cells(body) == []

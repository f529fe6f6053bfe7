"""PDF reports: a one-page visit report with four photos, a five-page inspection report,
the monthly batch of 100 scorecards (two processes), memory over 100 renders in one process,
and the same visit report's HTML printed by headless Chromium (Playwright page.pdf) as a
reference.

The data (bench/pdfworld: a team of 100 account managers, a visit, a 120-item inspection,
a month's scores) is built fresh in a temporary folder each run: it takes a few seconds.
Each timing runs in a fresh process so its peak memory (VmHWM) is that report's.
Ends with one JSON line.
"""

import base64
import gc
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MONTH = "2026-10"
RUNS = 10
BATCH = 100


def status_mb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def growth(rss: list[float]) -> float | None:
    """RSS growth in %: the last ten renders' median against renders 11-20 (after warm-up).
    Medians, because RSS swings by tens of MB within a render as buffers come and go."""
    if len(rss) < 40:
        return None
    settled = statistics.median(rss[10:20])
    return 100 * (statistics.median(rss[-10:]) - settled) / settled


def make_app(folder: str):
    from server import create_app

    return create_app(
        {
            "DATABASE": os.path.join(folder, "fieldbook.db"),
            "BLOB_DIR": os.path.join(folder, "blobs"),
            "SECRET_KEY": "bench",
        }
    )


def build(folder: str) -> dict:
    """The world, a visit, an inspection and the month's scores; ids for the measurements."""
    import pdfworld

    from server.db import connect
    from server.migrations import upgrade
    from server.scores.compute import compute_month

    app = make_app(folder)
    db = connect(app.config["DATABASE"])
    upgrade(db)
    w = pdfworld.world(db, app.config["BLOB_DIR"], staff=BATCH)
    visit = pdfworld.visit(db, app.config["BLOB_DIR"], w["customer"], w["managers"][0], photos=4)
    inspection = pdfworld.inspection(
        db, app.config["BLOB_DIR"], w["team"], w["tech"], w["site"], 120
    )
    compute_month(db, MONTH)
    db.conn.close()
    return {"visit": visit["id"], "inspection": inspection["id"]}


def _document(app, db, kind: str, record_id: str):
    """(html, blobs, template) of a record's report, read as an administrator."""
    from server.db import one
    from server.reports import pdf, records
    from server.reports.scorecards import SYSTEM
    from server.visits import listing
    from server.work_orders import detail

    if kind == "visit":
        sql, params, (where, scope) = listing.detail_query(SYSTEM, record_id)
        context, blobs = records.visit_report(db, one(db, f"{sql} AND {where}", params + scope))
        template = "reports/visit.html"
    else:
        found = one(db, detail.DETAIL_SQL, [record_id])
        template, context, blobs = records.work_order_report(db, found)
    return pdf.render_html(template, **context), blobs


def measure(folder: str, kind: str, record_id: str, runs: int, queue) -> None:
    """In a fresh process: one warm-up render, then `runs` timed renders (HTML from the
    database and PDF); median, pages, peak memory and RSS growth."""
    from pdfworld import pages as pdf_pages

    from server.db import connect
    from server.reports import pdf

    app = make_app(folder)
    db = connect(app.config["DATABASE"])
    times, rss, peak_at_10 = [], [], None
    with app.test_request_context():
        html, blobs = _document(app, db, kind, record_id)
        pdf.write_pdf(html, blobs)  # warm-up: fonts loaded, templates compiled
        for n in range(runs):
            started = time.perf_counter()
            html, blobs = _document(app, db, kind, record_id)
            body = pdf.write_pdf(html, blobs)
            times.append(time.perf_counter() - started)
            gc.collect()  # what a render leaves behind, not what awaits the collector
            rss.append(status_mb("VmRSS"))
            if n == 9:
                peak_at_10 = status_mb("VmHWM")
    db.conn.close()
    queue.put(
        dict(
            median=statistics.median(times),
            pages=pdf_pages.count(body),
            peak_mb=status_mb("VmHWM"),
            rss_growth_pct=growth(rss),
            rss_mb=[round(rss[n], 1) for n in range(9, len(rss), 10)],
            peak_at_10_mb=peak_at_10,
            size_kb=len(body) / 1024,
        )
    )


def in_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def inline_images(html: str, folder: str, blobs: set[str]) -> str:
    """The report's HTML with its blob: images as data: URLs (Chromium cannot use our fetcher)."""
    from server.reports.fetcher import SCHEME, downscale
    from sync.blobs import BlobStore

    store = BlobStore(os.path.join(folder, "blobs"))

    def data_url(match):
        body, mime = downscale(store.path(match.group(1)).read_bytes())
        return f"data:{mime};base64,{base64.b64encode(body).decode()}"

    return re.sub(re.escape(SCHEME) + r"([0-9a-f]{64})", data_url, html)


def chromium(folder: str, record_id: str, runs: int, queue) -> None:
    """In a fresh process: the visit report's HTML printed by headless Chromium."""
    from playwright.sync_api import sync_playwright

    from server.db import connect

    app = make_app(folder)
    db = connect(app.config["DATABASE"])
    with app.test_request_context():
        html, blobs = _document(app, db, "visit", record_id)
        html = inline_images(html, folder, blobs)
    db.conn.close()
    times = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page()
        page.set_content(html)
        page.pdf(format="A4")  # warm-up, as for WeasyPrint
        for _ in range(runs):
            started = time.perf_counter()
            page.set_content(html)
            page.pdf(format="A4")
            times.append(time.perf_counter() - started)
        browser.close()
    queue.put(dict(median=statistics.median(times)))


def batch(folder: str, queue) -> None:
    """In a fresh process: the month's first 100 cards printed by two worker processes."""
    from server.db import connect
    from server.reports import batch as month_batch
    from server.reports.scorecards import month_cards

    app = make_app(folder)
    db = connect(app.config["DATABASE"])
    cards = month_cards(db, MONTH)[:BATCH]
    db.conn.close()
    out = os.path.join(folder, "month")
    started = time.perf_counter()
    results = month_batch.render_month(month_batch.worker_config(app.config), cards, MONTH, out)
    written = [r.path for r in results if r.path]
    queue.put(dict(s=time.perf_counter() - started, cards=len(written)))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        ids = build(folder)
        print(f"data built in {time.perf_counter() - started:.1f} s")
        visit = in_process(measure, folder, "visit", ids["visit"], RUNS)
        print(f"visit report (4 photos): {visit}")
        inspection = in_process(measure, folder, "inspection", ids["inspection"], RUNS)
        print(f"inspection report: {inspection}")
        memory = in_process(measure, folder, "visit", ids["visit"], 100)
        print(f"visit report x100 in one process: {memory}")
        reference = in_process(chromium, folder, ids["visit"], RUNS)
        print(f"chromium page.pdf of the same HTML: {reference}")
        month = in_process(batch, folder)
        print(f"batch: {month}")
    summary = dict(
        visit_report_median_s=round(visit["median"], 3),
        visit_report_pages=visit["pages"],
        visit_report_peak_mb=round(visit["peak_mb"], 1),
        visit_report_chromium_s=round(reference["median"], 3),
        visit_report_chromium_ratio=round(visit["median"] / reference["median"], 2),
        inspection_report_5p_median_s=round(inspection["median"], 3),
        inspection_report_pages=inspection["pages"],
        inspection_report_5p_peak_mb=round(inspection["peak_mb"], 1),
        scorecards_100_s=round(month["s"], 2),
        scorecards_100_count=month["cards"],
        rss_growth_100_pct=round(memory["rss_growth_pct"], 1),
        peak_growth_100_pct=round(
            100 * (memory["peak_mb"] - memory["peak_at_10_mb"]) / memory["peak_at_10_mb"], 1
        ),
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

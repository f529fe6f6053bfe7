"""The month's scorecards printed into a folder by two worker processes.

Each worker builds its own app from the parent's configuration and opens its own database
connection (nothing is shared across processes); the parent hands out cards one by one and
counts them as they come back, so the progress bar moves with the work.
"""

import multiprocessing
import os

from ..db import connect
from . import pdf, scorecards

WORKERS = 2
_worker: dict = {}


def file_name(card: dict) -> str:
    """A card's file: <kind>-<username or org code>-<subject id>.pdf (ASCII-safe)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in card["name"] or "")
    return f"{card['role']}-{safe}-{card['subject_id']}.pdf"


def _start(config: dict) -> None:
    from .. import create_app

    app = create_app(config)
    _worker.update(app=app, db=connect(config["DATABASE"]))


def render_card(card: dict, month: str, folder: str) -> str:
    """Print one card into `folder` (in a worker, or inline); return the file's path."""
    app, db = _worker["app"], _worker["db"]
    path = os.path.join(folder, file_name(card))
    with app.test_request_context():
        context = scorecards.report(db, card["role"], card["subject_id"], month)
        html = pdf.render_html("reports/scorecard.html", **context)
        pdf.write_pdf(html, set(), path)
    return path


def _job(args) -> str:
    return render_card(*args)


def render_month(config: dict, cards: list[dict], month: str, folder: str, workers=WORKERS):
    """Yield each card's file as it is written, `workers` processes rendering."""
    os.makedirs(folder, exist_ok=True)
    jobs = [(card, month, folder) for card in cards]
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start, initargs=(config,)) as pool:
        yield from pool.imap_unordered(_job, jobs)
        pool.close()
        pool.join()

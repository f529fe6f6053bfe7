"""The month's scorecards printed into a folder by two worker processes.

Each worker builds its own app from the parent's configuration and opens its own database
connection (nothing is shared across processes); the parent hands out cards as workers
free up and yields each card's result as it comes back, so the progress bar moves with the
work.

The workers are a concurrent.futures.ProcessPoolExecutor (spawn), which notices a worker
that dies (BrokenProcessPool) where multiprocessing.Pool waits forever for its task. A card
in flight when a worker died, or one over its time limit (whose pool is then killed), is
charged an attempt and the rest go on in a new pool; a card charged once runs alone, so a
card that kills its worker every time takes no other card with it. A card charged twice is
reported as failed. Nothing waits longer than a card's limit.
"""

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..db import connect
from . import pdf, scorecards

WORKERS = 2
ATTEMPTS = 2  # the first try and one retry in a new pool
CARD_TIMEOUT_SECONDS = 120  # REPORT_CARD_TIMEOUT_SECONDS
_worker: dict = {}


@dataclass
class CardResult:
    """One card's outcome: its file, or why it was not printed."""

    card: dict
    path: str | None = None
    error: str | None = None


def worker_config(config) -> dict:
    """The settings a worker process needs to build the same app (plain values only)."""
    keep = (str, int, float, bool, type(None), list, tuple, dict)
    return {k: v for k, v in config.items() if isinstance(v, keep)}


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


def render_month(
    config: dict,
    cards: list[dict],
    month: str,
    folder: str,
    workers=WORKERS,
    card_timeout=CARD_TIMEOUT_SECONDS,
    render=render_card,
):
    """Yield a CardResult for each card, `workers` processes rendering; every card gets
    one, printed or failed, and the batch never hangs. `render` (picklable, by reference)
    prints one card in a worker."""
    os.makedirs(folder, exist_ok=True)
    charged = [0] * len(cards)  # attempts that ended in a dead or stuck worker
    reasons: dict[int, str] = {}
    pending = list(range(len(cards)))
    while pending:
        again = []
        for index, result in _one_pool(
            config, cards, pending, charged, reasons, month, folder, workers, card_timeout, render
        ):
            if result is not None:
                yield result
            elif charged[index] >= ATTEMPTS:
                yield CardResult(cards[index], error=reasons[index])
            else:
                again.append(index)
        pending = sorted(again, key=lambda i: (charged[i] > 0, i))  # suspects last, alone


def _one_pool(config, cards, pending, charged, reasons, month, folder, workers, timeout, render):
    """Render the pending cards in one new pool. Yields (index, CardResult) for each card
    printed or failed in it, and (index, None) for each card to try again in a new pool
    (`charged` and `reasons` say whether, and why, this pool's end counts against it)."""
    queue = list(pending)
    running: dict = {}  # future -> (index, deadline)
    broken = False
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(config,),
    )
    try:
        while queue or running:
            while queue and len(running) < workers:
                suspect = charged[queue[0]] > 0
                if suspect and running:
                    break  # a card that was in a dead worker before runs alone
                index = queue.pop(0)
                future = pool.submit(render, cards[index], month, folder)
                running[future] = (index, time.monotonic() + timeout)
                if suspect:
                    break
            soonest = min(deadline for _index, deadline in running.values())
            done, _ = wait(
                running, timeout=max(soonest - time.monotonic(), 0), return_when=FIRST_COMPLETED
            )
            for future in done:
                index, _deadline = running.pop(future)
                try:
                    yield index, CardResult(cards[index], path=future.result())
                except BrokenProcessPool:
                    broken = True
                    charged[index] += 1
                    reasons[index] = "its worker process died"
                    yield index, None
                except Exception as exc:
                    yield index, CardResult(cards[index], error=f"{type(exc).__name__}: {exc}")
            now = time.monotonic()
            late = [f for f, (_index, deadline) in running.items() if deadline <= now]
            if not done and late:  # a card cannot be cancelled once it runs: kill the pool
                for future, (index, _deadline) in list(running.items()):
                    if future in late:
                        charged[index] += 1
                        reasons[index] = f"over its limit of {timeout:g} s"
                    yield index, None  # the others in flight go on in the next pool
                running.clear()
                _kill(pool)
                broken = True
            if broken:
                for index, _deadline in running.values():
                    charged[index] += 1  # in flight when its pool broke: a suspect now
                    reasons[index] = "its worker process died"
                    yield index, None
                for index in queue:
                    yield index, None  # never started: nothing against it
                return
    finally:
        if broken:
            _kill(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _kill(pool) -> None:
    """Kill a pool's worker processes: a running card cannot be cancelled otherwise (the
    executor has no public way before Python 3.14)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()
        process.join(5)

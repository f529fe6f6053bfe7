"""The monthly report batch never hangs: a worker process that dies, or a card over its
time limit, costs that card only; the batch finishes, reports it, and prints the others
(real worker processes; the card function is swapped for one that can kill its worker)."""

import os
import time

import pytest

from server.reports import batch

MONTH = "2026-10"


def render_or_die(card: dict, month: str, folder: str) -> str:
    """Stands in for batch.render_card in the worker: kills its worker for the card named
    "dies", never ends for "hangs", and writes a small file for the others."""
    if card["name"] == "dies":
        os._exit(9)
    if card["name"] == "hangs":
        time.sleep(120)
    path = os.path.join(folder, batch.file_name(card))
    with open(path, "w") as fh:
        fh.write(f"{card['name']} {month}")
    return path


def cards(*names):
    return [{"role": "technician", "subject_id": f"id{i}", "name": n} for i, n in enumerate(names)]


@pytest.fixture
def config(app):
    return batch.worker_config(app.config)


def run(config, found, folder, **kwargs):
    started = time.monotonic()
    results = list(
        batch.render_month(config, found, MONTH, str(folder), render=render_or_die, **kwargs)
    )
    return results, time.monotonic() - started


def test_a_worker_that_dies_costs_its_card_only(config, tmp_path):
    found = cards("a1", "a2", "dies", "a3", "a4", "a5")
    results, _seconds = run(config, found, tmp_path / "out")
    assert sorted(r.card["name"] for r in results) == sorted(c["name"] for c in found)  # once each
    failed = [r for r in results if r.error]
    assert [(r.card["name"], r.error) for r in failed] == [("dies", "its worker process died")]
    printed = sorted(os.listdir(tmp_path / "out"))
    assert printed == sorted(batch.file_name(c) for c in found if c["name"] != "dies")
    assert all(r.path and os.path.isfile(r.path) for r in results if not r.error)


def test_a_card_over_its_limit_is_given_up_and_the_batch_finishes(config, tmp_path):
    found = cards("b1", "hangs", "b2", "b3")
    results, seconds = run(
        config, found, tmp_path / "out", card_timeout=10
    )  # a worker's start counts: room for a loaded machine
    failed = [(r.card["name"], r.error) for r in results if r.error]
    assert failed == [("hangs", "over its limit of 10 s")]
    assert len(results) == 4 and len(os.listdir(tmp_path / "out")) == 3
    assert seconds < 60  # the hanging card's 120 s never held the batch

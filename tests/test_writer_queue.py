"""Writers queue for SQLite's write lock (sync/transactions.py, WriterQueue): the threads of a
process and the processes on one file wait in line and are handed the lock at once, instead
of SQLite's sleep-and-retry; the wait stays within the busy timeout and ends in the
retryable answer; a queue never crosses a fork."""

import multiprocessing
import threading
import time

import pytest

from server.db import connect
from sync.transactions import DatabaseUnavailable, write_lock

HOLD_S = 0.3


def _make(path):
    db = connect(str(path), busy_timeout_ms=5000)
    db.execute("CREATE TABLE IF NOT EXISTS n (i INTEGER)")
    return db


def _hold(path, held, release, hold_s):
    """In a child process: take the write lock, say so, keep it `hold_s`, let go, say when."""
    db = connect(str(path), busy_timeout_ms=5000)
    with write_lock(db):
        db.execute("INSERT INTO n VALUES (1)")
        held.set()
        time.sleep(hold_s)
        release.value = time.monotonic()
    db.conn.close()


def _handoff_gap(path, ctx) -> float:
    """Seconds between another process letting go of the lock and this one getting it."""
    db = _make(path)
    held, release = ctx.Event(), ctx.Value("d", 0.0)
    child = ctx.Process(target=_hold, args=(path, held, release, HOLD_S))
    child.start()
    assert held.wait(30)
    with write_lock(db):
        got = time.monotonic()
        db.execute("INSERT INTO n VALUES (2)")
    child.join(30)
    assert child.exitcode == 0
    db.conn.close()
    return got - release.value


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_waiting_process_is_handed_the_lock_at_once(tmp_path, start):
    # SQLite's busy handler, 300 ms into a wait, sleeps in steps of 50 to 100 ms: the lock
    # would sit free for about 28 ms (its schedule is fixed, so every try alike). The queue
    # polls every millisecond at most. With fork the parent's queue existed before the
    # child was made: a queue (its flock) shared across the fork would not exclude at all,
    # and the child's hold would not make this process wait (a negative gap).
    ctx = multiprocessing.get_context(start)
    _make(tmp_path / "f.db").conn.close()
    with write_lock(_make(tmp_path / "f.db")):
        pass  # this process's queue exists before any child is started
    gaps = [_handoff_gap(tmp_path / "f.db", ctx) for _ in range(3)]
    assert all(g >= 0 for g in gaps), gaps  # it waited for the other process every time
    assert min(gaps) < 0.015, gaps


def test_the_wait_ends_in_the_retryable_answer_within_the_busy_timeout(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    path = tmp_path / "f.db"
    _make(path).conn.close()
    held, release = ctx.Event(), ctx.Value("d", 0.0)
    child = ctx.Process(target=_hold, args=(path, held, release, 3.0))
    child.start()
    assert held.wait(30)
    db = connect(str(path), busy_timeout_ms=400)
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as err, write_lock(db):
        db.execute("INSERT INTO n VALUES (3)")
    waited = time.monotonic() - began
    assert err.value.code == "database_busy"
    assert 0.35 < waited < 1.5, waited  # the busy timeout, not twice it, not forever
    child.join(30)
    assert db.execute("SELECT count(*) FROM n WHERE i = 3").fetchone()[0] == 0
    with write_lock(db):  # and the queue was given back: the next write goes through
        db.execute("INSERT INTO n VALUES (4)")
    assert db.execute("SELECT count(*) FROM n WHERE i = 4").fetchone()[0] == 1


def test_a_writer_outside_the_queue_is_still_waited_for(tmp_path):
    import sqlite3

    path = tmp_path / "f.db"
    _make(path).conn.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a shell, or Litestream: no queue
    db = connect(str(path), busy_timeout_ms=300)
    with pytest.raises(DatabaseUnavailable), write_lock(db):
        pass
    other.execute("ROLLBACK")
    with write_lock(db):
        db.execute("INSERT INTO n VALUES (5)")


def test_many_threads_each_write_once_with_none_refused(tmp_path):
    path = tmp_path / "f.db"
    _make(path).conn.close()
    refused, threads = [], []

    def work(k):
        db = connect(str(path), busy_timeout_ms=5000)
        for j in range(40):
            try:
                with write_lock(db):
                    db.execute("INSERT INTO n VALUES (?)", [k * 1000 + j])
            except DatabaseUnavailable as exc:
                refused.append(exc)
        db.conn.close()

    for k in range(12):
        threads.append(threading.Thread(target=work, args=(k,)))
        threads[-1].start()
    for t in threads:
        t.join(60)
    db = connect(str(path))
    assert not refused
    assert db.execute("SELECT count(DISTINCT i) FROM n").fetchone()[0] == 12 * 40


def test_a_nested_block_is_a_savepoint_and_does_not_queue_again(tmp_path):
    db = _make(tmp_path / "f.db")
    with write_lock(db):
        db.execute("INSERT INTO n VALUES (6)")
        with pytest.raises(ValueError), write_lock(db):
            db.execute("INSERT INTO n VALUES (7)")
            raise ValueError
    assert [r[0] for r in db.execute("SELECT i FROM n ORDER BY i")] == [6]

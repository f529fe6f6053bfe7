"""A request thread keeps its SQLite connection (server/db.py): reused on the next request,
handed back with no transaction open, replaced when the file is, never used across a fork."""

import os
import shutil
import threading

from server import db as dbmod
from tests.conftest import make_app


def _checkouts(app, n=2):
    seen = []
    for _ in range(n):
        with app.app_context():
            seen.append(dbmod.get_db())
    return seen


def test_the_next_request_on_a_thread_reuses_its_connection(tmp_path):
    app = make_app(tmp_path)
    first, second = _checkouts(app)
    assert first is second
    assert first.execute("SELECT 1").fetchone()[0] == 1  # still open after the request ended


def test_another_thread_gets_its_own(tmp_path):
    app = make_app(tmp_path)
    (mine,) = _checkouts(app, 1)
    theirs = []
    t = threading.Thread(target=lambda: theirs.extend(_checkouts(app, 1)))
    t.start()
    t.join()
    assert theirs[0] is not mine


def test_a_transaction_left_open_is_rolled_back_at_the_end_of_the_request(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        db = dbmod.get_db()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO meta (key, value) VALUES ('kept_test', 'x')")
    assert not db.conn.in_transaction  # the write lock is not held by an idle thread
    with app.app_context():
        again = dbmod.get_db()
        assert again is db
        assert again.execute("SELECT 1 FROM meta WHERE key = 'kept_test'").fetchone() is None


def test_a_replaced_file_gets_a_new_connection(tmp_path):
    app = make_app(tmp_path)
    (old,) = _checkouts(app, 1)
    path = app.config["DATABASE"]
    shutil.copy(path, path + ".copy")
    os.replace(path + ".copy", path)  # a new inode at the same path
    (new,) = _checkouts(app, 1)
    assert new is not old


def test_off_opens_and_closes_one_per_request(tmp_path):
    app = make_app(tmp_path, DATABASE_KEEP_CONNECTIONS=False)
    first, second = _checkouts(app)
    assert first is not second


def test_a_forked_child_never_uses_the_parents_connection(tmp_path):
    app = make_app(tmp_path)
    (parent,) = _checkouts(app, 1)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a request must open its own connection
        try:
            (child,) = _checkouts(app, 1)
            ok = child is not parent and child.execute("SELECT 1").fetchone()[0] == 1
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)  # the child's end only: nothing written reads as b"", never a hang
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    assert parent.execute("SELECT 1").fetchone()[0] == 1  # the parent's still works

"""The backup drill: back up while phones push visits with photos through the sync API,
restore into a fresh instance, compare rows and blob hashes; a corrupt blob is caught."""

import threading

from server import backups, ops
from server.db import connect
from tests import factories
from tests.blobs import download, head, upload, visit_with_photo
from tests.conftest import make_app
from tests.device import Device, jpeg_bytes, sha256

ROUNDS = 8  # visits with a photo per phone


def _phone(app, username, customer, seed, done, errors):
    """A phone that checks in and sends a photo ROUNDS times, as fast as it can."""
    try:
        dev = Device(app.test_client(), username, factories.PASSWORD)
        for n in range(ROUNDS):
            data = jpeg_bytes(seed * 100 + n, size=6000 + n)
            upload(dev, data)
            visit_with_photo(dev, customer, sha256(data), size=len(data))
            done.append(sha256(data))
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def _fresh(tmp_path):
    """A new, empty instance (its own folder, database and blob store)."""
    (tmp_path / "fresh").mkdir()
    return make_app(tmp_path / "fresh")


def _cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


def _taken_while_pushing(app, field, tmp_path):
    """Three phones push; a backup is taken once some of their work has arrived."""
    db = connect(app.config["DATABASE"])
    am3 = factories.make_user(db, field["T1"], "account_manager", username="am3")
    cust3 = factories.make_customer(db, field["T1"], am3)
    db.conn.close()
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    done, errors = [], []
    phones = [
        threading.Thread(target=_phone, args=(app, user, cust, seed, done, errors))
        for seed, (user, cust) in enumerate(
            [("am1", field["cust1"]), ("am2", field["cust2"]), ("am3", cust3)], start=1
        )
    ]
    for phone in phones:
        phone.start()
    while len(done) < 4 and not errors and any(p.is_alive() for p in phones):
        threading.Event().wait(0.01)
    made = backups.backup(app.config["DATABASE"], app.config["BLOB_DIR"], app.config["BACKUP_DIR"])
    for phone in phones:
        phone.join(timeout=60)
    assert not errors, errors
    assert len(done) == 3 * ROUNDS
    return made, done


def test_a_backup_taken_while_phones_push_restores_into_a_fresh_instance(app, field, tmp_path):
    made, done = _taken_while_pushing(app, field, tmp_path)
    copy = f"{made['path']}/fieldbook.db"
    assert ops.integrity(copy) == "ok"
    # A consistent snapshot: every blob the copy records is in the backup, and 4 or more of
    # the photos (but not necessarily all: the phones kept pushing) are among them.
    recorded = backups.referenced_blobs(copy)
    assert set(recorded) == set(made["blobs"]) and made["unreadable"] == []
    assert 4 <= len(recorded) <= len(done)
    assert ops.row_counts(copy)["visit_photo"] >= 4

    fresh = _fresh(tmp_path)
    result = _cli(fresh)("restore", made["path"], "--yes")
    assert result.exit_code == 0, result.output
    assert f"{len(recorded)} copied" in result.output

    restored = fresh.config["DATABASE"]
    counts, before = ops.row_counts(restored), ops.row_counts(copy)
    assert counts == before  # every table, row for row (the epoch is an update, not a row)
    blob_dir = tmp_path / "fresh" / "blobs"
    on_disk = {p.name: sha256(p.read_bytes()) for p in blob_dir.glob("*/*")}
    assert on_disk == {sha: sha for sha in recorded}  # each file hashes to its name
    # The restored server serves the photos to the phone that took them.
    dev = Device(fresh.test_client(), "am1", factories.PASSWORD)
    mine = [
        jpeg_bytes(100 + n, size=6000 + n)
        for n in range(ROUNDS)
        if sha256(jpeg_bytes(100 + n, size=6000 + n)) in recorded
    ]
    for data in mine:
        resp = download(dev, data)
        assert resp.status_code == 200 and sha256(resp.get_data()) == sha256(data)


def test_a_corrupt_blob_in_the_backup_is_reported_and_refused(app, field, tmp_path):
    made, _ = _taken_while_pushing(app, field, tmp_path)
    bad = sorted(made["blobs"])[0]
    stored = tmp_path / "backups" / "blobs" / bad[:2] / bad
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: bit rot on the backup disk
    stored.write_bytes(bytes(data))

    fresh = _fresh(tmp_path)
    users_before = ops.row_counts(fresh.config["DATABASE"])["app_user"]
    result = _cli(fresh)("restore", made["path"], "--yes")
    assert result.exit_code != 0
    assert "1 corrupt" in result.output and bad in result.output
    assert "refusing to restore" in result.output
    assert ops.row_counts(fresh.config["DATABASE"])["app_user"] == users_before  # untouched
    assert not (tmp_path / "fresh" / "blobs" / bad[:2] / bad).exists()

    # Told to go on, the restore leaves the corrupt photo out and forgets it, so the phone
    # that holds it is asked for it again (HEAD 404) while the others are served.
    result = _cli(fresh)("restore", made["path"], "--yes", "--skip-bad-blobs")
    assert result.exit_code == 0, result.output
    assert "1 forgotten" in result.output
    db = connect(fresh.config["DATABASE"])
    try:
        assert db.execute("SELECT 1 FROM blob WHERE sha256 = ?", [bad]).fetchone() is None
    finally:
        db.conn.close()
    # Its uploader, from the backup (the backup may hold the photo before its visit).
    copy = ops.open_existing(f"{made['path']}/fieldbook.db", "ro")
    try:
        owner = copy.execute(
            "SELECT u.username FROM blob_holder h JOIN app_user u ON u.id = h.user_id"
            " WHERE h.sha256 = ?",
            [bad],
        ).fetchone()[0]
    finally:
        copy.close()
    dev = Device(fresh.test_client(), owner, factories.PASSWORD)
    assert head(dev, bad).status_code == 404
    good = sorted(made["blobs"])[1]
    assert (tmp_path / "fresh" / "blobs" / good[:2] / good).is_file()

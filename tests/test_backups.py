"""Dated backups: photos copied once into the shared store, the newest BACKUP_KEEP kept, a
shared blob pruned only when no kept backup references it, unreadable photos reported."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server import backups
from server.ops import OpsError
from server.replication import mirror_blobs
from sync.blobs import BlobStore
from tests import factories
from tests.blobs import upload
from tests.device import Device, jpeg_bytes, sha256

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture
def phone(app, tree):
    return Device(app.test_client(), "am1", factories.PASSWORD)


def _photo(phone, seed) -> str:
    data = jpeg_bytes(seed, size=3000 + seed)
    upload(phone, data)
    return sha256(data)


def _backup(app, at):
    c = app.config
    return backups.backup(c["DATABASE"], c["BLOB_DIR"], c["BACKUP_DIR"], now=at)


@pytest.fixture
def config(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    return app.config


def test_a_later_backup_copies_only_new_photos(app, config, phone):
    first_photo = _photo(phone, 1)
    first = _backup(app, T0)
    assert first["blobs"] == {first_photo: 3001} and first["copied"]["blobs"] == 1
    second_photo = _photo(phone, 2)
    second = _backup(app, T0 + timedelta(days=1))
    assert set(second["blobs"]) == {first_photo, second_photo}
    assert second["copied"] == {"blobs": 1, "bytes": 3002}  # the first photo was kept
    assert [b["name"] for b in backups.backups(config["BACKUP_DIR"])] == [
        "2026-11-22T020000Z",
        "2026-11-23T020000Z",
    ]
    assert backups.verify(second["path"])["missing"] == []


def test_keep_n_prunes_old_backups_and_only_unreferenced_blobs(app, config, phone, db):
    kept_photo, gone_photo = _photo(phone, 1), _photo(phone, 2)
    _backup(app, T0)
    # The second photo's record goes (as after a restore that forgot it): later backups
    # no longer reference it.
    backups.forget_blobs(config["DATABASE"], [gone_photo])
    _backup(app, T0 + timedelta(days=1))
    _backup(app, T0 + timedelta(days=2))
    store = BlobStore(f"{config['BACKUP_DIR']}/blobs")
    assert backups.prune(config["BACKUP_DIR"], 3) == {"backups_pruned": 0, "blobs_pruned": 0}
    assert store.path(gone_photo).is_file()  # the oldest kept backup still references it
    assert backups.prune(config["BACKUP_DIR"], 2) == {"backups_pruned": 1, "blobs_pruned": 1}
    assert not store.path(gone_photo).exists() and store.path(kept_photo).is_file()
    names = [b["name"] for b in backups.backups(config["BACKUP_DIR"])]
    assert names == ["2026-11-23T020000Z", "2026-11-24T020000Z"]
    with pytest.raises(OpsError, match="at least 1"):
        backups.prune(config["BACKUP_DIR"], 0)


def test_scheduled_backup_counts_and_keeps_backup_keep(app, config, phone):
    _photo(phone, 1)
    config["BACKUP_KEEP"] = 1
    first = backups.scheduled_backup(config)
    assert first["blobs"] == 1 and first["blobs_copied"] == 1 and first["rows"] > 0
    assert first["backups_pruned"] == 0
    second = backups.scheduled_backup(config)
    assert second["blobs_copied"] == 0 and second["backups_pruned"] == 1
    assert len(backups.backups(config["BACKUP_DIR"])) == 1
    assert 0 <= backups.last_backup_age_seconds(config["BACKUP_DIR"]) < 60


def test_a_photo_missing_from_the_store_is_reported_not_hidden(app, config, phone):
    lost = _photo(phone, 1)
    BlobStore(config["BLOB_DIR"]).path(lost).unlink()  # a disk lost it
    result = app.test_cli_runner().invoke(args=["backup"])
    assert (
        result.exit_code != 0 and lost in result.output and "missing or corrupt" in result.output
    )
    (made,) = backups.backups(config["BACKUP_DIR"])  # still written: the best copy there is
    assert made["unreadable"] == [lost] and made["blobs"] == {}


def test_a_second_backup_at_the_same_time_is_refused(app, config):
    with backups.locked(Path(config["BACKUP_DIR"])):
        with pytest.raises(OpsError, match="another backup is running"):
            _backup(app, T0)


def test_an_unfinished_backup_is_neither_listed_nor_pruned(app, config):
    _backup(app, T0)
    root = Path(config["BACKUP_DIR"])
    (root / "2026-11-30T020000Z").mkdir()  # no manifest: not a backup of ours
    (root / ".2026-12-01T020000Z.partial").mkdir()  # a backup cut short by a crash
    assert len(backups.backups(config["BACKUP_DIR"])) == 1
    backups.prune(config["BACKUP_DIR"], 1)
    assert (root / "2026-11-30T020000Z").is_dir()
    assert not (root / ".2026-12-01T020000Z.partial").exists()  # cleared under the lock


def test_mirror_blobs_copies_each_new_file_once_and_skips_corrupt_ones(app, phone, tmp_path):
    config = {"BLOB_DIR": app.config["BLOB_DIR"], "BLOB_REPLICA": str(tmp_path / "mirror")}
    one, two = _photo(phone, 1), _photo(phone, 2)
    assert mirror_blobs(config) == {"seen": 2, "copied": 2, "bytes": 6003, "corrupt": 0}
    assert mirror_blobs(config)["copied"] == 0
    three = _photo(phone, 3)
    path = BlobStore(config["BLOB_DIR"]).path(three)
    path.write_bytes(b"x" + path.read_bytes()[1:])  # rot before it was mirrored
    assert mirror_blobs(config) == {"seen": 3, "copied": 0, "bytes": 0, "corrupt": 1}
    mirror = BlobStore(config["BLOB_REPLICA"])
    assert mirror.path(one).is_file() and mirror.path(two).is_file()
    assert not mirror.path(three).exists()

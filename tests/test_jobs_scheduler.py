"""The jobs process in-process: each job runs once and is recorded, one lease holder runs
jobs while a second scheduler idles and takes over, failures and time limits are recorded
and the scheduler keeps going (real SQLite file, real worker processes)."""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from server import times
from server.db import connect
from server.jobs import lease, model, schedule
from server.jobs.schedule import JobSpec
from server.jobs.scheduler import Scheduler
from server.reports.batch import worker_config

HERE = __name__


# ---- tasks the injected schedules run (imported by reference in the worker process) ------


def quick(ctx):
    return {"at": times.to_stored(ctx.now)}


def broken(ctx):
    raise RuntimeError("the billing export is missing")


def slow(ctx):
    time.sleep(30)
    return {}


def dies(ctx):
    os._exit(3)


def every(seconds):
    return {"trigger": "interval", "seconds": seconds}


@pytest.fixture
def config(app, tmp_path):
    found = worker_config(app.config)
    found.update(
        PUSH_VAPID_KEY_FILE=str(tmp_path / "vapid.pem"),
        BACKUP_DIR=str(tmp_path / "backups"),
        JOBS_LEASE_SECONDS=1.5,
        JOBS_LEASE_RENEW_SECONDS=0.25,
        JOBS_STOP_GRACE_SECONDS=2,
    )
    return found


def wait_for(check, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def finished_runs(db, job=None):
    return [r for r in model.runs(db, job, limit=1000) if r["finished_at"]]


def test_every_scheduled_job_runs_once_and_is_recorded(config, db):
    specs = [
        JobSpec(s.name, s.task, {"trigger": "date"}, s.limit_seconds, s.every, s.what)
        for s in schedule.JOBS
    ]
    scheduler = Scheduler(config, specs=specs)
    scheduler.start()
    try:
        wait_for(lambda: len(finished_runs(db)) == len(schedule.JOBS), 60)
        time.sleep(0.5)
    finally:
        scheduler.stop()
    found = {r["job"]: r for r in finished_runs(db)}
    assert sorted(found) == sorted(s.name for s in schedule.JOBS)
    assert len(finished_runs(db)) == len(schedule.JOBS)  # once each
    outcomes = {name: run["outcome"] for name, run in found.items()}
    assert outcomes == {
        "reminders": "ok",
        "reclassify": "ok",
        "plans": "ok",
        "scores": "ok",
        "scores-final": "ok",
        "reports-monthly": "skipped",  # no scorecards in an empty database
        "retention": "skipped",  # no billing figures
        "backup": "ok",
        "replication": "skipped",  # no LITESTREAM_REPLICA_URL
        "prune": "ok",
    }, {n: r["error"] for n, r in found.items()}
    backup = found["backup"]["counts"]
    assert os.path.isfile(os.path.join(backup["path"], "fieldbook.db"))
    assert backup["path"].startswith(config["BACKUP_DIR"])
    assert found["plans"]["counts"] == {"plans": 0, "created": 0, "existing": 0}
    assert found["retention"]["error"] == "no billing figures yet"
    assert all(r["holder"] == scheduler.holder for r in found.values())
    assert [s["overdue"] for s in model.status(db)] == [False] * len(schedule.JOBS)


def test_a_second_scheduler_stays_idle_and_takes_over_when_the_lease_expires(config, db):
    specs = [JobSpec("tick", f"{HERE}:quick", every(0.3), 5, 1)]
    first = Scheduler(config, specs=specs, holder="first")
    second = Scheduler(config, specs=specs, holder="second")
    first.start()
    wait_for(lambda: finished_runs(db, "tick"))
    second.start()
    try:
        # Several renewals of both, several ticks (waited for: a loaded machine starts the
        # runs' processes slower than the 0.3 s interval).
        time.sleep(1)
        runs = wait_for(lambda: (lambda r: r if len(r) >= 4 else None)(finished_runs(db, "tick")))
        assert first.leader and not second.leader
        assert len(runs) >= 4 and {r["holder"] for r in runs} == {"first"}
        # The first dies without giving its lease up: the second waits for the lease to end.
        first.stop(release=False)
        expired = lease_row(db)["expires_at"]
        stopped = times.now_stored()
        taken = wait_for(lambda: [r for r in finished_runs(db, "tick") if r["holder"] == "second"])
        assert second.leader
        assert min(r["started_at"] for r in taken) >= expired
        assert all(r["started_at"] < stopped for r in finished_runs(db) if r["holder"] == "first")
        assert lease_row(db)["holder"] == "second"
    finally:
        first.stop()
        second.stop()
    assert lease_row(db) is None  # a clean stop gives the lease up


def lease_row(db):
    return db.execute("SELECT holder, expires_at FROM job_lease").fetchone()


def test_a_clean_stop_hands_the_lease_over_at_once(config, db):
    config["JOBS_LEASE_SECONDS"] = 60
    specs = [JobSpec("tick", f"{HERE}:quick", every(0.3), 5, 1)]
    first = Scheduler(config, specs=specs, holder="first")
    second = Scheduler(config, specs=specs, holder="second")
    first.start()
    wait_for(lambda: first.leader)
    second.start()
    try:
        time.sleep(0.6)
        assert not second.leader
        first.stop()
        wait_for(lambda: second.leader, 3)  # long before the 60 s lease would end
    finally:
        second.stop()


def test_a_failing_job_is_recorded_with_its_error_and_the_others_go_on(config, db):
    specs = [
        JobSpec("broken", f"{HERE}:broken", every(0.3), 5, 1),
        JobSpec("tick", f"{HERE}:quick", every(0.3), 5, 1),
    ]
    scheduler = Scheduler(config, specs=specs)
    scheduler.start()
    try:
        wait_for(lambda: len(finished_runs(db, "broken")) >= 3 and finished_runs(db, "tick"))
    finally:
        scheduler.stop()
    failed = finished_runs(db, "broken")
    assert {r["outcome"] for r in failed} == {"failed"}
    assert failed[0]["error"] == "RuntimeError: the billing export is missing"
    assert {r["outcome"] for r in finished_runs(db, "tick")} == {"ok"}
    by_job = {s["job"]: s for s in model.status(db, specs)}
    assert by_job["broken"]["last_outcome"] == "failed"
    assert by_job["broken"]["last_error"].endswith("missing")


def test_a_job_over_its_limit_is_killed_and_recorded_as_timeout(config, db):
    specs = [JobSpec("slow", f"{HERE}:slow", {"trigger": "date"}, 0.5, 1)]
    scheduler = Scheduler(config, specs=specs)
    started = time.monotonic()
    scheduler.start()
    try:
        run = wait_for(lambda: finished_runs(db, "slow"), 10)[0]
    finally:
        scheduler.stop()
    assert time.monotonic() - started < 8  # the 30 s job did not hold the scheduler
    assert run["outcome"] == "timeout" and "limit of 0.5 s" in run["error"]


def test_a_worker_that_dies_is_a_failed_run(config, db):
    scheduler = Scheduler(config, specs=[])
    result = scheduler.run_job(JobSpec("dies", f"{HERE}:dies", {}, 10, 1))
    assert result == {
        "outcome": "failed",
        "counts": {},
        "error": "the worker process died (exit code 3)",
    }
    assert finished_runs(db, "dies")[0]["outcome"] == "failed"


def test_runs_left_open_by_a_dead_scheduler_are_closed_on_takeover(config, db):
    now = datetime.now(UTC)
    model.started(db, "tick", "dead", now - timedelta(minutes=5))
    lease.take(db, "dead", 1, now - timedelta(minutes=5))
    scheduler = Scheduler(config, specs=[])
    scheduler.renew()
    assert scheduler.leader
    (run,) = model.runs(db, "tick")
    assert run["outcome"] == "failed" and "stopped before" in run["error"]


def test_the_lease_is_one_holder_at_a_time_until_it_expires(db):
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert lease.take(db, "a", 90, now)["held"]
    refused = lease.take(db, "b", 90, now + timedelta(seconds=30))
    assert refused == {"held": False, "holder": "a", "expires_at": "2026-12-01T00:01:30.000Z"}
    assert lease.take(db, "a", 90, now + timedelta(seconds=30))["held"]  # renewed to 02:00
    assert not lease.take(db, "b", 90, now + timedelta(seconds=119))["held"]
    assert lease.take(db, "b", 90, now + timedelta(seconds=121))["held"]
    assert lease.holds(db, "b", now + timedelta(seconds=122))
    assert not lease.holds(db, "a", now + timedelta(seconds=122))


def test_overdue_is_no_successful_run_within_twice_the_interval(db):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    specs = [JobSpec("minute", "x:y", every(60), 5, 60), JobSpec("daily", "x:y", {}, 5, 86400)]

    def run(job, minutes_ago, outcome, error=None):
        at = now - timedelta(minutes=minutes_ago)
        model.finished(db, model.started(db, job, "h", at), outcome, error=error, now=at)

    assert [s["overdue"] for s in model.status(db, specs, now)] == [False, False]  # never ran
    run("minute", 10, "ok")
    run("minute", 1, "failed", "boom")
    run("daily", 10, "failed", "boom")
    minute, daily = model.status(db, specs, now)
    assert minute["overdue"] and minute["last_outcome"] == "failed"
    assert minute["last_error"] == "boom" and minute["last_ok"] == "2026-12-01T11:50:00.000Z"
    assert not daily["overdue"]  # the jobs process has run for 10 minutes, not two days
    run("minute", 0.5, "skipped")
    assert not model.status(db, specs, now)[0]["overdue"]
    assert set(minute) == {
        "job",
        "what",
        "last_started",
        "last_finished",
        "last_outcome",
        "last_error",
        "last_ok",
        "overdue",
    }


def test_jobs_schedule_overrides_triggers_and_refuses_unknown_jobs():
    found = schedule.jobs({"JOBS_SCHEDULE": {"*": every(1), "backup": "off"}})
    assert "backup" not in [s.name for s in found]
    assert {tuple(s.trigger.items()) for s in found} == {(("trigger", "interval"), ("seconds", 1))}
    limited = schedule.jobs({"JOBS_SCHEDULE": {"prune": {**every(5), "limit_seconds": 2}}})
    assert next(s for s in limited if s.name == "prune").limit_seconds == 2
    with pytest.raises(ValueError, match="unknown jobs: nope"):
        schedule.jobs({"JOBS_SCHEDULE": {"nope": "off"}})


def test_the_backup_job_keeps_the_newest(config, tmp_path, app):
    from server import backups
    from server.jobs import tasks

    config["BACKUP_KEEP"] = 2
    app.config.update(config)
    db = connect(app.config["DATABASE"])
    made = []
    try:
        for _ in range(3):
            made.append(tasks.backup(tasks.Context(app, db, datetime.now(UTC))))
            time.sleep(1.01)  # backups are named by the second
    finally:
        db.conn.close()
    kept = backups.backups(config["BACKUP_DIR"])
    assert [m["path"] for m in made[1:]] == [m["path"] for m in kept]
    assert made[2]["backups_pruned"] == 1 and made[0]["rows"] > 0


def test_the_replication_check_reads_the_replica_and_mirrors_photos(config, tmp_path, app):
    import subprocess

    from server.jobs import tasks
    from server.replication import litestream_bin

    ctx = tasks.Context(app, None, datetime.now(UTC))
    app.config.update(
        LITESTREAM_REPLICA_URL=(tmp_path / "replica").as_uri(),
        BLOB_REPLICA=str(tmp_path / "blob-replica"),
    )
    with pytest.raises(RuntimeError, match="no transaction"):
        tasks.replication(ctx)  # configured, never replicated: an alarm, not a skip
    once = subprocess.run(
        [litestream_bin({}), "replicate", "-once", app.config["DATABASE"],
         app.config["LITESTREAM_REPLICA_URL"]],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr
    counts = tasks.replication(ctx)
    assert counts["replica_txid"] >= 1 and counts["lag_seconds"] <= 1
    assert counts["blobs_copied"] == 0  # no photos yet, and the mirror ran
    wal = app.config["DATABASE"] + "-wal"
    later = time.time() + 120
    os.utime(wal, (later, later))  # written two minutes after the replica last was
    app.config["REPLICA_MAX_AGE_SECONDS"] = 60
    with pytest.raises(RuntimeError, match="s behind"):
        tasks.replication(ctx)


def test_a_calendar_run_missed_while_no_one_held_the_lease_runs_on_takeover(config, db):
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    model.finished(db, model.started(db, "nightly", "gone", two_days_ago), "ok", now=two_days_ago)
    specs = [JobSpec("nightly", f"{HERE}:quick", {"trigger": "cron", "hour": 3}, 5, 86400)]
    scheduler = Scheduler(config, specs=specs)
    scheduler.start()
    try:
        runs = wait_for(
            lambda: [r for r in finished_runs(db, "nightly") if r["holder"] != "gone"], 10
        )
    finally:
        scheduler.stop()
    assert [r["outcome"] for r in runs] == ["ok"]


def test_jobs_run_and_status_on_the_command_line(app, config):
    app.config.update(config)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["jobs", "run", "prune"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("prune: ok {'reminders': 0, 'spent_tokens': 0")
    status = runner.invoke(args=["jobs", "status"])
    assert status.exit_code == 0, status.output
    lines = {line.split()[0]: line for line in status.output.splitlines()}
    assert " ok " in lines["prune"] and "never" in lines["backup"]
    bad = runner.invoke(args=["jobs", "run", "nope"])
    assert bad.exit_code == 2 and "one of reminders" in bad.output

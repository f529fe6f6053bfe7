"""`flask --app server jobs` as a real process: with every job every second it records runs
of each job, then stops cleanly on SIGTERM and gives its lease up."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"


def test_the_jobs_process_runs_every_job_and_stops_on_sigterm(tmp_path):
    database = tmp_path / "fieldbook.db"
    env = {
        **os.environ,
        "FIELDBOOK_DATABASE": str(database),
        "FIELDBOOK_BLOB_DIR": str(tmp_path / "blobs"),
        "FIELDBOOK_SECRET_KEY": "test-secret",
        "FIELDBOOK_PUSH_VAPID_KEY_FILE": str(tmp_path / "vapid.pem"),
        "FIELDBOOK_BACKUP_DIR": str(tmp_path / "backups"),
        "FIELDBOOK_BACKUP_KEEP": "2",
        "FIELDBOOK_JOBS_SCHEDULE": json.dumps({"*": {"trigger": "interval", "seconds": 1}}),
    }
    run = [str(FLASK), "--app", "server"]
    subprocess.run([*run, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*run, "jobs"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 40
        jobs = set()
        while time.monotonic() < deadline and len(jobs) < 10:
            time.sleep(0.5)
            with sqlite3.connect(database) as conn:
                jobs = {r[0] for r in conn.execute("SELECT job FROM job_run WHERE outcome = 'ok'")}
                jobs |= {
                    r[0] for r in conn.execute("SELECT job FROM job_run WHERE outcome = 'skipped'")
                }
        assert len(jobs) == 10, jobs
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "signal SIGTERM, stopping" in output and "stopped" in output.splitlines()[-1]
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM job_lease").fetchone()[0] == 0
        assert conn.execute(
            "SELECT count(*) FROM job_run WHERE finished_at IS NULL"
        ).fetchone() == (0,)
        failed = conn.execute("SELECT job, error FROM job_run WHERE outcome = 'failed'").fetchall()
    # Only runs ended by the stop itself may have failed.
    assert {error for _job, error in failed} <= {"the jobs process stopped during the run"}
    # BACKUP_KEEP of the finished ones; a backup the stop cut short is a hidden .partial
    # folder, which the next prune clears (server/backups.py).
    kept = [p for p in (tmp_path / "backups").iterdir() if not p.name.endswith(".partial")]
    assert len(kept) <= 2, sorted(p.name for p in (tmp_path / "backups").iterdir())
    status = subprocess.run(
        [*run, "jobs", "status"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stdout
    assert "backup" in status.stdout and "OVERDUE" not in status.stdout

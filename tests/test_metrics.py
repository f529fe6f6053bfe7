"""/metrics: Prometheus' text format, counters that move with pushes, reachable only from
METRICS_ALLOW or with METRICS_TOKEN; the admin's System page shows the same figures."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server import backups
from server.db import connect
from tests import factories
from tests.conftest import signed_in
from tests.device import Device, check_in


def scrape(client, **kwargs) -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    resp = client.get("/metrics", **kwargs)
    assert resp.status_code == 200, resp.status_code
    assert resp.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def applied(samples) -> float:
    return samples.get(("fieldbook_sync_mutations_total", (("outcome", "applied"),)), 0.0)


def test_format_parses_and_a_push_counts(app, client, field):
    before = scrape(client)
    assert before[("fieldbook_devices_unsent_over_day", ())] == 0
    assert ("fieldbook_wal_bytes", ()) in before and ("fieldbook_database_bytes", ()) in before
    dev = Device(client, "am1", factories.PASSWORD)
    dev.pull()
    status, body = dev.push([check_in(dev, field["cust1"]), check_in(dev, field["cust1"])])
    assert status == 200 and [r["status"] for r in body["results"]] == ["applied", "applied"]
    after = scrape(client)
    assert applied(after) - applied(before) == 2
    pushes = ("fieldbook_sync_pushes_total", (("status", "200"),))
    assert after[pushes] - before.get(pushes, 0) == 1
    pages = ("fieldbook_sync_pull_pages_total", (("status", "200"),))
    assert after[pages] - before.get(pages, 0) >= 1
    # Requests are counted by URL rule, never by raw path.
    rule = ("endpoint", "/api/sync/push"), ("method", "POST"), ("status", "200")
    assert after[("fieldbook_http_requests_total", rule)] >= 1
    assert after[("fieldbook_sync_clients", ())] == 1


def test_a_busy_answer_is_counted(app, client):
    @app.get("/test-busy")
    def busy():
        return "busy", 503

    key = ("fieldbook_busy_answers_total", (("reason", "http_503"),))
    before = scrape(client).get(key, 0)
    assert client.get("/test-busy").status_code == 503
    assert scrape(client)[key] - before == 1


def test_other_addresses_get_404_and_the_token_opens(app, client):
    far = {"environ_base": {"REMOTE_ADDR": "203.0.113.5"}}
    assert client.get("/metrics", **far).status_code == 404
    # Through a proxy the app does not believe (PROXY_FIX_HOPS 0): not the proxy's address.
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token"
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong, **far).status_code == 404
    right = {"Authorization": "Bearer s3cret-token"}
    assert ("fieldbook_wal_bytes", ()) in scrape(client, headers=right, **far)
    app.config["METRICS_ALLOW"] = ["203.0.113.0/24"]
    assert client.get("/metrics", **far).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_metrics_allow_must_be_addresses(tmp_path):
    from tests.conftest import make_app

    with pytest.raises(ValueError, match="METRICS_ALLOW"):
        make_app(tmp_path, METRICS_ALLOW=["not-an-address"])


def test_job_and_backup_gauges_read_the_record_and_the_backups(app, client, db):
    samples = scrape(client)
    assert not [name for name, _ in samples if name.startswith("fieldbook_job_")]
    assert ("fieldbook_last_backup_age_seconds", ()) not in samples  # no backup yet
    db.executescript(
        "INSERT INTO job_run (job, holder, started_at, finished_at, outcome, error) VALUES"
        " ('backup', 'h', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', 'ok', NULL),"
        " ('reminders', 'h', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', 'failed',"
        " 'push service down');"
    )
    samples = scrape(client)
    assert samples[("fieldbook_job_failures", (("job", "reminders"),))] == 1
    assert samples[("fieldbook_job_last_failed", (("job", "reminders"),))] == 1
    assert samples[("fieldbook_job_last_failed", (("job", "backup"),))] == 0
    assert ("fieldbook_last_backup_age_seconds", ()) not in samples  # a record is no backup
    backups.scheduled_backup(app.config)
    age = scrape(client)[("fieldbook_last_backup_age_seconds", ())]
    assert 0 <= age < 120


def test_system_page_is_for_admins_only(app, tree):
    for username in ("sup_city", "am1", "tech1"):
        assert signed_in(app, username).client.get("/admin/system").status_code == 403
    assert app.test_client().get("/admin/system").status_code == 302  # to the sign-in page
    page = signed_in(app, "admin").client.get("/admin/system")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("版本", "存储", "预写日志", "同步", "任务", "备份", "复制"):
        assert label in html, label
    assert 'data-testid="system-jobs-none"' in html and 'data-testid="system-backups-none"' in html
    assert "未记录" in html


def test_litestream_needs_the_busy_timeout_its_guidance_asks(tmp_path):
    from tests.conftest import make_app

    with pytest.raises(ValueError, match="LITESTREAM"):
        make_app(tmp_path, LITESTREAM=True, DATABASE_BUSY_TIMEOUT_MS=1000)
    app = make_app(tmp_path, LITESTREAM=True)
    with app.app_context():
        db = connect(app.config["DATABASE"])
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    with app.test_client() as client:
        samples = scrape(client)
    assert ("fieldbook_wal_checkpoint_busy", ()) not in samples  # the app left it to Litestream


def test_wal_over_its_size_logs_a_warning(app, db, caplog):
    from server.system import wal

    db.execute("CREATE TABLE filler (x BLOB)")
    db.execute("INSERT INTO filler VALUES (zeroblob(200000))")
    app.config["WAL_WARN_BYTES"] = 1000
    wal._state["warned_at"] = 0.0  # this process may have warned already
    with app.app_context(), caplog.at_level("WARNING"):
        found = wal.watch(db, app.config)
    assert found["over_limit"] and found["wal_bytes"] > 1000
    assert "WAL_WARN_BYTES" in caplog.text

"""The WSGI entry point builds the app from FIELDBOOK_* environment variables."""

import importlib
import sys


def test_wsgi_app_reads_environment(tmp_path, monkeypatch):
    path = str(tmp_path / "wsgi.db")
    monkeypatch.setenv("FIELDBOOK_DATABASE", path)
    monkeypatch.setenv("FIELDBOOK_SECRET_KEY", "wsgi-test")
    monkeypatch.setenv("FIELDBOOK_LOGIN_RATE_LIMIT", "100 per minute")
    sys.modules.pop("server.wsgi", None)
    try:
        app = importlib.import_module("server.wsgi").app
    finally:
        sys.modules.pop("server.wsgi", None)
    assert app.config["DATABASE"] == path
    assert app.config["SECRET_KEY"] == "wsgi-test"
    assert app.config["LOGIN_RATE_LIMIT"] == "100 per minute"
    assert "sync_api.push" in {rule.endpoint for rule in app.url_map.iter_rules()}

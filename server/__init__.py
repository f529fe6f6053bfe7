"""Fieldbook (外勤通) server: the app factory. Construction only; nothing runs at import."""

import logging
import os
import sys

from flask import Flask
from flask_babel import lazy_gettext

APP_VERSION = "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config=None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    from .config import load_config

    load_config(app, test_config)
    _logging(app)

    from . import db, errors, i18n, metrics, security_headers
    from .extensions import csrf, htmx, limiter, login_manager

    db.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to open this page.")
    login_manager.localize_callback = str
    login_manager.session_protection = "basic"
    i18n.init_app(app)

    from .auth import session as _session  # noqa: F401  (registers the user loader)

    _register_blueprints(app)

    from . import cli

    cli.init_app(app)
    app.jinja_env.globals["APP_VERSION"] = APP_VERSION
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Believe the last PROXY_FIX_HOPS entries of X-Forwarded-For and -Proto (the proxies'
    own), so remote_addr is the client for rate limits, audit entries and sign-ins."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _register_blueprints(app: Flask) -> None:
    """Every domain's blueprints (server/domains.py), and the sync registry they push to."""
    from .domain import load
    from .domains import DOMAINS
    from .sync_api.registry import build_registry

    for domain in DOMAINS:
        for ref in domain.blueprints:
            app.register_blueprint(load(ref))
    app.extensions["sync_registry"] = build_registry()


def _logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))

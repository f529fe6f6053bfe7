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

    from . import db, errors, i18n, security_headers
    from .extensions import csrf, htmx, limiter, login_manager

    db.init_app(app)
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
    return app


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin
    from .appointments.views import bp as appointments
    from .auth.api import bp as auth_api
    from .auth.views import bp as auth_views
    from .billing.views import bp as billing
    from .care.views import bp as care
    from .customers.views import bp as customers
    from .home.views import bp as home
    from .imports.views import bp as imports
    from .inspections.views import bp as inspections
    from .points.views import bp as points
    from .push.views import bp as push
    from .pwa.views import bp as pwa
    from .reports.views import bp as reports
    from .retention.views import bp as retention
    from .reviews.views import bp as reviews
    from .scores.views import bp as scores
    from .sites.views import bp as sites
    from .statistics.views import bp as statistics
    from .sync_api.blobs import bp as blobs_api
    from .sync_api.registry import build_registry
    from .sync_api.views import bp as sync_api
    from .sync_health.views import bp as sync_health
    from .tasks.views import bp as tasks
    from .visits.views import bp as visits
    from .work_orders.views import bp as work_orders

    for bp in (
        *(auth_views, auth_api, home, admin, customers, sites, imports),
        *(sync_api, blobs_api, pwa),
    ):
        app.register_blueprint(bp)
    app.register_blueprint(visits)
    app.register_blueprint(inspections)
    app.register_blueprint(work_orders)
    app.register_blueprint(reviews)
    app.register_blueprint(statistics)
    app.register_blueprint(sync_health)
    app.register_blueprint(tasks)
    app.register_blueprint(appointments)
    app.register_blueprint(scores)
    app.register_blueprint(care)
    app.register_blueprint(points)
    app.register_blueprint(push)
    app.register_blueprint(billing)
    app.register_blueprint(retention)
    app.register_blueprint(reports)
    from .visits.followup_views import bp as follow_ups

    app.register_blueprint(follow_ups)
    from .customers.class_views import bp as classes

    app.register_blueprint(classes)
    app.extensions["sync_registry"] = build_registry()


def _logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))

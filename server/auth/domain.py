"""The auth domain's declaration: sign-in, sessions, API tokens and each user's settings."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "auth",
    blueprints=("auth.views:bp", "auth.api:bp"),
    sync="auth.sync",
    unreplicated=("app_user",),
    labels={
        "role": {
            "account_manager": _l("Account manager"),
            "technician": _l("Technician"),
            "supervisor": _l("Supervisor"),
            "admin": _l("Administrator"),
        },
    },
)

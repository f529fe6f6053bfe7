"""The admin domain: the organisation tree, users and the audit log."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "admin",
    blueprints=("admin.views:bp",),
    cli=("admin.commands:create_admin",),
    unreplicated=("org",),
    labels={
        "org_kind": {
            "province": _l("Province company"),
            "city": _l("City branch"),
            "district": _l("District unit"),
            "team": _l("Team"),
            "contractor": _l("Contractor"),
        },
    },
)

"""The points domain's declaration: customer points: ledger and levels."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "points",
    blueprints=("points.views:bp",),
    cli=("care.commands:points_cli",),
    labels={
        "points_kind": {
            "earn": _l("Earned"),
            "adjust": _l("Adjusted"),
            "redeem": _l("Redeemed"),
        },
    },
)

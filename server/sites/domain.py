"""The sites domain's declaration: sites (base stations, customer premises, line endpoints)."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "sites",
    blueprints=("sites.views:bp",),
    labels={
        "site_type": {
            "base_station": _l("Base station"),
            "customer_premises": _l("Customer premises"),
            "line_endpoint": _l("Line endpoint"),
        },
    },
)

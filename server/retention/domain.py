"""The retention domain's declaration: churn rules, segments and retention tasks."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "retention",
    blueprints=("retention.views:bp",),
    cli=("retention.commands:retention_cli",),
    sync="retention.sync",
    labels={
        "churn_tendency": {
            "high": _l("High churn tendency"),
            "medium": _l("Medium churn tendency"),
            "low": _l("Low churn tendency"),
            "unrated": _l("Not rated"),
        },
        "bundling": {
            "single": _l("Single product"),
            "bundled": _l("Bundled"),
            "none": _l("No billing figures"),
        },
        "churn_rule": {
            "arpu_drop": _l("ARPU down"),
            "usage_drop": _l("Usage minutes down"),
            "contract_end": _l("Contract ending"),
        },
        "segment_filter": {"tendency": _l("Churn tendency"), "bundling": _l("Bundling")},
        "retention_outcome": {
            "retained": _l("Retained"),
            "downgraded": _l("Downgraded"),
            "lost": _l("Lost"),
            "won_back": _l("Won back"),
        },
    },
)

"""The care domain's declaration: customer care: birthdays, key dates, holidays."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "care",
    blueprints=("care.views:bp",),
    cli=("care.commands:care_cli",),
    sync="care.sync",
    labels={
        "care_kind": {
            "birthday": _l("Birthday"),
            "key_date": _l("Key date"),
            "anniversary": _l("Company anniversary"),
            "holiday": _l("Public holiday"),
        },
        "care_how": {
            "visit": _l("Visit"),
            "call": _l("Call"),
            "message": _l("Message"),
            "gift": _l("Gift"),
        },
    },
)

"""The inspections domain: checklist templates, their evaluation and inspection plans."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "inspections",
    blueprints=("inspections.views:bp",),
    cli=("inspections.commands:plans_cli",),
    unreplicated=("inspection_plan",),
    labels={
        "checklist_kind": {
            "pass_fail": _l("Pass / fail"),
            "reading": _l("Reading"),
            "choice": _l("Choice"),
            "text": _l("Text"),
            "photo": _l("Photo"),
        },
    },
)

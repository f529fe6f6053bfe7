"""The appointments domain's declaration: appointments (planned visits with customers)."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "appointments",
    blueprints=("appointments.views:bp",),
    sync="appointments.sync",
    labels={
        "appointment_status": {
            "open": _l("Open"),
            "planned": _l("Planned"),
            "done": _l("Done"),
            "cancelled": _l("Cancelled"),
        },
    },
)

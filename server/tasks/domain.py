"""The tasks domain's declaration: tasks given to account managers."""

from flask_babel import lazy_gettext as _l

from ..domain import Domain

DOMAIN = Domain(
    "tasks",
    blueprints=("tasks.views:bp",),
    sync="tasks.sync",
    labels={
        "task_kind": {
            "class_coverage": _l("Visit every customer of a class"),
            "promotion": _l("Present to N customers"),
            "free_text": _l("Other task"),
        },
        "task_state": {
            "open": _l("Open"),
            "done": _l("Done"),
            "overdue": _l("Overdue"),
            "cancelled": _l("Cancelled"),
        },
    },
)

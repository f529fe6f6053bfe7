"""The reports domain's declaration: reports and their PDF batches."""

from ..domain import Domain

DOMAIN = Domain(
    "reports",
    blueprints=("reports.views:bp",),
    cli=("reports.commands:reports_cli",),
)

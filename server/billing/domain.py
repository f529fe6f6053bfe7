"""The billing domain's declaration: billing figures import."""

from ..domain import Domain

DOMAIN = Domain(
    "billing",
    blueprints=("billing.views:bp",),
    cli=("billing.commands:billing_cli",),
)

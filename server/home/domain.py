"""The home domain's declaration: the start page and the health check."""

from ..domain import Domain

DOMAIN = Domain(
    "home",
    blueprints=("home.views:bp",),
)

"""The statistics domain's declaration: statistics screens."""

from ..domain import Domain

DOMAIN = Domain(
    "statistics",
    blueprints=("statistics.views:bp",),
)

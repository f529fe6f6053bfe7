"""The imports domain's declaration: cSV imports and exports of master data."""

from ..domain import Domain

DOMAIN = Domain(
    "imports",
    blueprints=("imports.views:bp",),
)

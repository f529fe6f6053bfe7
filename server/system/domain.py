"""The system domain's declaration: /metrics and the admin's System page (/admin/system)."""

from ..domain import Domain

DOMAIN = Domain(
    "system",
    blueprints=("system.views:bp",),
)

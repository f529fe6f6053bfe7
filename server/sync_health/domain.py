"""The sync_health domain's declaration: devices' sync health."""

from ..domain import Domain

DOMAIN = Domain(
    "sync_health",
    blueprints=("sync_health.views:bp",),
)

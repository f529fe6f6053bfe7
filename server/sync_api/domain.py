"""The sync_api domain's declaration: the device sync API (push, pull, blobs)."""

from ..domain import Domain

DOMAIN = Domain(
    "sync_api",
    blueprints=("sync_api.views:bp", "sync_api.blobs:bp"),
)

"""The pwa domain's declaration: the field app (PWA) shell and its config."""

from ..domain import Domain

DOMAIN = Domain(
    "pwa",
    blueprints=("pwa.views:bp",),
)

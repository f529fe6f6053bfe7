"""The push domain's declaration: web Push subscriptions and preferences."""

from ..domain import Domain

DOMAIN = Domain(
    "push",
    blueprints=("push.views:bp",),
)

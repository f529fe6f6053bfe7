"""What the customers domain registers with the sync protocol: customers and contacts."""

from sync.registry import EntitySpec

from .. import scope


def register(registry) -> None:
    """Customers and their contacts replicate to the devices that may see them."""
    registry.entity(EntitySpec("customer", "customer", scope.customers))
    registry.entity(EntitySpec("contact", "contact", scope.contacts))

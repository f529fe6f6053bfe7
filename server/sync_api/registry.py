"""The one registry of synced entities and mutations, assembled from the domains."""

from sync import Registry


def build_registry() -> Registry:
    """Register every domain's entities (in pull order: parents first) and mutations."""
    from ..appointments import sync as appointments_sync
    from ..auth import sync as auth_sync
    from ..care import sync as care_sync
    from ..customers import sync as customers_sync
    from ..retention import sync as retention_sync
    from ..scores import sync as scores_sync
    from ..sync_keys import caller_keys
    from ..tasks import sync as tasks_sync
    from ..visits import sync as visits_sync
    from ..work_orders import sync as work_orders_sync

    registry = Registry()
    registry.caller_keys = caller_keys
    customers_sync.register(registry)
    visits_sync.register(registry)
    work_orders_sync.register(registry)
    tasks_sync.register(registry)
    appointments_sync.register(registry)
    scores_sync.register(registry)
    care_sync.register(registry)
    retention_sync.register(registry)
    auth_sync.register(registry)
    return registry

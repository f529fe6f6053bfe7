"""The one registry of synced entities and mutations, assembled from the domains."""

from sync import Registry


def build_registry() -> Registry:
    """Register every domain's entities and mutations, in the order of server/domains.py
    (which is the pull order: parents first)."""
    from ..domain import load
    from ..domains import DOMAINS
    from ..sync_keys import caller_keys

    registry = Registry()
    registry.caller_keys = caller_keys
    for domain in DOMAINS:
        if domain.sync:
            load(domain.sync).register(registry)
    return registry

"""The shape of a domain's declaration (server/<domain>/domain.py), read by server/domains.py.

A declaration imports nothing of its own domain: blueprints, CLI groups and the sync module
are named as "module:attribute" strings under `server` and imported when the app is built,
so reading the list of domains (labels, scope keys) never pulls in views or models.
"""

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Domain:
    """What one domain contributes.

    blueprints: "module:attribute" of each Flask blueprint, registered in this order.
    cli: "module:attribute" of each click command or group added to `flask --app server`.
    sync: the module whose `register(registry)` adds the domain's mutations and replicated
        entities, each EntitySpec with its scope-key function (`keys`, see server/sync_keys.py).
    unreplicated: versioned tables written through server/records.py that devices never
        pull: their changes are logged with no scope keys.
    labels: display names of the domain's enumerations, {kind: {value: lazy label}}.
    """

    name: str
    blueprints: tuple[str, ...] = ()
    cli: tuple[str, ...] = ()
    sync: str | None = None
    unreplicated: tuple[str, ...] = ()
    labels: dict = field(default_factory=dict)


def load(ref: str):
    """The object a "module:attribute" reference under `server` names, imported now."""
    module, _, attribute = ref.partition(":")
    found = importlib.import_module(f"{__package__}.{module}")
    return getattr(found, attribute) if attribute else found

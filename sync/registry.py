"""What domains register: mutation handlers and the entities a device replicates."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Held:
    """A handler's answer when the mutation was kept for a supervisor instead of applied."""

    kind: str  # "late_edit" or "conflict"
    reason: str
    conflict_id: str | None = None


@dataclass
class Context:
    """Everything a mutation handler may use. `caller` is the domain's own scope object."""

    db: Any
    user_id: str
    caller: Any
    client_id: str
    mutation_id: int
    name: str
    hlc: str
    base_version: int | None
    server_time: str
    device_time: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MutationSpec:
    name: str
    apply: Callable[[Context, dict], Any]
    doc: str


@dataclass(frozen=True)
class EntitySpec:
    """An entity replicated to devices: its table, who may see which rows, what to send.

    `scope(caller)` returns (sql_where, params) using the table name as alias; rows with a
    non-null `deleted_at` are sent as deletes. `keys(db, row)` returns the row's scope keys
    for the change log (sync.changes.log_change): who may hear of a change to it.
    `key_columns`, when given, are the only columns of the row that `keys` reads: a write
    that changes none of them keeps the row's keys, and they are not worked out twice.
    """

    name: str
    table: str
    scope: Callable[[Any], tuple[str, list]]
    exclude: tuple[str, ...] = ()
    doc: str = ""
    keys: Callable[[Any, dict], set[str]] | None = None
    key_columns: tuple[str, ...] | None = None


class Registry:
    """Mutations by name and entities in pull order (parents before children)."""

    def __init__(self):
        self.mutations: dict[str, MutationSpec] = {}
        self.entities: dict[str, EntitySpec] = {}
        # (db, caller) -> the scope keys whose changes reach them, or None for every change.
        self.caller_keys: Callable[[Any, Any], list[str] | None] = lambda db, caller: None

    def mutation(self, name: str):
        """Decorator: register `fn(ctx, args)` as the handler of mutation `name`."""

        def decorator(fn):
            if name in self.mutations:
                raise ValueError(f"mutation {name} registered twice")
            self.mutations[name] = MutationSpec(name, fn, (fn.__doc__ or "").strip())
            return fn

        return decorator

    def entity(self, spec: EntitySpec) -> None:
        """Register an entity devices replicate."""
        if spec.name in self.entities:
            raise ValueError(f"entity {spec.name} registered twice")
        self.entities[spec.name] = spec

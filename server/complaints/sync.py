"""What the complaints domain registers with sync: the `complaint` entity (its steps stay on
the server for now) and the mutations of mutations.py, what a field user records offline."""

from sync.registry import EntitySpec

from ..sync_keys import org_keys
from . import model


def complaint_keys(db, row: dict) -> set[str]:
    """A complaint's keys: its organisation, its account manager and its owner."""
    keys = org_keys(db, row["org_id"])
    keys.update(f"u:{row[who]}" for who in ("account_manager_id", "owner_id") if row.get(who))
    return keys


def register(registry) -> None:
    """Complaints replicate to their account manager, owner and supervisors."""
    registry.entity(
        EntitySpec(
            "complaint",
            "complaint",
            model.visible,
            exclude=("field_clock",),
            keys=complaint_keys,
            key_columns=("org_id", "account_manager_id", "owner_id"),
        )
    )
    from .mutations import MUTATIONS

    for name, handler in MUTATIONS.items():
        registry.mutation(name)(handler)

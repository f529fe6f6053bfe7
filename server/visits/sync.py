"""What the visits domain registers with the sync protocol."""

from sync.registry import EntitySpec

from .. import scope, sync_keys
from . import attachments, contacts_log, followups, mutations

MUTATIONS = {
    "visit.plan": mutations.plan,
    "visit.check_in": mutations.check_in,
    "visit.update": mutations.update,
    "visit.check_out": mutations.check_out,
    "visit.cancel": mutations.cancel,
    "visit.resubmit": mutations.resubmit,
    "visit.add_photo": attachments.add_photo,
    "visit.sign": attachments.sign,
    "visit.add_follow_up": attachments.add_follow_up,
    "visit.log_contact": contacts_log.log_contact,
    "follow_up.done": followups.done,
}


def _child_keys(db, row: dict) -> set[str]:
    """A photo's or follow-up's keys: its visit's."""
    return sync_keys.visit_keys(db, row["visit_id"])


def register(registry) -> None:
    """Register visit entities (pulled by devices) and mutations (pushed by them)."""
    registry.entity(
        EntitySpec(
            "visit",
            "visit",
            scope.visits,
            exclude=("field_clock",),
            keys=sync_keys.keys_of_visit,
            key_columns=("customer_id", "org_id", "account_manager_id"),
        )
    )
    registry.entity(
        EntitySpec(
            "visit_photo",
            "visit_photo",
            lambda c: scope.visit_children(c, "visit_photo"),
            keys=_child_keys,
            key_columns=("visit_id",),
        )
    )
    registry.entity(
        EntitySpec(
            "follow_up",
            "follow_up",
            lambda c: scope.visit_children(c, "follow_up"),
            exclude=("field_clock",),
            keys=_child_keys,
            key_columns=("visit_id",),
        )
    )
    for name, handler in MUTATIONS.items():
        registry.mutation(name)(handler)

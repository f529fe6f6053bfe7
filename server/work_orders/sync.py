"""What the work-orders domain registers with the sync protocol."""

from sync.registry import EntitySpec

from .. import scope, sync_keys
from . import inspection_mutations, mutations

MUTATIONS = {
    "work_order.accept": mutations.accept,
    "work_order.travel": mutations.travel,
    "work_order.arrive": mutations.arrive,
    "work_order.update": mutations.update,
    "work_order.resolve": mutations.resolve,
    "work_order.submit": mutations.submit,
    "work_order.add_photo": mutations.add_photo,
    "work_order.report_exception": mutations.report_exception,
    "inspection.answer": inspection_mutations.answer,
    "inspection.open_rectification": inspection_mutations.open_rectification,
}


def _field_staff(caller) -> tuple[str, list]:
    return ("1", []) if caller.role in ("technician", "supervisor", "admin") else ("0", [])


def _site_keys(db, row: dict) -> set[str]:
    """A site's keys: its organisation, its contractor and its customer's."""
    return (
        sync_keys.org_keys(db, row["org_id"])
        | sync_keys.org_keys(db, row.get("contractor_id"))
        | sync_keys.customer_keys(db, row.get("customer_id"))
    )


def _checklist_keys(db, row: dict) -> set[str]:
    return {sync_keys.CHECKLISTS}  # templates reach every technician and supervisor


def _child_keys(db, row: dict) -> set[str]:
    """An order event's, photo's or inspection answer's keys: its order's."""
    return sync_keys.order_keys(db, row["work_order_id"])


def register(registry) -> None:
    """Sites, checklists, orders and their children replicate to technicians' devices."""
    registry.entity(EntitySpec("site", "site", scope.sites, keys=_site_keys))
    for table in ("checklist_template", "checklist_item"):
        registry.entity(EntitySpec(table, table, _field_staff, keys=_checklist_keys))
    registry.entity(
        EntitySpec(
            "work_order",
            "work_order",
            scope.work_orders,
            exclude=("field_clock",),
            keys=sync_keys.keys_of_order,
            key_columns=("org_id", "assigned_org_id", "assignee_id", "reported_by"),
        )
    )
    for child in ("work_order_event", "work_order_photo", "inspection_answer"):
        registry.entity(
            EntitySpec(
                child,
                child,
                lambda c, t=child: scope.work_order_children(c, t),
                keys=_child_keys,
                key_columns=("work_order_id",),
            )
        )
    for name, handler in MUTATIONS.items():
        registry.mutation(name)(handler)

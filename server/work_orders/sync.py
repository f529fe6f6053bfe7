"""What the work-orders domain registers with the sync protocol."""

from sync.registry import EntitySpec

from .. import scope
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


def register(registry) -> None:
    """Sites, checklists, orders and their children replicate to technicians' devices."""
    registry.entity(EntitySpec("site", "site", scope.sites))
    registry.entity(EntitySpec("checklist_template", "checklist_template", _field_staff))
    registry.entity(EntitySpec("checklist_item", "checklist_item", _field_staff))
    registry.entity(
        EntitySpec("work_order", "work_order", scope.work_orders, exclude=("field_clock",))
    )
    for child in ("work_order_event", "work_order_photo", "inspection_answer"):
        registry.entity(
            EntitySpec(child, child, lambda c, t=child: scope.work_order_children(c, t))
        )
    for name, handler in MUTATIONS.items():
        registry.mutation(name)(handler)

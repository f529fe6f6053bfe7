"""What the customers domain registers with the sync protocol: customers and contacts, and
the field corrections of them (mutations.py).

Also the one check of a `customer_id` a device names in a mutation (visits, appointments).
"""

from sync import PermanentError
from sync import args as check
from sync.registry import EntitySpec

from .. import records, scope, sync_keys
from ..db import one


def customer_in_scope(ctx, args: dict, key: str = "customer_id") -> dict | None:
    """The customer `args[key]` names, if the caller may see it now.

    None when it was the caller's once (reassigned while the device was offline: the work
    is kept as a late edit). A customer that does not exist and one that was never the
    caller's get the same rejection, `unknown_customer`.
    """
    customer_id = check.uuid_id(args, key)
    where, params = scope.customers(ctx.caller)
    sql = f"SELECT * FROM customer WHERE id = ? AND {where}"
    customer = one(ctx.db, sql, [customer_id, *params])
    if customer is not None:
        return customer
    if records.once_held(ctx.db, "customer", customer_id, "account_manager_id", ctx.user_id):
        return None
    raise PermanentError("unknown_customer", "no such customer", arg=key)


def _contact_keys(db, row: dict) -> set[str]:
    return sync_keys.customer_keys(db, row["customer_id"])


def register(registry) -> None:
    """Customers and their contacts replicate to the devices that may see them."""
    from .mutations import MUTATIONS

    hidden = ("field_clock",)
    registry.entity(
        EntitySpec(
            "customer",
            "customer",
            scope.customers,
            exclude=hidden,
            keys=sync_keys.keys_of_customer,
        )
    )
    registry.entity(
        EntitySpec("contact", "contact", scope.contacts, exclude=hidden, keys=_contact_keys)
    )
    for name, handler in MUTATIONS.items():
        registry.mutation(name)(handler)

"""The two kinds of file the import engine reads and the exports write: customers and sites.

The columns are the same both ways, so an export re-imports unchanged.
"""

from .. import scope
from ..customers import model as customers
from ..sites import model as sites
from .engine import Reference, Spec

ORG_BY_CODE = "SELECT id FROM org WHERE code = ?"

CUSTOMER = Spec(
    kind="customer",
    table="customer",
    columns=(
        "code",
        "name",
        "industry",
        "handsets",
        "top500",
        "sla_grade",
        "class_override",
        "class_override_reason",
        "account_manager",
        "org",
        "address",
        "lat",
        "lon",
    ),
    references={
        "account_manager": Reference(
            "account_manager_id", "SELECT id FROM app_user WHERE username = ?", "unknown_user"
        ),
        "org": Reference("org_id", ORG_BY_CODE, "unknown_org"),
    },
    unique=("code", "name"),
    scope=scope.customers,
    validate=customers.validate,
    create=customers.create_customer,
    update=customers.update_customer,
)

SITE = Spec(
    kind="site",
    table="site",
    columns=(
        "code",
        "name",
        "site_type",
        "lat",
        "lon",
        "area",
        "address",
        "org",
        "contractor",
        "customer",
        "inspection_cycle_days",
    ),
    references={
        "org": Reference("org_id", ORG_BY_CODE, "unknown_org"),
        "contractor": Reference("contractor_id", ORG_BY_CODE, "unknown_org"),
        "customer": Reference(
            "customer_id",
            "SELECT id FROM customer WHERE code = ? AND deleted_at IS NULL",
            "unknown_customer",
        ),
    },
    unique=("code",),
    scope=scope.sites,
    validate=sites.validate,
    create=sites.create_site,
    update=sites.update_site,
)

SPECS = {spec.kind: spec for spec in (CUSTOMER, SITE)}

"""Site model: create and update with audit."""

from .. import fields, records, scope
from ..db import one
from ..scope import Caller

SITE_TYPES = ("base_station", "customer_premises", "line_endpoint")


def create_site(db, actor_id, **values) -> dict:
    """Create a site."""
    return records.insert(db, "site", values, actor_id)


def update_site(db, actor_id, site_id: str, changes: dict) -> dict:
    """Update a site's fields."""
    return records.update(db, "site", site_id, changes, actor_id)


DEFAULT_CYCLE_DAYS = 90


def validate(db, caller: Caller, data: dict) -> tuple[dict, dict]:
    """Check a site form or import row (data["id"] set when editing); return (clean, errors).

    The organisation and the customer (optional) must be in the caller's scope; the
    contractor (optional) must be a contractor organisation; the inspection cycle is a
    positive number of days (empty: 90).
    """
    errors: dict = {}
    clean = {key: fields.text(data, key) for key in ("code", "name", "site_type", "area")}
    clean["address"] = fields.text(data, "address")
    fields.required_unique(db, "site", clean, errors, ("code",), data.get("id"))
    if not clean["name"]:
        errors["name"] = "required"
    fields.choice(clean, errors, "site_type", SITE_TYPES)
    fields.coordinates(data, clean, errors)
    before = fields.stored(db, "site", data)
    clean["org_id"] = fields.org_in_scope(db, caller, data, errors, before.get("org_id"))
    clean["contractor_id"] = _contractor(db, caller, data, errors, before.get("contractor_id"))
    clean["customer_id"] = fields.reference(
        db,
        data,
        "customer_id",
        errors,
        exists="SELECT id FROM customer WHERE customer.id = ? AND deleted_at IS NULL",
        in_scope=scope.customers(caller),
        unknown="unknown_customer",
        current=before.get("customer_id"),
    )
    clean["inspection_cycle_days"] = fields.integer(
        data, "inspection_cycle_days", errors, minimum=1, default=DEFAULT_CYCLE_DAYS
    )
    return clean, errors


def _contractor(db, caller: Caller, data: dict, errors: dict, current=None) -> str | None:
    """The contractor named: one the caller may see (scope.contractors), or the site's
    current one (an edit or import that keeps it is not refused). Another branch's
    contractor is answered like a missing id; one of the caller's own organisations that is
    no contractor is `not_contractor`."""
    org_id = fields.text(data, "contractor_id") or None
    if org_id is None or org_id == current:
        return org_id
    where, params = scope.contractors(caller)
    if one(db, f"SELECT id FROM org WHERE id = ? AND {where}", [org_id, *params]):
        return org_id
    where, params = scope.orgs(caller)
    own = one(db, f"SELECT kind FROM org WHERE id = ? AND {where}", [org_id, *params])
    errors["contractor_id"] = "not_contractor" if own else "unknown_org"
    return org_id


LIST_SQL = """
    SELECT site.*, org.code AS org, org.name AS org_name,
           k.code AS contractor, k.name AS contractor_name,
           customer.code AS customer, customer.name AS customer_name
    FROM site
    JOIN org ON org.id = site.org_id
    LEFT JOIN org k ON k.id = site.contractor_id
    LEFT JOIN customer ON customer.id = site.customer_id
    WHERE site.deleted_at IS NULL
"""


def query(caller: Caller, q: str = "", site_type: str = "", contractor_id: str = ""):
    """(sql, params) for the sites the caller may see, matching a search and filters.

    The search matches name, code and area; filters are exact.
    """
    where, params = scope.sites(caller)
    extra, more = fields.matching(
        q,
        ("site.name", "site.code", "site.area"),
        {"site.site_type": site_type, "site.contractor_id": contractor_id},
    )
    return f"{LIST_SQL} AND {where}{extra}", [*params, *more]


def detail_query(caller: Caller, site_id: str):
    """(sql, params, scope clause) for one site, for scoped_one_or_404."""
    return f"{LIST_SQL} AND site.id = ?", [site_id], scope.sites(caller)

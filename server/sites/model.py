"""Site model: create and update with audit."""

from .. import records

SITE_TYPES = ("base_station", "customer_premises", "line_endpoint")


def create_site(db, actor_id, **values) -> dict:
    """Create a site."""
    return records.insert(db, "site", values, actor_id)


def update_site(db, actor_id, site_id: str, changes: dict) -> dict:
    """Update a site's fields."""
    return records.update(db, "site", site_id, changes, actor_id)

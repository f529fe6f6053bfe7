"""What the visit, repair and inspection reports print, read from a record already fetched
through the caller's scope (the page's own query). Each builder returns the template context
and the set of blobs (photos, signature) the report may embed.
"""

from ..db import one, rows
from ..ids import now_utc
from ..visits import listing
from ..visits import model as visits
from ..work_orders import detail, sla

INSPECTION_TYPES = ("inspection",)


def org_chain(db, org_id: str) -> list[str]:
    """Names of the organisation and everything above it, province first (the header)."""
    org = one(db, "SELECT path FROM org WHERE id = ?", [org_id])
    ids = [part for part in (org["path"] if org else "").split("/") if part]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    found = rows(db, f"SELECT id, name FROM org WHERE id IN ({marks})", ids)
    names = {r["id"]: r["name"] for r in found}
    return [names[i] for i in ids if i in names]


def stamp(db, kind: str, record_id: str, version, org_id: str) -> dict:
    """The header and footer facts that trace a printed page back to its record."""
    return dict(kind=kind, id=record_id, version=version, orgs=org_chain(db, org_id), at=now_utc())


def _complete(photo_rows: list[dict]) -> list[dict]:
    return [p for p in photo_rows if p["blob_state"] == "complete"]


def visit_report(db, visit: dict) -> tuple[dict, set[str]]:
    """A visit (from visits.listing.detail_query) with everything its report prints."""
    photos = visits.photos(db, visit["id"])
    signature = visit["signature_sha256"] and listing.attached(
        db, visit, visit["signature_sha256"]
    )
    blobs = {p["sha256"] for p in _complete(photos)}
    if signature:
        blobs.add(visit["signature_sha256"])
    context = dict(
        record=stamp(db, "visit", visit["id"], visit["version"], visit["org_id"]),
        visit=visit,
        times=listing.times(visit),
        flags=listing.flags(visit["check_in_flag"]),
        contacts_met=listing.contacts_met(db, visit),
        follow_ups=visits.follow_ups(db, visit["id"]),
        photos=photos,
        signature=bool(signature),
    )
    return context, blobs


def work_order_report(db, order: dict) -> tuple[str, dict, set[str]]:
    """An order (from work_orders.detail.DETAIL_SQL) as a repair or an inspection report:
    (template, context, blobs)."""
    photos = detail.photos(db, order["id"])
    answers = detail.answers(db, order)
    blobs = {p["sha256"] for stage in photos.values() for p in _complete(stage)}
    customer = order["customer_id"] and one(
        db, "SELECT code, name FROM customer WHERE id = ?", [order["customer_id"]]
    )
    context = dict(
        record=stamp(db, "work_order", order["id"], order["version"], order["org_id"]),
        order=order,
        customer=customer or None,
        clocks=sla.state(order, now_utc()),
        timeline=detail.timeline(db, order["id"]),
        photos=photos,
        parts=detail.parts(order),
        answers=answers,
        failed=[a for a in answers if a["answer"] and not a["answer"]["passed"]],
    )
    inspection = order["wo_type"] in INSPECTION_TYPES
    return f"reports/{'inspection' if inspection else 'repair'}.html", context, blobs

"""Customer model: the A/B/C class rule, create and update with audit."""

from .. import records

GRADES = ("diamond", "gold", "silver", "bronze", "standard")
CLASSES = ("A", "B", "C")

# Industries that make a customer class A whatever its size (DOMAIN.md: government, party,
# military, media and the key industries).
CLASS_A_INDUSTRIES = frozenset(
    {
        "government",
        "party",
        "military",
        "media",
        "telecom",
        "post",
        "bank",
        "power",
        "water",
        "gas",
        "highway",
        "airport",
        "railway",
    }
)
CLASS_B_INDUSTRIES = frozenset({"securities", "insurance"})
A_HANDSETS = 500
B_HANDSETS = 100


def compute_class(handsets: int, industry: str, top500: bool = False) -> str:
    """The customer class from handset count and industry.

    A: 500 or more handsets, a top-500 tax payer, or a class-A industry.
    B: 100–499 handsets, or securities and insurance.
    C: everyone else (10–99 handsets, and smaller).
    """
    if handsets >= A_HANDSETS or top500 or industry in CLASS_A_INDUSTRIES:
        return "A"
    if handsets >= B_HANDSETS or industry in CLASS_B_INDUSTRIES:
        return "B"
    return "C"


def effective_class(computed: str, override: str | None) -> str:
    """A manual override wins over the computed class."""
    return override or computed


def _classify(values: dict) -> dict:
    computed = compute_class(
        int(values.get("handsets") or 0),
        values.get("industry") or "other",
        bool(values.get("top500")),
    )
    override = values.get("class_override") or None
    return {
        "computed_class": computed,
        "class_override": override,
        "class_override_reason": values.get("class_override_reason") if override else None,
        "customer_class": effective_class(computed, override),
    }


def create_customer(db, actor_id, **values) -> dict:
    """Create a customer; the class is computed (or overridden with a reason)."""
    values = dict(values)
    values.setdefault("industry", "other")
    values.setdefault("handsets", 0)
    values["top500"] = 1 if values.get("top500") else 0
    values.update(_classify(values))
    return records.insert(db, "customer", values, actor_id)


def update_customer(db, actor_id, customer_id: str, changes: dict) -> dict:
    """Update a customer; the class is recomputed from the merged values."""
    current = records.get(db, "customer", customer_id)
    merged = {**current, **changes}
    merged["top500"] = 1 if merged.get("top500") else 0
    changes = {**changes, "top500": merged["top500"], **_classify(merged)}
    return records.update(db, "customer", customer_id, changes, actor_id)

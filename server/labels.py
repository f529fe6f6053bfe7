"""Display names of the trade's enumerations, translated. Identifiers stay English."""

from flask_babel import lazy_gettext as _l

LABELS = {
    "role": {
        "account_manager": _l("Account manager"),
        "technician": _l("Technician"),
        "supervisor": _l("Supervisor"),
        "admin": _l("Administrator"),
    },
    "org_kind": {
        "province": _l("Province company"),
        "city": _l("City branch"),
        "district": _l("District unit"),
        "team": _l("Team"),
        "contractor": _l("Contractor"),
    },
    "sla_grade": {
        "diamond": _l("Diamond"),
        "gold": _l("Gold"),
        "silver": _l("Silver"),
        "bronze": _l("Bronze"),
        "standard": _l("Standard"),
    },
    "customer_class": {"A": _l("Class A"), "B": _l("Class B"), "C": _l("Class C")},
    "site_type": {
        "base_station": _l("Base station"),
        "customer_premises": _l("Customer premises"),
        "line_endpoint": _l("Line endpoint"),
    },
    "industry": {
        "government": _l("Government"),
        "party": _l("Party organ"),
        "military": _l("Military"),
        "media": _l("Media"),
        "telecom": _l("Telecom"),
        "post": _l("Post"),
        "bank": _l("Bank"),
        "power": _l("Power"),
        "water": _l("Water"),
        "gas": _l("Gas"),
        "highway": _l("Highway"),
        "airport": _l("Airport"),
        "railway": _l("Railway"),
        "securities": _l("Securities"),
        "insurance": _l("Insurance"),
        "manufacturing": _l("Manufacturing"),
        "retail": _l("Retail"),
        "education": _l("Education"),
        "healthcare": _l("Healthcare"),
        "hospitality": _l("Hospitality"),
        "logistics": _l("Logistics"),
        "technology": _l("Technology"),
        "real_estate": _l("Real estate"),
        "other": _l("Other"),
    },
}


def label(value, kind: str) -> str:
    """Template filter: the translated display name of an enumeration value."""
    if value is None:
        return ""
    found = LABELS.get(kind, {}).get(value)
    return str(found) if found is not None else str(value)


def choices(kind: str) -> list[tuple[str, str]]:
    """(value, display name) pairs for a select box."""
    return [(k, str(v)) for k, v in LABELS[kind].items()]

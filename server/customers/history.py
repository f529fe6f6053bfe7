"""Who changed what on a customer and its contacts, read from the audit log.

Every write of a customer or contact (web form, device mutation, review desk) leaves an
audit entry with the whole row before and after (server/records.py); the customer page
lists the fields each write changed, old → new, with who and when. Phone numbers are shown
masked, as everywhere they are listed (server/privacy/phones.py).
"""

import json

from ..db import rows
from ..labels import label
from ..privacy.phones import mask

SHOWN = (
    "name",
    "title",
    "phone",
    "email",
    "birthday",
    "key_dates",
    "notes",
    "code",
    "industry",
    "handsets",
    "top500",
    "class_override",
    "class_override_reason",
    "customer_class",
    "sla_grade",
    "account_manager_id",
    "org_id",
    "address",
    "founded_on",
    "lat",
    "lon",
    "location_accuracy",
    "located_at",
)
LIMIT = 50
ENUMS = {
    "sla_grade": "sla_grade",
    "industry": "industry",
    "customer_class": "customer_class",
    "class_override": "customer_class",
}


def _loads(text):
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def _key_dates(value) -> str:
    entries = _loads(value) if isinstance(value, str) else value or []
    if not isinstance(entries, list):
        return str(value)
    return "; ".join(
        f"{e.get('label', '')} {e.get('date', '')}" for e in entries if isinstance(e, dict)
    )


def _shown(db, name: str, value, names: dict):
    if value is None or value == "":
        return ""
    if name == "phone":
        return mask(str(value))
    if name == "key_dates":
        return _key_dates(value)
    if name in ("account_manager_id", "org_id"):
        return names.get(value, value)
    if name in ENUMS:
        return label(value, ENUMS[name])
    return str(value)


def _names(db) -> dict:
    users = rows(db, "SELECT id, display_name AS name FROM app_user")
    orgs = rows(db, "SELECT id, name FROM org")
    return {r["id"]: r["name"] for r in [*users, *orgs]}


def changes(db, customer_id: str, limit: int = LIMIT) -> list[dict]:
    """The latest writes of the customer and its contacts, newest first: each with at, who,
    action, entity, the contact's name, and `fields`: (name, old, new) of what changed."""
    found = rows(
        db,
        "SELECT a.*, u.display_name AS who FROM audit_log a"
        " LEFT JOIN app_user u ON u.id = a.user_id"
        " WHERE (a.entity = 'customer' AND a.entity_id = ?)"
        " OR (a.entity = 'contact' AND a.entity_id IN"
        " (SELECT id FROM contact WHERE customer_id = ?))"
        " ORDER BY a.id DESC LIMIT ?",
        [customer_id, customer_id, limit],
    )
    names = _names(db) if found else {}
    out = []
    for entry in found:
        before, after = _loads(entry["before"]), _loads(entry["after"])
        fields = []
        if entry["action"] not in ("create", "delete"):
            for name in SHOWN:
                old, new = before.get(name), after.get(name)
                if old != new and not (old in (None, "") and new in (None, "")):
                    fields.append(
                        (name, _shown(db, name, old, names), _shown(db, name, new, names))
                    )
            if not fields:
                continue
        out.append(
            {
                "at": entry["at"],
                "who": entry["who"] or "",
                "action": entry["action"],
                "entity": entry["entity"],
                "contact": (after or before).get("name") if entry["entity"] == "contact" else "",
                "fields": fields,
            }
        )
    return out

"""Checklist templates: one line of versions per site type, each version with its own items.

A template is never edited in place: `new_version` writes a new template row (the next
version of its site type) with its own copy of the items and retires the old one
(active = 0). Orders keep pointing at the version they were created with, so an answered
checklist always reads against the items it was answered on.
"""

import json

from .. import records
from ..db import one, rows
from ..sites.model import SITE_TYPES
from .defaults import DEFAULTS

ITEM_KINDS = ("pass_fail", "reading", "choice", "text", "photo")
ITEM_FIELDS = (
    "label",
    "kind",
    "unit",
    "min_value",
    "max_value",
    "choices",
    "failing_choices",
    "photo_required",
)


class ChecklistError(ValueError):
    """Items that do not validate; `errors` maps "<index>.<field>" to an error code."""

    def __init__(self, errors: dict):
        super().__init__(f"invalid checklist: {errors}")
        self.errors = errors


def _number(value, key: str, errors: dict):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors[key] = "invalid_number"
        return None


def _word_list(value) -> list[str]:
    """A list of choices from a list, a JSON list, or text split on commas (，too)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return _word_list(json.loads(text))
        value = text.replace("，", ",").split(",")
    return [str(word).strip() for word in value if str(word).strip()]


def validate_item(item: dict, prefix: str, errors: dict) -> dict:
    """Check one item; errors go under "<prefix>.<field>". Return the clean item."""
    clean = {
        "label": str(item.get("label") or "").strip(),
        "kind": str(item.get("kind") or "").strip(),
        "unit": str(item.get("unit") or "").strip(),
        "min_value": _number(item.get("min_value"), f"{prefix}.min_value", errors),
        "max_value": _number(item.get("max_value"), f"{prefix}.max_value", errors),
        "choices": _word_list(item.get("choices")),
        "failing_choices": _word_list(item.get("failing_choices")),
        "photo_required": 1 if item.get("photo_required") in (1, True, "1", "on") else 0,
    }
    if not clean["label"]:
        errors[f"{prefix}.label"] = "required"
    if clean["kind"] not in ITEM_KINDS:
        errors[f"{prefix}.kind"] = "invalid_choice" if clean["kind"] else "required"
    if clean["kind"] == "reading":
        if not clean["unit"]:
            errors[f"{prefix}.unit"] = "reading_needs_unit"
        low, high = clean["min_value"], clean["max_value"]
        if low is not None and high is not None and low > high:
            errors[f"{prefix}.max_value"] = "min_above_max"
    if clean["kind"] == "choice":
        if not clean["choices"]:
            errors[f"{prefix}.choices"] = "choices_required"
        elif not set(clean["failing_choices"]) <= set(clean["choices"]):
            errors[f"{prefix}.failing_choices"] = "failing_not_in_choices"
    return clean


def validate_items(items: list[dict]) -> tuple[list[dict], dict]:
    """Check a checklist's items; return (clean items, errors keyed "<index>.<field>").

    Rules: a label is required; the kind is one of ITEM_KINDS; a reading needs a unit and,
    when both bounds are given, min <= max; a choice needs choices, and its failing choices
    must be among them. A checklist needs at least one item.
    """
    errors: dict = {}
    clean = [validate_item(item, str(index), errors) for index, item in enumerate(items)]
    if not clean:
        errors["items"] = "no_items"
    return clean, errors


def _next_version(db, site_type: str) -> int:
    found = db.execute(
        "SELECT max(template_version) FROM checklist_template WHERE site_type = ?", [site_type]
    ).fetchone()[0]
    return (found or 0) + 1


def _write(db, actor_id, site_type: str, name: str, items: list[dict], new_id=None) -> dict:
    clean, errors = validate_items(items)
    if site_type not in SITE_TYPES:
        errors["site_type"] = "invalid_choice"
    if not name.strip():
        errors["name"] = "required"
    if errors:
        raise ChecklistError(errors)
    with db.atomic():
        for old in rows(
            db, "SELECT id FROM checklist_template WHERE site_type = ? AND active = 1", [site_type]
        ):
            records.update(db, "checklist_template", old["id"], {"active": 0}, actor_id)
        values = dict(
            site_type=site_type,
            template_version=_next_version(db, site_type),
            name=name.strip(),
            active=1,
        )
        if new_id:  # given ids (the demo seed's, so the same seed gives the same rows)
            values["id"] = new_id()
        template = records.insert(db, "checklist_template", values, actor_id)
        for position, item in enumerate(clean, start=1):
            row = dict(item, template_id=template["id"], position=position)
            if new_id:
                row["id"] = new_id()
            records.insert(db, "checklist_item", row, actor_id)
    return {**template, "items": items_of(db, template["id"])}


def create_template(
    db, actor_id, site_type: str, name: str, items: list[dict], new_id=None
) -> dict:
    """Create the next (current) checklist version of a site type; raise ChecklistError.
    `new_id` (optional) makes the ids of the template and its items."""
    return _write(db, actor_id, site_type, name, items, new_id)


def new_version(db, actor_id, template_id: str, items: list[dict], name=None) -> dict:
    """Write a new version of a template's site type with these items; retire the old one."""
    old = records.get(db, "checklist_template", template_id)
    if old is None:
        raise LookupError(f"checklist_template {template_id} not found")
    return _write(db, actor_id, old["site_type"], name or old["name"], items)


def template(db, template_id: str) -> dict | None:
    """One template version by id."""
    return one(
        db,
        "SELECT * FROM checklist_template WHERE id = ? AND deleted_at IS NULL",
        [template_id],
    )


def current_template(db, site_type: str) -> dict | None:
    """The active template of a site type (the highest active version), or None."""
    return one(
        db,
        "SELECT * FROM checklist_template WHERE site_type = ? AND active = 1"
        " AND deleted_at IS NULL ORDER BY template_version DESC LIMIT 1",
        [site_type],
    )


def items_of(db, template_id: str) -> list[dict]:
    """A template's items in order, with choices and failing_choices as lists."""
    found = rows(
        db,
        "SELECT * FROM checklist_item WHERE template_id = ? AND deleted_at IS NULL"
        " ORDER BY position",
        [template_id],
    )
    for item in found:
        item["choices"] = json.loads(item["choices"] or "[]")
        item["failing_choices"] = json.loads(item["failing_choices"] or "[]")
    return found


items = items_of  # the name the issue uses; `items` is also a common local variable name


def templates(db) -> list[dict]:
    """Every template version, by site type then newest first, with its item count."""
    return rows(
        db,
        "SELECT t.*, (SELECT count(*) FROM checklist_item i WHERE i.template_id = t.id"
        " AND i.deleted_at IS NULL) AS item_count FROM checklist_template t"
        " WHERE t.deleted_at IS NULL ORDER BY t.site_type, t.template_version DESC",
    )


def editable(item: dict) -> dict:
    """An item as form values (choices joined by commas), for editing into a new version."""
    return {
        **{key: item.get(key) for key in ITEM_FIELDS},
        "choices": ", ".join(item.get("choices") or []),
        "failing_choices": ", ".join(item.get("failing_choices") or []),
    }


def ensure_default_templates(db, actor_id=None, new_id=None) -> list[dict]:
    """Create the default checklist of every site type that has no template yet (`new_id`:
    as in create_template)."""
    created = []
    for site_type, (name, default_items) in DEFAULTS.items():
        if one(db, "SELECT id FROM checklist_template WHERE site_type = ?", [site_type]):
            continue
        created.append(create_template(db, actor_id, site_type, name, default_items, new_id))
    return created

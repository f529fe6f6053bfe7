"""Organisation tree model. Paths are materialised ("/root/child/") so a subtree is a range."""

from .. import records, scope
from ..db import one, rows
from ..ids import uuid7

KINDS = ("province", "city", "district", "team", "contractor")

# Which kind may sit under which parent kind (None: a root).
PARENT_KINDS = {
    "province": {None},
    "city": {"province"},
    "district": {"city"},
    "team": {"district", "contractor"},
    "contractor": {"province", "city"},
}


def validate(db, data: dict) -> tuple[dict, dict]:
    """Check an organisation's kind, code, name and parent; return (clean, errors)."""
    errors = {}
    clean = {
        "kind": (data.get("kind") or "").strip(),
        "code": (data.get("code") or "").strip(),
        "name": (data.get("name") or "").strip(),
        "parent_id": (data.get("parent_id") or "").strip() or None,
    }
    if clean["kind"] not in KINDS:
        errors["kind"] = "unknown_kind"
    if not clean["code"]:
        errors["code"] = "required"
    elif one(
        db,  # `id != NULL` is never true, so a new org compares against ""
        "SELECT id FROM org WHERE code = ? AND id != ?",
        [clean["code"], data.get("id") or ""],
    ):
        errors["code"] = "duplicate"
    if not clean["name"]:
        errors["name"] = "required"
    parent = get(db, clean["parent_id"]) if clean["parent_id"] else None
    if clean["parent_id"] and parent is None:
        errors["parent_id"] = "unknown_parent"
    elif clean["kind"] in KINDS:
        parent_kind = parent["kind"] if parent else None
        if parent_kind not in PARENT_KINDS[clean["kind"]]:
            errors["parent_id"] = "wrong_parent_kind"
    return clean, errors


def create(db, actor_id, *, kind, code, name, parent_id=None, id=None) -> dict:
    """Create an organisation under its parent, computing its path and depth."""
    org_id = id or uuid7()
    parent = get(db, parent_id) if parent_id else None
    path = (parent["path"] if parent else "/") + org_id + "/"
    depth = parent["depth"] + 1 if parent else 0
    values = dict(
        id=org_id, kind=kind, code=code, name=name, parent_id=parent_id, path=path, depth=depth
    )
    return records.insert(db, "org", values, actor_id)


def rename(db, actor_id, org_id: str, *, name: str, code: str) -> dict:
    """Change an organisation's name and code (its place in the tree stays)."""
    return records.update(db, "org", org_id, {"name": name, "code": code}, actor_id)


def get(db, org_id: str) -> dict | None:
    """One organisation by id, unscoped."""
    return one(db, "SELECT * FROM org WHERE id = ?", [org_id])


def tree(db, where: str = "1", params=()) -> list[dict]:
    """Organisations in depth-first order (by path), each with its depth for indenting."""
    return rows(db, f"SELECT * FROM org WHERE {where} ORDER BY path", params)


def contractors(db, caller) -> list[dict]:
    """The contractor organisations the caller may see (scope.contractors), by name."""
    where, params = scope.contractors(caller)
    return rows(db, f"SELECT * FROM org WHERE {where} ORDER BY name", params)


def by_code(db, code: str) -> dict | None:
    """One organisation by its code."""
    return one(db, "SELECT * FROM org WHERE code = ?", [code])

"""Users: create, authenticate, enable and disable, preferences."""

from .. import records, scope
from ..db import one, rows
from ..scope import Caller
from . import lockout, websessions
from .passwords import hash_password, password_problem, verify_password

ROLES = ("account_manager", "technician", "supervisor", "admin")
FIELD_ROLES = ("account_manager", "technician")
PICK_SQL = (
    "SELECT app_user.id, app_user.display_name, app_user.username, app_user.role,"
    " app_user.org_id, org.name AS org_name FROM app_user JOIN org ON org.id = app_user.org_id"
)


def people(db, caller: Caller, roles, *, active=False, by_org=False) -> list[dict]:
    """Users the caller may see (scope.users) with one of `roles`, to pick or filter by:
    only enabled ones when `active`; by name, or by organisation code then name (`by_org`)."""
    where, params = scope.users(caller)
    marks = ",".join("?" * len(roles))
    sql = f"{PICK_SQL} WHERE app_user.role IN ({marks}) AND {where}"
    sql += " AND app_user.active = 1" if active else ""
    order = "org.code, app_user.display_name" if by_org else "app_user.display_name"
    return rows(db, f"{sql} ORDER BY {order}", [*roles, *params])


def create_user(
    db,
    actor_id,
    *,
    username,
    display_name,
    role,
    org_id,
    password=None,
    password_hash=None,
    **extra,
) -> dict:
    """Create a user from a password, or from an argon2 hash made earlier (bulk demo data)."""
    if (password is None) == (password_hash is None):
        raise ValueError("give exactly one of password and password_hash")
    if password_hash is not None and not password_hash.startswith("$argon2"):
        raise ValueError("password_hash must be an argon2 hash")
    values = dict(
        username=username,
        display_name=display_name,
        role=role,
        org_id=org_id,
        password_hash=password_hash or hash_password(password),
        **extra,
    )
    return records.insert(db, "app_user", values, actor_id)


def validate(db, data: dict, *, new: bool) -> tuple[dict, dict]:
    """Check a user form; return (clean, errors). Passwords are required for new users only."""
    errors = {}
    clean = {
        k: (data.get(k) or "").strip()
        for k in ("username", "display_name", "role", "org_id", "phone", "email")
    }
    if not clean["username"]:
        errors["username"] = "required"
    elif one(
        db,
        "SELECT id FROM app_user WHERE username = ? AND id != ?",
        [clean["username"], data.get("id") or ""],
    ):
        errors["username"] = "duplicate"
    if not clean["display_name"]:
        errors["display_name"] = "required"
    if clean["role"] not in ROLES:
        errors["role"] = "unknown_role"
    org = one(db, "SELECT kind FROM org WHERE id = ?", [clean["org_id"]])
    if org is None:
        errors["org_id"] = "unknown_org"
    elif org["kind"] == "contractor" and clean["role"] in ("account_manager", "admin"):
        errors["org_id"] = "contractor_role"
    secret = data.get("password") or ""
    if new or secret:
        problem = password_problem(secret, clean["username"])
        if problem:
            errors["password"] = problem
        clean["password"] = secret
    return clean, errors


def authenticate(db, username: str, password: str) -> dict | None:
    """Return the active user whose password matches, else None."""
    user = one(db, "SELECT * FROM app_user WHERE username = ?", [username.strip()])
    ok = verify_password(user["password_hash"] if user else None, password)
    if not ok or not user or not user["active"]:
        return None
    return user


def set_active(db, actor_id, user_id: str, active: bool) -> dict:
    """Enable or disable a user. Disabling ends every session and revokes every device token."""
    changes = {"active": 1 if active else 0}
    with db.atomic():
        row = records.update(
            db, "app_user", user_id, changes, actor_id, "enable" if active else "disable"
        )
        if not active:
            _sign_out_everywhere(db, user_id, "disabled")
    return row


def set_password(
    db, actor_id, user_id: str, password: str, *, must_change: bool = False, reason: str
) -> dict:
    """Set a new password (`reason`: `changed` by the user, `reset` by an admin). Every
    session of the user ends and every device token is revoked: whoever knew the old password
    is signed out. `must_change`: the user must choose another at the next sign-in."""
    changes = {"password_hash": hash_password(password), "must_change_password": int(must_change)}
    with db.atomic():
        row = records.update(db, "app_user", user_id, changes, actor_id, "set_password")
        _sign_out_everywhere(db, user_id, f"password_{reason}")
        lockout.clear(db, row["username"])
    return row


def require_password_change(db, actor_id, user_id: str) -> dict:
    """Make the user choose a new password at their next sign-in (and before any page now)."""
    changes = {"must_change_password": 1}
    return records.update(db, "app_user", user_id, changes, actor_id, "require_password_change")


def _sign_out_everywhere(db, user_id: str, reason: str) -> None:
    """End the user's sessions and revoke their tokens (the caller's audit entry says why)."""
    from . import tokens

    websessions.end_all(db, user_id, reason)
    tokens.revoke_all(db, user_id)


def set_locale(db, user_id: str, locale: str) -> None:
    """Remember a user's language."""
    records.update(db, "app_user", user_id, {"locale": locale}, user_id, "set_locale")


def get(db, user_id: str) -> dict | None:
    """One user by id, unscoped."""
    return one(db, "SELECT * FROM app_user WHERE id = ?", [user_id])


def caller(db, user_id: str) -> Caller | None:
    """The scoping view of a user (joins their org's path and kind)."""
    row = one(
        db,
        "SELECT u.id, u.role, u.org_id, o.path, o.kind FROM app_user u"
        " JOIN org o ON o.id = u.org_id WHERE u.id = ?",
        [user_id],
    )
    if row is None:
        return None
    return Caller(row["id"], row["role"], row["org_id"], row["path"], row["kind"])


EDITABLE = ("display_name", "role", "org_id", "phone", "email")


def update_user(db, actor_id, user_id: str, values: dict) -> dict:
    """Change a user's display name, role, organisation, phone and email (blank: none)."""
    changes = {k: values.get(k) or None for k in EDITABLE}
    return records.update(db, "app_user", user_id, changes, actor_id)


def validate_password(data: dict, username: str) -> tuple[dict, dict]:
    """Check a new password from a reset form; return (clean, errors)."""
    secret = data.get("password") or ""
    problem = password_problem(secret, username)
    return {"password": secret}, {"password": problem} if problem else {}


def validate_change(db, user: dict, data: dict) -> tuple[dict, dict]:
    """Check a user's change of their own password: the current one, and the new one twice."""
    errors = {}
    if not verify_password(user["password_hash"], data.get("current_password") or ""):
        errors["current_password"] = "wrong_password"  # noqa: S105 - an error code
    clean, problems = validate_password(data, user["username"])
    errors |= problems
    if not problems and data.get("password_again") != clean["password"]:
        errors["password_again"] = "passwords_differ"  # noqa: S105 - an error code
    if not errors and verify_password(user["password_hash"], clean["password"]):
        errors["password"] = "password_unchanged"  # noqa: S105 - an error code
    return clean, errors

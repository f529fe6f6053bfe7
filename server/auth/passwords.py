"""Password hashing with argon2id, and the rule for new passwords (ASVS 5.0 §6.2)."""

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY = _hasher.hash("not a real password")

MIN_LENGTH = 8
# Long passphrases are welcome (ASVS asks to allow at least 64); the bound only keeps a
# form from feeding argon2 megabytes.
MAX_LENGTH = 128
# Usernames shorter than this are not looked for inside passwords ("li" is in too much).
MIN_USERNAME_IN_PASSWORD = 3
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash; constant work when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lowercased (server/auth/common_passwords.txt)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if not line.startswith("# "))


def password_problem(password: str, username: str = "") -> str | None:
    """The error code for a new password, or None when it may be used.

    The rule: 8 to 128 characters of anything (spaces, Chinese, emoji; no composition rules),
    not one of the bundled common passwords (compared ignoring case and surrounding spaces),
    and not containing the username (ignoring case)."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "password_too_long"
    if password.strip().lower() in common_passwords():
        return "password_too_common"
    name = username.strip().lower()
    if len(name) >= MIN_USERNAME_IN_PASSWORD and name in password.lower():
        return "password_has_username"
    return None

"""Passwords, hashed with argon2: for the API's authentication, `ocrmill users` and the console's user admin."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ocrmill.errors import BadRequest, WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 1000

_hasher = PasswordHasher()
UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")  # verified against for unknown users (same time)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def acceptable(password: str) -> str:
    """The password, if it may be set: WeakPassword (400) when shorter than MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password: must be at least {MIN_LENGTH} characters long (got {len(password)}).")
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"password: must be at most {MAX_LENGTH} characters long.")
    return password


def random_password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits

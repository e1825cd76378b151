"""Passwords, hashed with argon2: for the API's authentication, `ocrmill users` and the console's user admin."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")  # verified against for unknown users (same time)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

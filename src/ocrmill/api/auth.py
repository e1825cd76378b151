"""HTTP Basic authentication against the users table; passwords hashed with argon2."""

from __future__ import annotations

import base64
import binascii

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ocrmill.errors import Unauthorized
from ocrmill.service.principal import ANONYMOUS, Principal
from ocrmill.store import users
from ocrmill.store.db import Database

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Authenticator:
    def __init__(self, *, db: Database, enabled: bool) -> None:
        self.db = db
        self.enabled = enabled
        # Verified credentials, so that a client polling status does not pay for argon2 each time.
        self._cache: dict[str, tuple[str, Principal]] = {}

    def principal(self, authorization: str | None) -> Principal:
        if not self.enabled:
            return ANONYMOUS
        name, password = _credentials(authorization)
        with self.db.read() as session:
            user = users.get_user(session=session, name=name)
            if user is None:
                verify_password(_UNKNOWN_USER_HASH, password)  # the same work as for a known name
                raise Unauthorized("Unknown user name or wrong password.")
            principal = Principal(
                name=user.name,
                is_admin=user.is_admin,
                can_enum_folders=user.can_enum_folders,
                can_post_folders=user.can_post_folders,
            )
            password_hash = user.password_hash
        cached = self._cache.get(authorization or "")
        if cached is not None and cached[0] == password_hash:
            return principal
        if not verify_password(password_hash, password):
            raise Unauthorized("Unknown user name or wrong password.")
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[authorization or ""] = (password_hash, principal)
        return principal


def _credentials(authorization: str | None) -> tuple[str, str]:
    if not authorization or not authorization.lower().startswith("basic "):
        raise Unauthorized("This server requires HTTP Basic authentication.")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("Malformed Basic credentials.") from None
    name, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthorized("Malformed Basic credentials.")
    return name, password

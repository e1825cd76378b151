"""HTTP Basic authentication against the users table (passwords: service.passwords)."""

from __future__ import annotations

import base64
import binascii
import logging

from ocrmill.errors import Unauthorized
from ocrmill.service.passwords import UNKNOWN_USER_HASH, verify_password
from ocrmill.service.principal import ANONYMOUS, Principal
from ocrmill.store import users
from ocrmill.store.cache import ReadCache
from ocrmill.store.db import Database

log = logging.getLogger("ocrmill.auth")


class Authenticator:
    def __init__(self, *, db: Database, enabled: bool) -> None:
        self.db = db
        self.enabled = enabled
        self._users: ReadCache[str, tuple[Principal, str] | None] = ReadCache(db, self._read_user)
        # Verified credentials, so that a client polling status does not pay for argon2 each time.
        self._verified: dict[str, tuple[str, Principal]] = {}

    def principal(self, authorization: str | None, *, client: str = "") -> Principal:
        """Who sent the request (from `client`, an address for the log); Unauthorized if nobody known. May cost an
        argon2 verification. Failed sign-ins are logged with the user name and address, never the password."""
        if not self.enabled:
            return ANONYMOUS
        known = self.verified(authorization)
        if known is not None:
            return known
        try:
            name, password = _credentials(authorization)
        except Unauthorized as e:
            if authorization:  # no credentials at all is a request that did not try to sign in
                log.warning("failed sign-in from %s: %s", client or "?", e.message)
            raise
        user = self._users.get(name)
        if user is None:
            verify_password(UNKNOWN_USER_HASH, password)  # the same work as for a known name
            log.warning("failed sign-in of unknown user %r from %s", name, client or "?")
            raise Unauthorized("Unknown user name or wrong password.")
        principal, password_hash = user
        if not verify_password(password_hash, password):
            log.warning("failed sign-in of user %r from %s: wrong password", name, client or "?")
            raise Unauthorized("Unknown user name or wrong password.")
        if len(self._verified) > 1000:
            self._verified.clear()
        self._verified[authorization or ""] = (password_hash, principal)
        return principal

    def verified(self, authorization: str | None) -> Principal | None:
        """Who sent the request if these exact credentials were verified before and the user and
        password are unchanged since; None when that takes a verification. Cheap: no argon2."""
        if not self.enabled:
            return ANONYMOUS
        cached = self._verified.get(authorization or "")
        if cached is None:
            return None
        password_hash, principal = cached
        user = self._users.get(principal.name)
        if user is None or user[1] != password_hash:
            return None
        return user[0]

    def _read_user(self, name: str) -> tuple[Principal, str] | None:
        with self.db.read() as session:
            user = users.get_user(session=session, name=name)
            if user is None:
                return None
            principal = Principal(
                name=user.name,
                is_admin=user.is_admin,
                can_enum_folders=user.can_enum_folders,
                can_post_folders=user.can_post_folders,
            )
            return principal, user.password_hash


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

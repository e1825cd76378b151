"""HTTP Basic authentication against the users table (passwords: service.auth.passwords), and API tokens sent as
`Authorization: Bearer` (service.auth.tokens)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import logging
import secrets
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from ocrmill.config import Settings
from ocrmill.errors import TooManySignIns, Unauthorized
from ocrmill.service.auth.passwords import UNKNOWN_USER_HASH, Verifier
from ocrmill.service.auth.principal import ANONYMOUS, Principal
from ocrmill.service.auth.throttle import SignInThrottle
from ocrmill.service.auth.tokens import grant, token_hash
from ocrmill.store import users
from ocrmill.store.cache import ReadCache
from ocrmill.store.db import Database, utcnow

log = logging.getLogger("ocrmill.auth")


class Authenticator:
    """Who sent a request. Failed sign-ins are throttled (service.auth.throttle), argon2 runs a bounded number at
    once off the event loop (service.auth.passwords.Verifier), and a verified name and password is trusted for
    `cache_seconds` without argon2, as long as the user's password is unchanged."""

    def __init__(
        self,
        *,
        db: Database,
        enabled: bool,
        settings: Settings | None = None,
        lookup: Callable[[str], tuple[Principal, str] | None] | None = None,
        verifier: Verifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = settings or Settings()
        self.db = db
        self.enabled = enabled
        self.lookup = lookup or ReadCache(db, self._read_user).get
        self.verifier = verifier or Verifier(slots=settings.auth_verify_slots)
        self.throttle = SignInThrottle(
            allowed=settings.auth_failures_allowed,
            window=settings.auth_failure_window_seconds,
            lockout=settings.auth_lockout_seconds,
            lockout_max=settings.auth_lockout_max_seconds,
            clock=clock,
        )
        self.cache_seconds = settings.auth_cache_seconds
        self.clock = clock
        # (name, keyed hash of the password) -> (until, password hash it was verified against, principal); the
        # password itself is never kept
        self._verified: dict[tuple[str, bytes], tuple[float, str, Principal]] = {}
        self._key = secrets.token_bytes(32)

    async def principal(self, authorization: str | None, *, client: str = "") -> Principal:
        """Who sent the request (from `client`, the address): Unauthorized if nobody known, TooManySignIns while
        this name or address is refused. May cost an argon2 verification. Failed sign-ins are logged with the user
        name and address, never the password."""
        if not self.enabled:
            return ANONYMOUS
        if authorization and authorization[:7].lower() == "bearer ":
            return await self._bearer(authorization[7:].strip(), client=client)
        known = self.verified(authorization, client=client)
        if known is not None:
            return known
        try:
            name, password = _credentials(authorization)
        except Unauthorized as e:
            if authorization:  # no credentials at all is a request that did not try to sign in
                log.warning("failed sign-in from %s: %s", client or "?", e.message)
            raise
        try:
            self.throttle.begin(name, client)
        except TooManySignIns:
            log.warning("sign-in of user %r from %s refused: too many failed sign-ins", name, client or "?")
            raise
        success: bool | None = None
        try:
            user = await run_in_threadpool(self.lookup, name)
            if user is None:
                await self.verifier.verify(UNKNOWN_USER_HASH, password)  # the same work as for a known name
                success = False
                log.warning("failed sign-in of unknown user %r from %s", name, client or "?")
                raise Unauthorized("Unknown user name or wrong password.")
            principal, password_hash = user
            success = await self.verifier.verify(password_hash, password)
            if not success:
                log.warning("failed sign-in of user %r from %s: wrong password", name, client or "?")
                raise Unauthorized("Unknown user name or wrong password.")
        finally:
            locked = self.throttle.end(name, client, success=success)
            if locked:
                log.warning(
                    "sign-ins of user %r or from %s refused for %.0f s: too many failures", name, client, locked
                )
        self._remember(name, password, password_hash, principal)
        return principal

    async def _bearer(self, secret: str, *, client: str) -> Principal:
        """An API token's user, with the token's read-only flag. A token is a sha256 and an indexed lookup, no
        argon2; a wrong, revoked or expired one is a failed sign-in like a wrong password, throttled by address
        (and by the token, so that nobody's guesses lock out another's tokens)."""
        key = "token:" + token_hash(secret)[:16]  # the throttle's "user name": no user's name has a colon
        try:
            self.throttle.begin(key, client)
        except TooManySignIns:
            log.warning("sign-in with an API token from %s refused: too many failed sign-ins", client or "?")
            raise
        success: bool | None = None
        try:
            found = await run_in_threadpool(self._token_principal, secret)
            success = isinstance(found, Principal)
            if not isinstance(found, Principal):
                log.warning("failed sign-in with an API token from %s: %s", client or "?", found)
                raise Unauthorized("Unknown, revoked or expired API token.")
        finally:
            locked = self.throttle.end(key, client, success=success)
            if locked:
                log.warning("sign-ins with API tokens from %s refused for %.0f s: too many failures", client, locked)
        return found

    def _token_principal(self, secret: str) -> Principal | str:
        """The token's principal, or why there is none (for the log; never the secret)."""
        if not secret:
            return "no token after Bearer"
        found = grant(self.db, secret)
        if found is None:
            return "unknown or revoked token"
        if found.expires is not None and found.expires <= utcnow():
            return f"token {found.name!r} of user {found.user_name!r} expired"
        user = self.lookup(found.user_name)
        if user is None:
            return f"token {found.name!r} of removed user {found.user_name!r}"
        return dataclasses.replace(user[0], read_only=found.read_only)

    def verified(self, authorization: str | None, *, client: str = "") -> Principal | None:
        """Who sent the request if this name and password were verified in the last `cache_seconds`, the user's
        password is unchanged since and the name may sign in from `client` now; None when that takes a
        verification (or a refusal). Cheap: no argon2."""
        if not self.enabled:
            return ANONYMOUS
        try:
            name, password = _credentials(authorization)
        except Unauthorized:
            return None
        cached = self._verified.get((name, self._digest(password)))
        if cached is None or cached[0] < self.clock():
            return None
        # while refused, a cached password would answer guesses without argon2 and without a limit
        if self.throttle.refused(name, client) is not None:
            return None
        _, password_hash, _ = cached
        user = self.lookup(name)
        if user is None or user[1] != password_hash:
            return None
        return user[0]

    def _remember(self, name: str, password: str, password_hash: str, principal: Principal) -> None:
        if self.cache_seconds <= 0:
            return
        now = self.clock()
        if len(self._verified) >= 10_000:
            self._verified = {k: v for k, v in self._verified.items() if v[0] >= now}
            if len(self._verified) >= 10_000:
                self._verified.clear()
        self._verified[(name, self._digest(password))] = (now + self.cache_seconds, password_hash, principal)

    def _digest(self, password: str) -> bytes:
        return hmac.digest(self._key, password.encode("utf-8"), "sha256")

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

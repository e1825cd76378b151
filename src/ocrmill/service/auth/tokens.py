"""API tokens: a user's named secrets for scripts and integrations, sent as `Authorization: Bearer <token>`.

A token is 32 random bytes (256 bits), so the sha256 of it is all that is kept: argon2's slowness protects low-entropy
passwords against guessing from a stolen hash, but no amount of hashing speed makes 2^256 candidates searchable, and a
fast hash lets every request be checked with one indexed lookup instead of an argon2 verification.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocrmill.errors import BadRequest, Conflict, Forbidden, NotFound
from ocrmill.service.auth.principal import Principal
from ocrmill.store import tokens, users
from ocrmill.store.db import Database, utcnow
from ocrmill.store.tables import ApiToken

PREFIX = "ocm_"  # makes a leaked token recognisable (secret scanners, logs)
MAX_NAME = 200
MAX_DAYS = 36_500
# no control characters, no blank at either end (the console API's schema states the same pattern)
NAME_PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f](.*[^\s\x00-\x1f\x7f-\x9f])?$"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token's row says: whose it is and whether it may write."""

    user_name: str
    name: str
    read_only: bool
    expires: datetime | None


def public_token(token: ApiToken, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "name": token.name,
        "readOnly": token.read_only,
        "created": token.created.isoformat(),
        "expires": token.expires.isoformat() if token.expires else None,
        "expired": token.expires is not None and token.expires <= now,
    }


def valid_name(name: str) -> str:
    if len(name) > MAX_NAME or not re.fullmatch(NAME_PATTERN, name):
        raise BadRequest(f"A token name is 1 to {MAX_NAME} characters, no control characters nor blanks at either end.")
    return name


def expiry(days: int | None, *, now: datetime) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise BadRequest(f"A token expires in 1 to {MAX_DAYS} days.")
    return now + timedelta(days=days)


class TokenService:
    def __init__(self, *, db: Database) -> None:
        self.db = db

    def create(self, who: Principal, name: str, *, read_only: bool, expires_days: int | None) -> dict[str, Any]:
        """The new token, its secret included: the only time the secret is shown."""
        owner = _owner(who)
        name = valid_name(name)
        now = utcnow()
        secret = new_secret()
        with self.db.write() as session:
            if users.get_user(session=session, name=owner) is None:
                raise Forbidden("API tokens belong to users of the users table.")
            if tokens.get_token(session=session, user_name=owner, name=name) is not None:
                raise Conflict(f"You already have a token named {name!r}.")
            token = tokens.add_token(
                session=session,
                user_name=owner,
                name=name,
                token_hash=token_hash(secret),
                read_only=read_only,
                now=now,
                expires=expiry(expires_days, now=now),
            )
            return public_token(token, now=now) | {"token": secret}

    def list(self, who: Principal) -> list[dict[str, Any]]:
        if not who.name:
            return []
        now = utcnow()
        with self.db.read() as session:
            return [public_token(t, now=now) for t in tokens.list_tokens(session=session, user_name=who.name)]

    def revoke(self, who: Principal, name: str) -> dict[str, Any]:
        with self.db.write() as session:
            if not who.name or not tokens.remove_token(session=session, user_name=who.name, name=name):
                raise NotFound(f"You have no token named {name!r}.")
        return {"name": name, "revoked": True}


def grant(db: Database, secret: str) -> TokenGrant | None:
    """The token's grant, or None when no such token exists (revoked or never made); expiry is the caller's."""
    with db.read() as session:
        token = tokens.find_token(session=session, token_hash=token_hash(secret))
        if token is None:
            return None
        return TokenGrant(user_name=token.user_name, name=token.name, read_only=token.read_only, expires=token.expires)


def _owner(who: Principal) -> str:
    if not who.name:
        raise Forbidden("API tokens need authentication on: with it off there is no user to own them.")
    return who.name

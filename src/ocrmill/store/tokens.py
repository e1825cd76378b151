from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ocrmill.store.tables import ApiToken


def add_token(
    *,
    session: Session,
    user_name: str,
    name: str,
    token_hash: str,
    read_only: bool,
    now: datetime,
    expires: datetime | None,
) -> ApiToken:
    token = ApiToken(
        user_name=user_name, name=name, token_hash=token_hash, read_only=read_only, created=now, expires=expires
    )
    session.add(token)
    session.flush()
    return token


def get_token(*, session: Session, user_name: str, name: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.user_name == user_name, ApiToken.name == name))


def find_token(*, session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def list_tokens(*, session: Session, user_name: str) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_name == user_name).order_by(ApiToken.name)))


def remove_token(*, session: Session, user_name: str, name: str) -> bool:
    token = get_token(session=session, user_name=user_name, name=name)
    if token is None:
        return False
    session.delete(token)
    return True


def remove_user_tokens(*, session: Session, user_name: str) -> None:
    """SQLite does not enforce the foreign key's cascade (no PRAGMA foreign_keys), so a removed user's tokens go
    here, lest a later user of that name inherit them."""
    session.execute(delete(ApiToken).where(ApiToken.user_name == user_name))

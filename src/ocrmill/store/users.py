from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocrmill.store.tables import User
from ocrmill.store.tokens import remove_user_tokens


def get_user(*, session: Session, name: str) -> User | None:
    return session.get(User, name)


def any_user(*, session: Session) -> bool:
    return session.scalar(select(User.name).limit(1)) is not None


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def add_user(
    *,
    session: Session,
    name: str,
    password_hash: str,
    is_admin: bool,
    now: datetime,
    can_enum_folders: bool = False,
    can_post_folders: bool = False,
) -> User:
    user = User(
        name=name,
        password_hash=password_hash,
        is_admin=is_admin,
        can_enum_folders=can_enum_folders,
        can_post_folders=can_post_folders,
        created=now,
    )
    session.add(user)
    session.flush()
    return user


def remove_user(*, session: Session, name: str) -> bool:
    user = session.get(User, name)
    if user is None:
        return False
    remove_user_tokens(session=session, user_name=name)
    session.delete(user)
    return True

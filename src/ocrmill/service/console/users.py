"""User administration for the web console (admins only): the same table and hashing as `ocrmill users`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocrmill.errors import BadRequest, Conflict, Forbidden, NotFound
from ocrmill.service.auth.passwords import acceptable, hash_password
from ocrmill.service.auth.principal import Principal
from ocrmill.store import users
from ocrmill.store.db import Database, utcnow
from ocrmill.store.tables import User

MAX_NAME = 200


@dataclass(frozen=True)
class Rights:
    admin: bool = False
    enum_folders: bool = False
    post_folders: bool = False


class UserAdmin:
    def __init__(self, *, db: Database) -> None:
        self.db = db

    def list(self, who: Principal) -> list[dict[str, Any]]:
        _admin_only(who)
        with self.db.read() as session:
            return [public_user(u) for u in users.list_users(session=session)]

    def add(self, who: Principal, name: str, password: str, rights: Rights) -> dict[str, Any]:
        _admin_only(who)
        name = _valid_name(name)
        password_hash = hash_password(_valid_password(password))
        with self.db.write() as session:
            if users.get_user(session=session, name=name) is not None:
                raise Conflict(f"There is already a user named {name!r}.")
            user = users.add_user(
                session=session,
                name=name,
                password_hash=password_hash,
                is_admin=rights.admin,
                now=utcnow(),
                can_enum_folders=rights.enum_folders,
                can_post_folders=rights.post_folders,
            )
            return public_user(user)

    def set_rights(self, who: Principal, name: str, rights: Rights) -> dict[str, Any]:
        _admin_only(who)
        if name == who.name and not rights.admin:
            raise BadRequest("You cannot take away your own administrator right.")
        with self.db.write() as session:
            user = _existing(session.get(User, name), name)
            user.is_admin, user.can_enum_folders, user.can_post_folders = (
                rights.admin,
                rights.enum_folders,
                rights.post_folders,
            )
            return public_user(user)

    def set_password(self, who: Principal, name: str, password: str) -> dict[str, Any]:
        _admin_only(who)
        password_hash = hash_password(_valid_password(password))
        with self.db.write() as session:
            user = _existing(session.get(User, name), name)
            user.password_hash = password_hash
            return public_user(user)

    def remove(self, who: Principal, name: str) -> dict[str, Any]:
        _admin_only(who)
        if name == who.name:
            raise BadRequest("You cannot remove your own account.")
        with self.db.write() as session:
            user = _existing(session.get(User, name), name)
            shown = public_user(user)
            users.remove_user(session=session, name=name)
            return shown


def public_user(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "admin": user.is_admin,
        "enumFolders": user.can_enum_folders,
        "postFolders": user.can_post_folders,
        "created": user.created.astimezone().isoformat(),
    }


def _admin_only(who: Principal) -> None:
    if not who.is_admin:
        raise Forbidden("Only administrators can manage users.")


def _existing(user: User | None, name: str) -> User:
    if user is None:
        raise NotFound(f"There is no user named {name!r}.")
    return user


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise BadRequest("name: must not be empty.")
    if len(name) > MAX_NAME:
        raise BadRequest(f"name: must be at most {MAX_NAME} characters long.")
    if ":" in name or any(not c.isprintable() for c in name):
        raise BadRequest("name: must not contain a colon or control characters (HTTP Basic cannot carry them).")
    return name


def _valid_password(password: str) -> str:
    return acceptable(password)

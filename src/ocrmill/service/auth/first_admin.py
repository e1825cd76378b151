"""The first start with authentication on: an `admin` so that someone can sign in at all."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from ocrmill.service.auth.passwords import acceptable, hash_password, random_password
from ocrmill.store import users
from ocrmill.store.db import Database, utcnow

log = logging.getLogger("ocrmill.auth")

ADMIN_NAME = "admin"


def ensure_first_admin(*, db: Database, password: str | None) -> bool:
    """Adds the user `admin` when there is no user at all, with `password` (OCRMILL_ADMIN_PASSWORD) or a random
    one that is logged this once. Returns whether it did. WeakPassword when `password` is too short."""
    chosen = acceptable(password) if password else None
    with db.read() as session:
        if users.any_user(session=session):
            return False
    secret = chosen or random_password()
    try:
        with db.write() as session:
            if users.any_user(session=session):  # another server of the same database was quicker
                return False
            users.add_user(session=session, name=ADMIN_NAME, password_hash=hash_password(secret), is_admin=True,
                           now=utcnow())  # fmt: skip
    except IntegrityError:  # ... or added it between our check and our insert (PostgreSQL)
        return False
    if chosen:
        log.warning("no user existed: added the administrator %r with the password of OCRMILL_ADMIN_PASSWORD",
                    ADMIN_NAME)  # fmt: skip
    else:
        log.warning("no user existed: added the administrator %r with the password %s (shown only this once: sign "
                    "in and change it, or add users with `ocrmill users add`)", ADMIN_NAME, secret)  # fmt: skip
    return True

"""Alembic upgrade to the newest revision, run by `ocrmill migrate` and on every start of `serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from ocrmill.store.db import Database


def upgrade(db: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

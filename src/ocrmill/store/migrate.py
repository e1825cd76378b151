"""Alembic upgrade to the newest revision, run by `ocrmill migrate` and on every start of `serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from ocrmill.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(db: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def known_revision(revision: str) -> bool:
    """Whether `revision` is one of this version's migrations (a newer ocrmill's tables are not)."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    return any(script.revision == revision for script in scripts.walk_revisions())

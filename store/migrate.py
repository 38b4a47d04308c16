"""Alembic, driven from code so the migrations ship inside the package (no alembic.ini to find).

`deskapp db upgrade` calls `upgrade`; start-up calls `check_current` and refuses a database that
is behind, because running new code on an old schema corrupts data in ways nobody notices.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaBehindError(RuntimeError):
    """The database schema is older than this program."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def check_current(engine: Engine, command_hint: str = "deskapp db upgrade") -> None:
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        state = "has no desk schema yet" if current is None else f"is at revision {current}"
        raise SchemaBehindError(
            f"The database {state}; this program needs revision {head}. Run `{command_hint}` first."
        )

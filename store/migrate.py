"""Alembic, driven from code so the migrations ship inside the package (no alembic.ini to find).

`deskapp db upgrade` calls `upgrade`; start-up calls `check_current` and refuses a database that
is behind, because running new code on an old schema corrupts data in ways nobody notices.

Start-up does not import Alembic (about a tenth of a second, and it reads every migration
script): it compares the database's `alembic_version` with `HEAD`, the newest revision this
program ships, which `tests/store/test_migrations.py` holds to Alembic's own answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision under migrations/versions (a new migration moves it).
HEAD = "0018"


#: Tables the models do not describe: the case library's SQLite search index (an FTS5 table and
#: the shadow tables FTS5 keeps beside it), made by migration 0018 itself.
SEARCH_INDEX_TABLES = ("case_library_fts",)


def described_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's `include_name`: leave out what only a migration makes (see above)."""
    if type_ == "table" and name is not None:
        return not name.startswith(SEARCH_INDEX_TABLES)
    return not (type_ == "index" and name == "ix_case_library_body_trgm")


class SchemaBehindError(RuntimeError):
    """The database schema is older than this program."""


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def stored_revision(engine: Engine) -> str | None:
    """What `alembic_version` says, read without Alembic; None for a database without one."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return rows[0][0] if len(rows) == 1 else None


def check_current(engine: Engine, command_hint: str = "deskapp db upgrade") -> None:
    current = stored_revision(engine)
    if current != HEAD:
        state = "has no desk schema yet" if current is None else f"is at revision {current}"
        raise SchemaBehindError(
            f"The database {state}; this program needs revision {HEAD}. Run `{command_hint}` first."
        )

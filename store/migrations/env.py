"""Alembic environment: the engine comes from `store.migrate.alembic_config`."""

from __future__ import annotations

import os
import signal
from typing import Any

from alembic import context
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

engine: Engine = context.config.attributes["engine"]

#: The fault suite's kill point (`DESKAPP_FAULT=kill-after-migration:REV`, see deskapp/faults.py):
#: the process dies right after revision REV ran, inside the upgrade's one transaction.
_FAULT = os.environ.get("DESKAPP_FAULT", "")


def _after_step(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    if f"kill-after-migration:{step.up_revision_id}" == _FAULT:
        os.kill(os.getpid(), signal.SIGKILL)


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename); with foreign keys enforced
        # the drop fails while other tables point at it. The pragma only takes effect outside a
        # transaction; the check afterwards proves the rebuilt tables still line up.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=_after_step if _FAULT else None,
        # SQLite does DDL in transactions (the engine begins them itself); Alembic's SQLite
        # default commits after each revision, so an upgrade killed half-way stopped between
        # revisions. One transaction: a killed upgrade leaves the database as it was.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        raw = connection.connection.driver_connection
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
        raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        if broken:
            raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")

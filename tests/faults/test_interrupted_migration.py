"""A migration killed half-way (after revision 0005 of ten, inside the upgrade) leaves the
database as it was: the next `deskapp db upgrade` runs from the start to head, and the schema
then matches the models exactly. On both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlmodel import SQLModel

import store.models  # noqa: F401
from deskapp.cli import main
from store.engine import make_engine
from store.migrate import alembic_config, current_revision, head_revision

pytestmark = pytest.mark.slow


def test_a_killed_upgrade_is_undone_and_the_next_one_finishes(db_url: str) -> None:
    engine = make_engine(db_url)
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None

    env = os.environ | {"DESKAPP_FAULT": "kill-after-migration:0005"}
    deskapp = [sys.executable, "-m", "deskapp.cli"]
    killed = subprocess.run(
        [*deskapp, "db", "upgrade", "--db", db_url], env=env, capture_output=True, text=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    engine.dispose()
    assert current_revision(engine) is None  # nothing of 0001..0005 was kept

    done = CliRunner().invoke(main, ["db", "upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()

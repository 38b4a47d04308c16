"""The database misbehaves under a working desk: another program holds the write lock for 30 s,
the disk fills up, the database file's file system turns read-only, a PostgreSQL database
turns read-only.
Each time the agent sees what is wrong in the intake form's status line, nothing typed is lost
(the form and the draft on disk), and the desk carries on by itself once the fault is gone:
the same registration then goes through, once.

The desk is the real app under Textual's pilot on a real database; the faults are real too
(a second process holding SQLite's lock, a size-limited tmpfs, PostgreSQL's own read-only
mode). Mounting needs root: CI runs as root; elsewhere that test is skipped.

A SQLite file turns read-only by its file system being remounted read-only. Linux refuses that
while a file on it is open for writing, so the test lets the desk's idle connections go first
(`chmod` would not do: root ignores it, and an open connection keeps writing either way).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import func, select
from textual.pilot import Pilot
from textual.widgets import Static

from deskapp.app import DeskApp
from deskapp.cases import Desk
from deskapp.cli import main
from deskapp.drafts import DraftStore
from screens.dialogs.registered import RegisteredScreen
from screens.intake import IntakeScreen
from store.engine import make_engine, read_session
from store.models import Complaint
from tests.conftest import seed_staff
from tests.screens.conftest import plain
from tests.screens.test_intake import SIZE, open_intake, type_call

pytestmark = pytest.mark.slow

HOLDER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""
#: How long another program holds the write lock: longer than SQLite's own wait (15 s).
HOLD_SECONDS = 30.0


def _app(desk: Desk, tmp_path: Path) -> DeskApp:
    desk.settings.idle_lock_minutes = 0
    drafts = DraftStore(tmp_path / "drafts").for_desk(desk.desk_id())
    return DeskApp(desk=desk, lang="en", drafts=drafts)


def _status(screen: IntakeScreen) -> str:
    return plain(screen.query_one("#intake-status", Static))


async def _wait_for(pilot: Pilot[None], condition: object, timeout: float) -> None:
    """Poll the screen without waiting for workers (the save is meant to be stuck)."""
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            screen = pilot.app.screen
            said = _status(screen) if isinstance(screen, IntakeScreen) else type(screen).__name__
            raise AssertionError(f"still waiting after {timeout} s; the screen says: {said}")
        await pilot.pause(0.1)


async def _submit(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+s")  # the form → the read-back
    await _wait_for(pilot, lambda: not isinstance(pilot.app.screen, IntakeScreen), 15)
    await pilot.press("ctrl+s")  # the read-back → register


def _complaints(engine: Engine) -> int:
    with read_session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Complaint)).one())


def _verified(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
    assert result.exit_code == 0, result.output


def _kept(app: DeskApp, screen: IntakeScreen) -> None:
    """What was typed is on screen and on disk."""
    assert screen.has_unsubmitted_work()
    assert plain_value(screen, "subject") == "洗衣机漏水"
    draft = app.ctx.drafts.load("agent", "intake")
    assert draft is not None and draft.values["subject"] == "洗衣机漏水"


def plain_value(screen: IntakeScreen, name: str) -> str:
    return str(screen.values()[name])


async def test_a_write_lock_held_30_s_is_waited_out(sqlite_engine: Engine, tmp_path: Path) -> None:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    app = _app(desk, tmp_path)
    database = sqlite_engine.url.database
    assert database is not None
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, database, str(HOLD_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            await _submit(pilot)
            # Within a few seconds the agent is told why nothing is happening yet.
            await _wait_for(pilot, lambda: "Still saving" in _status(screen), 8)
            assert isinstance(app.screen, IntakeScreen)
            _kept(app, screen)
            assert _complaints(sqlite_engine) == 0
            # The lock goes; the desk's own retries finish the registration.
            await _wait_for(
                pilot, lambda: isinstance(app.screen, RegisteredScreen), HOLD_SECONDS + 30
            )
        finally:
            holder.wait(timeout=HOLD_SECONDS + 30)
        assert holder.returncode == 0
        await pilot.press("n")
    assert _complaints(sqlite_engine) == 1
    assert app.ctx.drafts.load("agent", "intake") is None
    _verified(sqlite_engine)


@contextlib.contextmanager
def _small_disk(where: Path, size: str = "4m") -> Iterator[Path]:
    """A size-limited tmpfs of our own (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited file system needs root (CI runs as root)")
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as out:
        block = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                out.write(block)
                out.flush()
    return filler


async def test_a_full_disk_is_said_and_the_call_kept(sqlite_template: Path, tmp_path: Path) -> None:
    with _small_disk(tmp_path / "disk") as disk:
        shutil.copy(sqlite_template, disk / "desk.db")
        engine = make_engine(f"sqlite:///{disk / 'desk.db'}")
        seed_staff(engine)
        desk = Desk(engine)
        app = _app(desk, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_intake(pilot)
            await type_call(pilot)
            filler = _fill(disk)
            await _submit(pilot)
            await _wait_for(
                pilot, lambda: "disk holding the database is full" in _status(screen), 60
            )
            assert isinstance(app.screen, IntakeScreen)
            _kept(app, screen)
            filler.unlink()  # the administrator makes room
            await _submit(pilot)
            await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 60)
            await pilot.press("n")
        assert _complaints(engine) == 1
        _verified(engine)
        engine.dispose()


def _remount(disk: Path, mode: str, engine: Engine | None = None) -> None:
    """`mount -o remount,MODE`. Read-only is refused while a file on it is open for writing,
    so the desk's idle connections are let go first (as a desk's pool does with time); a
    background poll may open one again in between, hence the tries."""
    for _ in range(50):
        if engine is not None:
            engine.dispose()
        done = subprocess.run(
            ["mount", "-o", f"remount,{mode}", str(disk)], capture_output=True, text=True
        )
        if done.returncode == 0:
            return
    raise AssertionError(f"could not remount {disk} {mode}: {done.stderr.strip()}")


async def test_a_read_only_database_file_is_said_and_the_call_kept(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """The file system holding the database turns read-only (a full disk's safety remount, a
    restore, a mistake): the registration is refused as read-only, the call is kept, and once
    the file system takes writes again the same registration goes through, without a restart."""
    with _small_disk(tmp_path / "disk", size="16m") as disk:
        shutil.copy(sqlite_template, disk / "desk.db")
        engine = make_engine(f"sqlite:///{disk / 'desk.db'}")
        seed_staff(engine)
        desk = Desk(engine)
        app = _app(desk, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_intake(pilot)
            await type_call(pilot)
            _remount(disk, "ro", engine)
            await _submit(pilot)
            await _wait_for(pilot, lambda: "read-only" in _status(screen), 60)
            assert isinstance(app.screen, IntakeScreen)
            _kept(app, screen)
            _remount(disk, "rw")
            await _submit(pilot)
            await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 60)
            await pilot.press("n")
        assert _complaints(engine) == 1
        _verified(engine)
        engine.dispose()


@pytest.mark.pg
async def test_a_postgresql_database_turned_read_only(pg_url: str, tmp_path: Path) -> None:
    """A failover to a standby, or `default_transaction_read_only`: the server refuses writes.
    The desk says the database is read-only, keeps the call, and saves it once the database
    takes writes again (the connection that met the refusal is not used again)."""
    engine = make_engine(pg_url)
    seed_staff(engine)
    desk = Desk(engine)
    app = _app(desk, tmp_path)
    name = engine.url.database
    admin = make_engine(pg_url.rsplit("/", 1)[0] + "/postgres")
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_intake(pilot)
            await type_call(pilot)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(
                    text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
                )
                conn.execute(  # the failover: every connection the desk had is gone
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            await _submit(pilot)
            await _wait_for(pilot, lambda: "read-only" in _status(screen), 30)
            _kept(app, screen)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(
                    text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
                )
            await _submit(pilot)
            await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 30)
            await pilot.press("n")
        assert _complaints(engine) == 1
        _verified(engine)
    finally:
        admin.dispose()
        engine.dispose()

"""PostgreSQL restarts under a working desk, on a private server the test starts (never the shared
one): the desk reconnects by itself and carries on; a registration made while the server is
down is said to have failed and is kept; a registration whose answer is lost after its commit
is not made twice when it is tried again (the intake form's request key)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from deskapp.cases import Desk
from screens.dialogs.registered import RegisteredScreen
from screens.intake import IntakeScreen
from store.engine import make_engine
from store.migrate import upgrade
from tests.conftest import seed_staff
from tests.faults.test_storage_faults import (
    _app,
    _complaints,
    _kept,
    _status,
    _submit,
    _verified,
    _wait_for,
)
from tests.screens.test_intake import SIZE, open_intake, type_call

pytestmark = pytest.mark.slow


@dataclass
class Server:
    url: str
    data: Path
    bin: Path

    def ctl(self, *args: str) -> None:
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-w", *args)

    def restart(self) -> None:
        # With its log named: a server writing to our pipe would keep `run` waiting for ever.
        self.ctl("restart", "-m", "fast", "-l", str(self.data / "log"))

    def stop(self) -> None:
        self.ctl("stop", "-m", "fast")

    def start(self) -> None:
        self.ctl("start", "-l", str(self.data / "log"))


def _as_postgres(*argv: str) -> None:
    command = argv if os.geteuid() != 0 else ("runuser", "-u", "postgres", "--", *argv)
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_pg() -> Iterator[Server]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins or os.geteuid() != 0:
        if os.environ.get("DESKAPP_REQUIRE_PG"):
            pytest.fail("a private PostgreSQL needs its binaries and root (to run as postgres)")
        pytest.skip("a private PostgreSQL needs its binaries and root (to run as postgres)")
    bin_dir = Path(bins[-1])
    data = Path(tempfile.mkdtemp(prefix="deskapp-pg-"))
    shutil.chown(data, "postgres")
    port = _free_port()
    _as_postgres(
        str(bin_dir / "initdb"),
        "-D",
        str(data / "db"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
    )
    with (data / "db" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
        )
    server = Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", data, bin_dir)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.ctl("stop", "-m", "immediate")
        shutil.rmtree(data, ignore_errors=True)


def _desk(server: Server) -> tuple[Engine, Desk]:
    engine = make_engine(server.url)
    upgrade(engine)
    seed_staff(engine)
    return engine, Desk(engine)


async def test_a_restart_between_two_steps_goes_unnoticed(
    private_pg: Server, tmp_path: Path
) -> None:
    engine, desk = _desk(private_pg)
    app = _app(desk, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await type_call(pilot)
        private_pg.restart()  # every connection the desk holds is gone
        await _submit(pilot)
        await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 30)
        await pilot.press("n")
    assert _complaints(engine) == 1
    _verified(engine)
    engine.dispose()


async def test_a_server_away_during_a_registration(private_pg: Server, tmp_path: Path) -> None:
    engine, desk = _desk(private_pg)
    app = _app(desk, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot)
        private_pg.stop()
        await _submit(pilot)
        await _wait_for(pilot, lambda: "cannot be reached" in _status(screen), 60)
        assert isinstance(app.screen, IntakeScreen)
        _kept(app, screen)
        private_pg.start()
        await _submit(pilot)
        await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 30)
        await pilot.press("n")
    assert _complaints(engine) == 1
    _verified(engine)
    engine.dispose()


async def test_an_answer_lost_after_the_commit_is_not_applied_twice(
    private_pg: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registration commits, then the connection drops before its answer arrives (the
    desk cannot know it was saved). Trying again returns the same case."""
    engine, desk = _desk(private_pg)
    app = _app(desk, tmp_path)
    intake = desk.intake
    lost: list[str] = []

    def committed_then_lost(*args: Any, **kwargs: Any) -> Any:
        result = intake(*args, **kwargs)
        if not lost:
            lost.append(result.number)
            cause = psycopg.OperationalError("server closed the connection unexpectedly")
            raise OperationalError("COMMIT", {}, cause, connection_invalidated=True)
        return result

    monkeypatch.setattr(desk, "intake", committed_then_lost)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot)
        await _submit(pilot)
        await _wait_for(pilot, lambda: "cannot be reached" in _status(screen), 30)
        _kept(app, screen)
        await _submit(pilot)
        await _wait_for(pilot, lambda: isinstance(app.screen, RegisteredScreen), 30)
        shown = app.screen.query_one("#registered-message").render()
        assert lost[0] in str(shown)  # the case the first try made
        await pilot.press("n")
    assert _complaints(engine) == 1
    _verified(engine)
    engine.dispose()

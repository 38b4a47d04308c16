"""Remote staff over SSH, end to end: a real OpenSSH server on 127.0.0.1 (keys made here) with
`ForceCommand deskapp run --os-user`, a real client (`ssh -tt`) in a real terminal (tmux).

The login lands on the queue signed in as the operating-system user, a complaint is registered;
then the client is killed mid-draft: the desk on the server exits within 2 s, no half-written
case is left, and the next login offers the draft. Run as xterm-256color at 120×40 and as the
Linux console (`TERM=linux`, 16 colours) at 80×24, as docs/deploy-ssh.md describes.

sshd comes from Debian's `openssh-server`; `.ci/run` installs it and sets DESKAPP_REQUIRE_SSHD,
which turns a missing server from a skip into a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.engine import read_session, write_session
from store.models import Complaint, Staff
from tests.conftest import seed_staff
from tests.e2e.conftest import FROZEN, Terminal, desk_pids

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


@dataclass
class SshDesk:
    port: int
    key: Path
    home: Path
    user: str

    def client(self, term: str, size: tuple[int, int]) -> Terminal:
        """A terminal running `ssh -tt` to the desk host, as a remote member of staff would."""
        command = (
            f"ssh -tt -p {self.port} -i {self.key} -o StrictHostKeyChecking=no "
            f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR {self.user}@127.0.0.1"
        )
        return Terminal(f"ssh-{uuid.uuid4().hex[:8]}", {"TERM": term}, command, size)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ssh_desk(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Iterator[SshDesk]:
    if SSHD is None:
        if os.environ.get("DESKAPP_REQUIRE_SSHD"):
            pytest.fail("sshd is required here (install openssh-server)")
        pytest.skip("needs sshd (Debian: openssh-server)")
    user = pwd.getpwuid(os.getuid()).pw_name
    seed_staff(sqlite_engine)
    with write_session(sqlite_engine) as s:  # the OS account's staff row, an agent
        template = s.exec(select(Staff).where(Staff.login == "agent")).one()
        s.add(
            Staff(
                login=user,
                display_name="Remote Agent",
                roles="agent",
                password_hash=template.password_hash,
            )
        )
    etc = tmp_path / "sshd"
    etc.mkdir()
    for name in ("host", "user"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(etc / name)], check=True
        )
    (etc / "authorized_keys").write_text((etc / "user.pub").read_text())
    home = tmp_path / "home"
    deskapp = Path(sys.executable).with_name("deskapp")
    desk_env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "DESKAPP_FROZEN_TIME": FROZEN,
        "DESKAPP_CALENDAR_WARNING_DAYS": "0",
    }
    exports = " ".join(f"{k}={v}" for k, v in desk_env.items())
    port = _free_port()
    (etc / "sshd_config").write_text(
        f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {etc / "host"}
PidFile {etc / "sshd.pid"}
AuthorizedKeysFile {etc / "authorized_keys"}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers {user}
PermitTTY yes
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
SetEnv LANG=C.UTF-8
ForceCommand env {exports} {deskapp} run --os-user --lang en --db {sqlite_url}
"""
    )
    if os.getuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
    server = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(etc / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=(etc / "sshd.log").open("w"),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert server.poll() is None, (etc / "sshd.log").read_text()
            time.sleep(0.1)
    try:
        yield SshDesk(port, etc / "user", home, user)
    finally:
        server.terminate()
        server.wait(timeout=10)
        for pid in desk_pids(home):  # failed below already if one was left
            os.kill(pid, signal.SIGKILL)


def _cases(engine: Engine) -> list[Complaint]:
    with read_session(engine) as s:
        return list(s.exec(select(Complaint)).all())


def _wait_no_desk(home: Path, within: float) -> float:
    started = time.monotonic()
    while desk_pids(home) and time.monotonic() - started < within + 3:
        time.sleep(0.05)
    assert not desk_pids(home), "the desk outlived its SSH session"
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("term", "size"),
    [("xterm-256color", (120, 40)), ("linux", (80, 24))],
    ids=["xterm-256color-120x40", "linux-80x24"],
)
def test_remote_agent_over_ssh(
    ssh_desk: SshDesk,
    sqlite_engine: Engine,
    term: str,
    size: tuple[int, int],
) -> None:
    t = ssh_desk.client(term, size)
    try:
        shown = _see(t, "Remote Agent")  # signed in as the OS user, on the queue
        assert "SLA queue" in shown and "Sign in" not in shown
        t.keys("F2")
        _see(t, "Typing the phone")
        t.keys("13912345678", "Tab", "Lily Chen", "Tab", "Kettle leaks", "Tab")
        t.keys("Leaks from the base.", "Tab", "A new kettle", "C-s")
        _see(t, "Reply promised")
        t.keys("C-s")
        _see(t, "Registered as TS-20261123-0001")
        assert [c.subject for c in _cases(sqlite_engine)] == ["Kettle leaks"]
        t.keys("Escape")  # the registered case gives way to a clean form for the next call

        # The next call, typed and then cut off: the connection drops mid-draft.
        _see(t, "Typing the phone")
        t.keys("13700000001", "Tab", "Zhou Min", "Tab", "Blender sparks")
        _see(t, "Blender sparks")
        time.sleep(0.8)  # the debounced draft save has run
        client = _ssh_client_pid(t)
        os.kill(client, signal.SIGKILL)
        took = _wait_no_desk(ssh_desk.home, within=2.0)
        assert took <= 2.0, f"the desk took {took:.1f} s to leave after its session ended"
    finally:
        t.close()
    assert [c.subject for c in _cases(sqlite_engine)] == ["Kettle leaks"]  # nothing half-made

    again = ssh_desk.client(term, size)
    try:
        shown = _see(again, "Resume the draft?")
        assert "Zhou Min / 13700000001 / Blender sparks" in shown
        again.keys("y")
        _see(again, "Blender sparks")
    finally:
        again.close()
    _wait_no_desk(ssh_desk.home, within=2.0)


def _ssh_client_pid(t: Terminal) -> int:
    """The `ssh` process in the terminal's pane (the pane runs a shell that runs ssh)."""
    pane = subprocess.run(
        t.tmux("list-panes", "-t", t.name, "-F", "#{pane_pid}"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    found = subprocess.run(["pgrep", "-P", pane, "-x", "ssh"], capture_output=True, text=True)
    pids = found.stdout.split()
    assert pids, "no ssh client in the terminal"
    return int(pids[0])


def _see(t: Terminal, text: str) -> str:
    """Waits longer than a local desk would need: the SSH handshake comes first."""
    return t.wait_for(text, timeout=30)

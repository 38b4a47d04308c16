"""What the idle queue costs a remote terminal and the machine: bytes written per second through
a real pseudo-terminal, and resident memory, at 120×40 over a million open cases.

Over SSH every byte the desk writes crosses the network, so an idle queue should cost about
what `htop` costs. Each program runs in its own pty (the terminal is the only thing a remote
session sees) and the bytes it writes are counted over a fixed quiet stretch: the desk signed
in and showing the queue with a dozen countdowns inside their last hour (they change every
second), `htop` with its default refresh, and a bare Textual app showing a clock that changes
every second. Memory is the desk's resident set once the queue is painted, beside the bare app's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskapp import clock
from store.engine import make_engine

COLUMNS, LINES = 120, 40
SETTLE = 4.0  # seconds for a program to draw its first screens before counting starts
MEASURE = 10.0  # seconds of idle output counted
HOT = 12  # countdowns inside their last hour, at the top of the queue


@dataclass(frozen=True)
class WireResult:
    desk_bytes_s: float
    htop_bytes_s: float  # NaN when htop is not installed
    clock_bytes_s: float
    desk_rss_mb: float  # signed in, queue painted, over the big desk
    small_desk_rss_mb: float  # the same over the small desk: what the cases themselves cost
    bare_rss_mb: float  # the bare Textual clock
    libs_rss_mb: float  # the same clock, having imported the store's libraries


class PtyProgram:
    """A program on the slave side of a fresh pty of COLUMNS×LINES; a thread drains the master
    side and counts what arrives, so the program never blocks on a full terminal."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)},
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.received = 0
        self.screen_text = b""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.received += len(chunk)
                self.screen_text = (self.screen_text + chunk)[-200_000:]

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def count(self) -> int:
        with self._lock:
            return self.received

    def saw(self, text: str) -> bool:
        with self._lock:
            return text.encode() in self.screen_text

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def bytes_per_second(self, seconds: float) -> float:
        start = self.count()
        time.sleep(seconds)
        return (self.count() - start) / seconds

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._stop.set()
        self._reader.join(timeout=2)
        os.close(self.master)


def heat(url: str, hot: int = HOT) -> None:
    """Make the top of the queue a dozen countdowns inside their last hour (in real time, on
    the 24-hour calendar so no business-hours pause stops them) and push every other open case
    two days out, so nothing else on screen changes while the bytes are counted."""
    now = clock.now()
    engine = make_engine(url)
    with engine.begin() as conn:
        far = _stamp(now + timedelta(days=2))
        conn.exec_driver_sql(
            "UPDATE complaint SET next_due_at = ?, next_warn_at = ?, status = 'investigating' "
            "WHERE is_open",
            (far, far),
        )
        ids = [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT id FROM complaint WHERE is_open ORDER BY id LIMIT {hot}"
            )
        ]
        for n, ident in enumerate(ids):
            due = now + timedelta(minutes=20 + 3 * n, seconds=30)
            conn.exec_driver_sql(
                "UPDATE complaint SET next_due_at = ?, next_warn_at = ?, next_calendar = '' "
                "WHERE id = ?",
                (_stamp(due), _stamp(due - timedelta(minutes=30)), ident),
            )
    engine.dispose()


def _stamp(instant: datetime) -> str:
    """An instant as the store keeps it in SQLite (naive UTC text, microseconds always)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_CLOCK_APP = textwrap.dedent(
    """
    from datetime import datetime
    from textual.app import App, ComposeResult
    from textual.widgets import Static
    {imports}

    class Clock(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(id="time")

        def on_mount(self) -> None:
            self.set_interval(1.0, self.show)
            self.show()

        def show(self) -> None:
            self.query_one(Static).update(datetime.now().strftime("%H:%M:%S"))

    Clock().run()
    """
)
#: What the desk imports beyond Textual before it touches a case: the ORM, the models' schema
#: library and the calendar and configuration libraries.
_LIBRARIES = "import sqlalchemy, sqlmodel, pendulum, pydantic_settings, platformdirs, click"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKAPP_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        DESKAPP_CALENDAR_WARNING_DAYS="0",  # no toast while counting
    )
    return env


def _wait_for(program: PtyProgram, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not program.saw(text):
        if time.monotonic() > deadline or program.process.poll() is not None:
            raise RuntimeError(f"{text!r} never appeared on the desk's terminal")
        time.sleep(0.05)


def measure_desk(url: str, home: Path) -> tuple[float, float]:
    """(bytes per second while idle on the queue, resident MB once painted)."""
    argv = [sys.executable, "-m", "deskapp.cli", "run", "--db", url, "--lang", "en"]
    desk = PtyProgram(argv, _env(home))
    try:
        _wait_for(desk, "Password")
        for key in "supervisor\tdemo\r":  # a key at a time, as a person types
            desk.type(key)
            time.sleep(0.05)
        _wait_for(desk, "TS-")  # a case number: the queue is on screen
        time.sleep(SETTLE)
        rate = desk.bytes_per_second(MEASURE)
        return rate, desk.rss_mb()
    finally:
        desk.close()


def measure_other(argv: list[str], home: Path) -> tuple[float, float]:
    program = PtyProgram(argv, _env(home))
    try:
        time.sleep(SETTLE)
        return program.bytes_per_second(MEASURE), program.rss_mb()
    finally:
        program.close()


def bench_wire(url: str, small_url: str) -> WireResult:
    """`url` and `small_url` name desks built by `bench_queue.build` (a million open cases and
    a thousand); their open cases are re-timed here."""
    heat(url)
    heat(small_url)
    with tempfile.TemporaryDirectory(prefix="deskapp-wire-") as tmp:
        home = Path(tmp)
        desk_rate, desk_rss = measure_desk(url, home)
        small_rss = measure_desk(small_url, home)[1]
        htop = shutil.which("htop")
        htop_rate = measure_other([htop], home)[0] if htop else float("nan")
        bare = [sys.executable, "-c", _CLOCK_APP.format(imports="")]
        clock_rate, bare_rss = measure_other(bare, home)
        libs = [sys.executable, "-c", _CLOCK_APP.format(imports=_LIBRARIES)]
        libs_rss = measure_other(libs, home)[1]
    return WireResult(desk_rate, htop_rate, clock_rate, desk_rss, small_rss, bare_rss, libs_rss)

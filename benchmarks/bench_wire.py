"""The desk in a real pseudo-terminal, beside bare Textual apps in the same one: start-up, a key,
the queue's tick, the idle bytes and memory, each timed as a person at the terminal sees it.

Every program runs on the slave side of a fresh 120×40 pty (the terminal is the only thing a
remote session sees) and a thread on the master side reads what arrives, noting when each chunk
came (`time.monotonic()`, CLOCK_MONOTONIC, which the programs share). Intervals end when a
*frame* has arrived: the burst of chunks (less than `BURST_GAP` apart) that holds the text the
interval waits for, or, for a tick, the first burst after it. A frame is written in one go and
its chunks come microseconds apart, while frames are milliseconds apart, so the burst is the
frame. The same rule ends every interval, the desk's and its baseline's:

- start-up: from just before the process is started (fork and exec) to the frame with the
  sign-in form (`Password`), beside a bare Textual app's first frame (`BARE_READY`);
- sign-in: from writing enter on the filled-in form (the password check included) to the frame
  with the first case number, beside a bare app's key to the frame that shows it; timed twice,
  typed as soon as the form shows (Enter may wait for the store still being opened behind the
  form) and typed `OPEN_WAIT` seconds later, once the store is open, as a person who reads the
  form first finds it;
- tick: from the start of `QueueList.tick` (reported by the program, `benchmarks.pty_apps`) to
  its frame, beside DataTable showing the same queue and setting the changed countdowns;
- idle bytes per second over a quiet stretch, beside the bare Textual clock (htop as a
  reference: its output follows what the host is doing), and resident memory once painted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.children import die_with_parent
from benchmarks.pty_apps import BARE_PRESSED, BARE_READY, PROBE_ENV
from deskapp import clock
from store.engine import make_engine

COLUMNS, LINES = 120, 40
SETTLE = 4.0  # seconds for a program to draw its first screens before counting starts
HOT = 12  # countdowns inside their last hour, at the top of the queue
#: Chunks closer than this belong to one frame (see the module docstring).
BURST_GAP = 0.003
ROOT = Path(__file__).resolve().parent.parent
#: What the desk shows once signed in: a case number.
CASE_NUMBER = "TS-"


@dataclass(frozen=True)
class Plan:
    """How long to measure: the full run, or a quick look."""

    sign_ins: int  # start-up and sign-in timed this many times per desk (medians)
    measure: float  # seconds of idle output and ticks counted per program


FULL = Plan(sign_ins=5, measure=20.0)
QUICK = Plan(sign_ins=3, measure=8.0)


@dataclass(frozen=True)
class DeskRun:
    open_cases: int
    startup_s: float
    sign_in_s: float  # typed as soon as the form shows
    sign_in_open_s: float  # typed once the store behind the form is open
    tick_ms: float
    ticks: int  # ticks that wrote a frame (the median's sample)
    silent_ticks: int  # ticks that wrote nothing
    bytes_s: float
    rss_mb: float


@dataclass(frozen=True)
class Baselines:
    bare_startup_s: float
    bare_key_ms: float
    table_tick_ms: float
    table_ticks: int
    table_rows: int
    clock_bytes_s: float
    htop_bytes_s: float  # NaN when htop is not installed
    bare_rss_mb: float  # the bare Textual clock
    libs_rss_mb: float  # the same clock, having imported the store's libraries


class PtyProgram:
    """A program on the slave side of a fresh pty of COLUMNS×LINES; a thread drains the master
    side, keeps what arrives and when, and, with `probe`, the tick instants the program reports
    on a pipe of its own."""

    def __init__(self, argv: list[str], env: dict[str, str], *, probe: bool = False) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
        self._probe: int | None = None
        pass_fds: tuple[int, ...] = ()
        if probe:
            self._probe, probe_w = os.pipe()
            env[PROBE_ENV] = str(probe_w)
            pass_fds = (probe_w,)
        self.data = bytearray()
        #: (arrival, length of `data` after it), one per read.
        self.chunks: list[tuple[float, int]] = []
        self.ticks: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,
            close_fds=True,
            pass_fds=pass_fds,
            preexec_fn=die_with_parent,
        )
        os.close(slave)
        for fd in pass_fds:
            os.close(fd)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        sources = [self.master] + ([self._probe] if self._probe is not None else [])
        pending = b""
        while not self._stop.is_set() and sources:
            ready, _, _ = select.select(sources, [], [], 0.1)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                arrived = time.monotonic()
                if not chunk:
                    sources.remove(fd)
                    continue
                with self._lock:
                    if fd == self.master:
                        self.data += chunk
                        self.chunks.append((arrived, len(self.data)))
                    else:
                        pending += chunk
                        *lines, pending = pending.split(b"\n")
                        self.ticks += [float(line) for line in lines]

    def type(self, keys: str) -> float:
        """Write `keys` as the terminal would; the instant just before."""
        at = time.monotonic()
        os.write(self.master, keys.encode())
        return at

    def count(self) -> int:
        with self._lock:
            return len(self.data)

    def wait_for(self, text: str, after: int = 0, timeout: float = 60.0) -> int:
        """Where `text` ends in the output, at or after offset `after`, once it has arrived."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self.data.find(needle, after)
            if found >= 0:
                return found + len(needle)
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{text!r} never appeared on the terminal of {self.process}")
            time.sleep(0.002)

    def quiet(self, seconds: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until nothing has arrived for `seconds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.chunks[-1][0] if self.chunks else self.started
            if time.monotonic() - last >= seconds:
                return
            time.sleep(0.02)

    def _burst_end(self, chunks: list[tuple[float, int]], first: int) -> float:
        n = first
        while n + 1 < len(chunks) and chunks[n + 1][0] - chunks[n][0] < BURST_GAP:
            n += 1
        return chunks[n][0]

    def frame_with(self, text: str, after: int = 0) -> float:
        """When the frame holding `text` (at or after offset `after`) had fully arrived."""
        end = self.wait_for(text, after)
        time.sleep(0.05)  # let the rest of the burst arrive
        with self._lock:
            chunks = list(self.chunks)
        ends = [length for _, length in chunks]
        return self._burst_end(chunks, bisect_right(ends, end - 1))

    def tick_frames(self, since: float, until: float) -> tuple[list[float], int]:
        """Seconds from each reported tick in [since, until) to its frame, and how many ticks
        wrote nothing before the next one."""
        with self._lock:
            chunks, ticks = list(self.chunks), [t for t in self.ticks if since <= t < until]
        arrivals = [at for at, _ in chunks]
        took, silent = [], 0
        for n, tick in enumerate(ticks):
            nxt = ticks[n + 1] if n + 1 < len(ticks) else until
            first = bisect_right(arrivals, tick)
            if first >= len(chunks) or arrivals[first] >= nxt:
                silent += 1
                continue
            took.append(self._burst_end(chunks, first) - tick)
        return took, silent

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
        if self._probe is not None:
            os.close(self._probe)


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


def _sign_in(desk: PtyProgram) -> float:
    """Type the supervisor's name and password a key at a time, as a person does, wait for the
    form to settle, press enter: seconds from enter to the frame with the queue's first case."""
    desk.wait_for("Password")
    for key in "supervisor\tdemo":
        desk.type(key)
        time.sleep(0.05)
    desk.quiet()
    after = desk.count()
    pressed = desk.type("\r")
    return desk.frame_with(CASE_NUMBER, after) - pressed


def _desk_argv(url: str) -> list[str]:
    return [sys.executable, "-m", "deskapp.cli", "run", "--db", url, "--lang", "en"]


#: Seconds a person reading the form waits before typing: the store behind it is open by then.
OPEN_WAIT = 3.0


def measure_sign_in(url: str, home: Path, wait: float = 0.0) -> tuple[float, float]:
    """(exec to the sign-in form painted, enter to the queue painted), the desk as shipped,
    typed `wait` seconds after the form shows."""
    desk = PtyProgram(_desk_argv(url), _env(home))
    try:
        startup = desk.frame_with("Password") - desk.started
        time.sleep(wait)
        return startup, _sign_in(desk)
    finally:
        desk.close()


def measure_desk_idle(
    url: str, home: Path, seconds: float
) -> tuple[list[float], int, float, float]:
    """(tick-to-frame seconds, silent ticks, idle bytes per second, resident MB), signed in
    and idle on the queue."""
    argv = [sys.executable, "-m", "benchmarks.pty_apps", "desk", url]
    desk = PtyProgram(argv, _env(home), probe=True)
    try:
        _sign_in(desk)
        time.sleep(SETTLE)
        since = time.monotonic()
        rate = desk.bytes_per_second(seconds)
        took, silent = desk.tick_frames(since, time.monotonic())
        return took, silent, rate, desk.rss_mb()
    finally:
        desk.close()


def measure_table(url: str, home: Path, seconds: float) -> tuple[list[float], int]:
    argv = [sys.executable, "-m", "benchmarks.pty_apps", "table", url]
    table = PtyProgram(argv, _env(home), probe=True)
    try:
        table.wait_for(CASE_NUMBER)
        time.sleep(SETTLE)
        since = time.monotonic()
        time.sleep(seconds)
        took, _silent = table.tick_frames(since, time.monotonic())
        return took, len(took)
    finally:
        table.close()


def measure_bare(home: Path) -> tuple[float, float]:
    """(exec to the first frame, a key to the frame that shows it) for a bare Textual app."""
    bare = PtyProgram([sys.executable, "-m", "benchmarks.pty_apps", "bare"], _env(home))
    try:
        startup = bare.frame_with(BARE_READY) - bare.started
        bare.quiet()
        after = bare.count()
        pressed = bare.type("\r")
        return startup, bare.frame_with(BARE_PRESSED, after) - pressed
    finally:
        bare.close()


def measure_other(argv: list[str], home: Path, seconds: float) -> tuple[float, float]:
    program = PtyProgram(argv, _env(home))
    try:
        time.sleep(SETTLE)
        return program.bytes_per_second(seconds), program.rss_mb()
    finally:
        program.close()


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_wire(urls: dict[int, str], plan: Plan) -> tuple[list[DeskRun], Baselines]:
    """`urls` name desks built by `bench_queue.build`, by open cases; their open cases are
    re-timed here (`heat`), and DataTable shows the smallest one's queue."""
    for url in urls.values():
        heat(url)
    runs = []
    with tempfile.TemporaryDirectory(prefix="deskapp-wire-") as tmp:
        home = Path(tmp)
        for size, url in sorted(urls.items()):
            timed = [measure_sign_in(url, home) for _ in range(plan.sign_ins)]
            opened = [measure_sign_in(url, home, OPEN_WAIT)[1] for _ in range(plan.sign_ins)]
            took, silent, rate, rss = measure_desk_idle(url, home, plan.measure)
            runs.append(
                DeskRun(
                    size,
                    _median([t[0] for t in timed]),
                    _median([t[1] for t in timed]),
                    _median(opened),
                    _median(took) * 1000,
                    len(took),
                    silent,
                    rate,
                    rss,
                )
            )
        bare = [measure_bare(home) for _ in range(plan.sign_ins)]
        small = urls[min(urls)]
        table_took, table_ticks = measure_table(small, home, plan.measure)
        htop = shutil.which("htop")
        htop_rate = measure_other([htop], home, plan.measure)[0] if htop else float("nan")
        clock_app = [sys.executable, "-c", _CLOCK_APP.format(imports="")]
        clock_rate, bare_rss = measure_other(clock_app, home, plan.measure)
        libs = [sys.executable, "-c", _CLOCK_APP.format(imports=_LIBRARIES)]
        libs_rss = measure_other(libs, home, 2.0)[1]
    baselines = Baselines(
        _median([b[0] for b in bare]),
        _median([b[1] for b in bare]) * 1000,
        _median(table_took) * 1000,
        table_ticks,
        min(1000, min(urls)),
        clock_rate,
        htop_rate,
        bare_rss,
        libs_rss,
    )
    return runs, baselines

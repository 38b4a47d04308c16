"""The live queue's database side at 1 k, 100 k and 1 M open cases: the reads that grow with the
desk. A tick reads nothing (its cost, tick to frame, is measured in a terminal by
`benchmarks.bench_wire`); what grows is read on a change: `count_open` (the queue's length, for
the scrollbar and the status line), `count_before` (where the window sits after rows above it
changed) and the breach board's refresh.

The desks are built fast: a small demo desk with every case open (`all_open`), then its open
complaints copied in SQL until the queue holds the wanted number (the queue reads only the
complaint and customer tables), so the copies keep that desk's mix of countdown states. Each
read is timed as the desk makes it (through SQLAlchemy, from the call to the answer), and beside
it the same SQL statements with the same parameters replayed by plain `sqlite3` on the same
file: the floor under that read, so the ratio is what the desk adds and the value is what the
database must do.
"""

from __future__ import annotations

import contextlib
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from deskapp import clock, demo
from deskapp.board import read_board
from deskapp.cases import Desk
from deskapp.live_queue import QueueReader
from deskapp.overview import my_counts
from screens.breach_board import BreachBoardScreen
from store import board
from store.engine import BUSY_TIMEOUT_MS, make_engine, read_session, write_session
from store.migrate import upgrade
from store.queue import QueueFilter, count_before, count_open, key_of, page_at


def build(path: Path, open_cases: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, cases=400, seed=7, all_open=True)
    with engine.begin() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(complaint)") if r[1] != "id"]
        have = conn.exec_driver_sql("SELECT count(*) FROM complaint WHERE is_open").scalar() or 0
        copy = ", ".join("number || '-' || k" if c == "number" else c for c in cols)
        rounds = 0
        while have < open_cases:
            need = open_cases - have
            batch = min(need, have)
            conn.exec_driver_sql(
                f"INSERT INTO complaint ({', '.join(cols)}) "
                f"SELECT {copy} FROM complaint, (SELECT {rounds + 1} AS k) "
                f"WHERE is_open ORDER BY id LIMIT {batch}"
            )
            have += batch
            rounds += 1
    with write_session(engine) as s:
        board.rebuild(s)  # the copies went round the use cases: count the tiles again
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def desk_path(workdir: Path, open_cases: int) -> Path:
    return workdir / f"queue-{open_cases}.db"


@dataclass(frozen=True)
class Timed:
    """Median milliseconds of one read through the desk, and of its SQL replayed raw."""

    ms: float
    raw_ms: float
    statements: int


@dataclass(frozen=True)
class ReadsResult:
    open_cases: int
    count_open: Timed
    count_before: Timed
    board: Timed
    #: What the board lists (at risk or breached) on this desk, for the method note.
    board_rows: int


#: One statement as the driver received it: SQL and parameters, or a transaction's end.
Statement = tuple[str, Any]


@contextlib.contextmanager
def recording(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement the engine sends to sqlite3 while the block runs, with the commits and
    rollbacks that end its transactions (they are not cursor statements)."""
    statements: list[Statement] = []

    def sent(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        statements.append((sql, params))

    def committed(_c: Any) -> None:
        statements.append(("COMMIT", ()))

    def rolled_back(_c: Any) -> None:
        statements.append(("ROLLBACK", ()))

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", sent),
        ("commit", committed),
        ("rollback", rolled_back),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield statements
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _replay(conn: sqlite3.Connection, statements: list[Statement]) -> float:
    in_transaction = False
    started = time.perf_counter()
    for sql, params in statements:
        ending = sql in ("COMMIT", "ROLLBACK")
        if ending and not in_transaction:
            continue  # SQLAlchemy ends transactions the driver never saw begin
        conn.execute(sql, params).fetchall()
        if sql.startswith("BEGIN"):
            in_transaction = True
        elif ending:
            in_transaction = False
    if in_transaction:
        conn.execute("COMMIT")
    return time.perf_counter() - started


def _time(engine: Engine, path: Path, work: Callable[[], object], repeats: int) -> Timed:
    work()  # warm: the pages it reads are in the cache for both
    with recording(engine) as statements:
        work()
    ours = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        ours.append(time.perf_counter() - started)
    conn = _raw(path)
    try:
        _replay(conn, statements)
        theirs = [_replay(conn, statements) for _ in range(repeats)]
    finally:
        conn.close()
    sent = sum(1 for sql, _ in statements if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK")))
    return Timed(statistics.median(ours) * 1000, statistics.median(theirs) * 1000, sent)


def bench_reads(path: Path, open_cases: int, repeats: int) -> ReadsResult:
    """The three reads on the desk-wide view (the supervisor's first view) of a built desk."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        desk = Desk(engine)
        supervisor = desk.actor("supervisor").staff_id
        everything = QueueFilter()
        with read_session(engine) as s:
            total = count_open(s, everything)
            middle = key_of(page_at(s, everything, total // 2, 1)[0])

        def counted() -> int:
            with read_session(engine) as s:
                return count_open(s, everything)

        def placed() -> int:
            with read_session(engine) as s:
                return count_before(s, everything, middle)

        board = QueueFilter(states=BreachBoardScreen.fixed_states)
        reader = QueueReader(engine, board)
        window = reader.top(clock.now())

        def refreshed() -> object:
            """What the board's database thread reads every few seconds (a state-filtered view
            is re-read on a timer, `QueueReader.reload`, and the wall follows, `read_board`),
            plus the header's counts of the supervisor's own cases (`state_counts`)."""
            now = clock.now()
            reader.reload(window, now)
            read_board(desk, now)
            return my_counts(engine, supervisor, now)

        return ReadsResult(
            open_cases,
            _time(engine, path, counted, repeats),
            _time(engine, path, placed, repeats),
            _time(engine, path, refreshed, repeats),
            window.total,
        )
    finally:
        engine.dispose()

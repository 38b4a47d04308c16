"""How fast a demo desk fills: `deskapp demo` on SQLite, both the working day it shows by
default and the everything-open desk (`all_open`) that is the load-test set-up for every other
figure about large desks.

The baseline inserts exactly the rows the demo wrote (customers, complaints, milestones,
assisting departments, notes, events) into a fresh copy of the same schema with plain `sqlite3`
`executemany` in one transaction: the cost of the writes alone, with nothing to decide,
simulate or hash.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from deskapp import demo
from store.engine import make_engine
from store.migrate import upgrade

TABLES = ("customer", "complaint", "milestone", "complaint_assist", "note", "case_event")


@dataclass(frozen=True)
class DemoResult:
    cases: int
    events: int
    seconds: float
    raw_seconds: float
    rows: int


def bench_demo(workdir: Path, *, cases: int, all_open: bool = False) -> DemoResult:
    empty = workdir / "empty.db"
    engine = make_engine(f"sqlite:///{empty}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()

    desk = "open" if all_open else "day"
    filled = workdir / f"demo-{desk}.db"
    shutil.copy(empty, filled)
    engine = make_engine(f"sqlite:///{filled}")
    stats = demo.generate(engine, cases=cases, seed=7, all_open=all_open)
    engine.dispose()

    target = workdir / f"raw-{desk}.db"
    shutil.copy(empty, target)
    raw_seconds, rows = _raw_copy(filled, target)
    return DemoResult(cases, stats.events, stats.seconds, raw_seconds, rows)


def _raw_copy(source: Path, target: Path, batch: int = 5000) -> tuple[float, int]:
    """Time only the inserts and the commit; reading the rows back is not part of the figure."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA synchronous=NORMAL")
        dst.execute("PRAGMA foreign_keys=ON")
        # The demo's staff and departments, which the rows refer to (not timed).
        for table in ("department", "staff"):
            rows = src.execute(f"SELECT * FROM {table}").fetchall()
            marks = ", ".join("?" * len(rows[0]))
            dst.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        seconds, total = 0.0, 0
        started = time.perf_counter()
        dst.execute("BEGIN IMMEDIATE")
        seconds += time.perf_counter() - started
        for table in TABLES:
            cursor = src.execute(f"SELECT * FROM {table} ORDER BY rowid")
            marks = ", ".join("?" * len(cursor.description))
            sql = f"INSERT INTO {table} VALUES ({marks})"
            while chunk := cursor.fetchmany(batch):
                started = time.perf_counter()
                dst.executemany(sql, chunk)
                seconds += time.perf_counter() - started
                total += len(chunk)
        started = time.perf_counter()
        dst.execute("COMMIT")
        seconds += time.perf_counter() - started
        return seconds, total
    finally:
        src.close()
        dst.close()

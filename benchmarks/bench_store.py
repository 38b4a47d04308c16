"""How long an agent waits for "saved": the intake use case, commit included, on SQLite.

The baseline is the floor under it: the same database file, the same pragmas (WAL,
synchronous=NORMAL), and plain `sqlite3` inserting one complaint row copied from the desk and
committing. What lies between the two is our cost: validation, customer lookup, repeat check,
case number, four planned milestones and the hash-chained event, through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from deskapp import demo
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import Channel, Severity
from store.engine import BUSY_TIMEOUT_MS, make_engine
from store.migrate import upgrade


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    count: int


@dataclass(frozen=True)
class IntakeResult:
    intake: Latency
    raw: Latency


def percentiles(samples: list[float]) -> Latency:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
        return ordered[index] * 1000

    return Latency(at(0.50), at(0.99), len(ordered))


def bench_intake(workdir: Path, *, count: int = 500, warmup: int = 50) -> IntakeResult:
    """`count` intakes after `warmup` on a desk already holding 1,000 demo cases, then `count`
    raw single-row commits into the same file."""
    path = workdir / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    demo.generate(engine, cases=1000, seed=1, workers=0)
    desk = Desk(engine)
    agent = desk.actor("agent")
    samples = []
    for i in range(warmup + count):
        form = IntakeForm(
            phone=f"137{i:08d}",
            name="基准测试",
            subject="电热水壶漏水",
            description="客户反映电热水壶底部漏水，要求更换。",
            demand="要求换新",
            channel=Channel.PHONE,
            severity=Severity.C,
            order_ref=f"SO-BENCH-{i}",
            acknowledged=i % 2 == 0,
        )
        started = time.perf_counter()
        desk.intake(agent, form)
        if i >= warmup:
            samples.append(time.perf_counter() - started)
    engine.dispose()
    return IntakeResult(percentiles(samples), _raw_commits(path, count, warmup))


def _raw_commits(path: Path, count: int, warmup: int) -> Latency:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        cursor = conn.execute("SELECT * FROM complaint ORDER BY id DESC LIMIT 1")
        columns = [d[0] for d in cursor.description]
        template = list(cursor.fetchone())
        number = columns.index("number")
        next_id = template[columns.index("id")] + 1
        sql = "INSERT INTO complaint ({}) VALUES ({})".format(
            ", ".join(columns), ", ".join("?" * len(columns))
        )
        samples = []
        for i in range(warmup + count):
            row = list(template)
            row[0], row[number] = next_id + i, f"TS-RAW-{i:06d}"
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, row)
            conn.execute("COMMIT")
            if i >= warmup:
                samples.append(time.perf_counter() - started)
        return percentiles(samples)
    finally:
        conn.close()

"""The monthly analysis on a desk of 1,000,000 cases spread over years: `deskapp.report.build`
for the last whole month, beside a plain `SELECT count(*)` of the same month's cases on the
same file, each the median of a few runs after a warm-up.

The desk: a demo working day of a few thousand cases (with their milestones, events and
revisits), then its complaints copied again and again, each round fifteen days further back,
until the desk holds the wanted number. A month then holds what a busy desk's month does (the
demo's own cases and a couple of rounds of copies); the copies carry no milestones, so the
promise figures read the demo's. The report reads each figure from an index range of the
month, so its cost follows the month, not the desk.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from deskapp import clock, demo
from deskapp.cases import Desk
from deskapp.report import build, parse_period
from store import report as sql
from store.engine import make_engine, read_session
from store.migrate import upgrade

#: Days each round of copies is moved back.
SHIFT_DAYS = 15


@dataclass(frozen=True)
class ReportResult:
    cases: int
    month_cases: int
    report_ms: float
    count_ms: float


def build_desk(path: Path, cases: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, cases=min(4000, cases), seed=7)
    with engine.begin() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(complaint)") if r[1] != "id"]
        base = int(conn.exec_driver_sql("SELECT max(id) FROM complaint").scalar() or 0)
        have, rounds = base, 0
        while have < cases:
            rounds += 1
            take = min(base, cases - have)
            shifted = ", ".join(
                "number || '-' || :k"
                if c == "number"
                else f"strftime('%Y-%m-%d %H:%M:%f', {c}, :shift)"
                if c in ("created_at", "updated_at")
                else c
                for c in cols
            )
            conn.exec_driver_sql(
                f"INSERT INTO complaint ({', '.join(cols)}) SELECT {shifted} FROM complaint "
                f"WHERE id <= {base} ORDER BY id LIMIT {take}",
                {"k": rounds, "shift": f"-{SHIFT_DAYS * rounds} days"},
            )
            have += take
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def bench_report(path: Path, cases: int, repeats: int) -> ReportResult:
    url = build_desk(path, cases)
    engine = make_engine(url)
    try:
        desk = Desk(engine)
        # The last whole month: the demo's working days lie in it.
        first = clock.now().astimezone(desk.settings.tz).date().replace(day=1)
        last = first - timedelta(days=1)
        month = parse_period(f"{last.year}-{last.month:02d}")
        start, end = month.bounds(desk.settings.tz)

        def counted() -> int:
            with read_session(engine) as s:
                return sql.plain_count(s, start, end)

        def reported() -> int:
            return build(desk, month).received

        def median_ms(work: object) -> float:
            work()  # type: ignore[operator]
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                work()  # type: ignore[operator]
                runs.append(time.perf_counter() - started)
            return statistics.median(runs) * 1000

        return ReportResult(cases, counted(), median_ms(reported), median_ms(counted))
    finally:
        engine.dispose()

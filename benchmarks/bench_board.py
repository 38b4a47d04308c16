"""The breach board's refresh on the desk the issue names: 1,000,000 cases of which 100,000
are open (a working day's mix of states, copied), timed as the board's database thread makes it
(the list's page and count, the wall, the header's counts) beside the same statements replayed
by plain sqlite3 on the same file, and beside the read the old board made on every refresh: the
at-risk and breached cases counted per department by a scan of the open cases.

The desk: a demo working day of a few thousand cases, then its open complaints copied until
100,000 are open and its closed ones until the desk holds the wanted total. Milestones are not
copied: the wall's milestone reads (today's promises, the oldest unacknowledged case) walk
indexes by today's instants and by kind, so they cost what today holds, not what the desk does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, func, select
from sqlmodel import col

from benchmarks.bench_queue import Timed, _time
from deskapp import clock, demo
from deskapp.board import read_board
from deskapp.cases import Desk
from deskapp.live_queue import QueueReader
from deskapp.overview import my_counts
from screens.breach_board import BreachBoardScreen
from store import board
from store.engine import make_engine, read_session, write_session
from store.migrate import upgrade
from store.models import Complaint
from store.queue import PAUSED_STATUS, QueueFilter


@dataclass(frozen=True)
class BoardResult:
    cases: int
    open_cases: int
    listed: int
    refresh: Timed
    old_tally: Timed


def build(path: Path, cases: int, open_cases: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, cases=min(4000, cases), seed=7)
    with engine.begin() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(complaint)") if r[1] != "id"]
        copy = ", ".join("number || '-' || k" if c == "number" else c for c in cols)
        rounds = 0
        for which, want in (("is_open", open_cases), ("NOT is_open", cases - open_cases)):
            have = conn.exec_driver_sql(f"SELECT count(*) FROM complaint WHERE {which}").scalar()
            have = int(have or 0)
            while have < want:
                batch = min(want - have, have)
                rounds += 1
                conn.exec_driver_sql(
                    f"INSERT INTO complaint ({', '.join(cols)}) "
                    f"SELECT {copy} FROM complaint, (SELECT {rounds} AS k) "
                    f"WHERE {which} ORDER BY id LIMIT {batch}"
                )
                have += batch
    with write_session(engine) as s:
        board.rebuild(s)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def _old_tally(s: object, now: object) -> object:
    """The read the board made before the tally: at-risk and breached per department, counted
    over the open cases by their head promise's instants."""
    from sqlmodel import Session

    assert isinstance(s, Session)
    running = col(Complaint.status) != PAUSED_STATUS
    late = func.sum(case(((col(Complaint.next_due_at) <= now) & running, 1), else_=0))
    risk = func.sum(
        case(
            (
                (col(Complaint.next_due_at) > now) & (col(Complaint.next_warn_at) <= now) & running,
                1,
            ),
            else_=0,
        )
    )
    stmt = (
        select(col(Complaint.primary_dept_id), risk, late)
        .where(col(Complaint.is_open))
        .group_by(col(Complaint.primary_dept_id))
    )
    return s.execute(stmt).all()


def bench_board(path: Path, cases: int, open_cases: int, repeats: int) -> BoardResult:
    url = build(path, cases, open_cases)
    engine = make_engine(url)
    try:
        desk = Desk(engine)
        supervisor = desk.actor("supervisor").staff_id
        view = QueueFilter(states=BreachBoardScreen.fixed_states)
        reader = QueueReader(engine, view)
        window = reader.top(clock.now())

        def refreshed() -> object:
            now = clock.now()
            reader.reload(window, now)
            read_board(desk, now)
            return my_counts(engine, supervisor, now)

        def old() -> object:
            with read_session(engine) as s:
                return _old_tally(s, clock.now())

        return BoardResult(
            cases,
            open_cases,
            window.total,
            _time(engine, path, refreshed, repeats),
            _time(engine, path, old, repeats),
        )
    finally:
        engine.dispose()

"""The intake benchmark's baseline must write what the intake writes, or its ratio compares
unlike things: the same tables, the same number of rows, the same values, a chain that verifies.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from benchmarks.bench_store import RawIntake, form
from deskapp import audit
from deskapp.cases import Desk
from store.engine import read_session
from tests.conftest import seed_staff


def _state(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table, and the two counters an intake moves without adding a row."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    state = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    state["day_sequence.last"] = conn.execute(
        "SELECT coalesce(sum(last), 0) FROM day_sequence"
    ).fetchone()[0]
    state["audit_head.last_event_id"] = conn.execute(
        "SELECT last_event_id FROM audit_head WHERE id = 1"
    ).fetchone()[0]
    return state


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def _without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def test_raw_copy_writes_the_same_rows_and_a_chain_that_verifies(
    sqlite_engine: Engine,
) -> None:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    agent = desk.actor("agent")
    raw = RawIntake(Path(sqlite_engine.url.database or ""))
    desk.intake(agent, form(99))  # the day's first case creates its counter row; later ones bump it
    try:
        for i in range(2):  # acknowledged on the call, then not: one milestone met, then none
            before = _state(raw.conn)
            result = desk.intake(agent, form(i))
            middle = _state(raw.conn)
            written = raw.read_back(result.complaint_id)
            copy_id = raw.write(written, f"138{i:08d}")
            after = _state(raw.conn)

            assert _delta(before, middle) == _delta(middle, after)
            assert _delta(before, middle)["milestone"] == len(written.milestones) >= 4
            copy = raw.read_back(copy_id)
            assert copy.day == written.day
            assert _without(copy.customer, "phone") == _without(written.customer, "phone")
            assert copy.customer["phone"] == f"138{i:08d}"
            assert _without(copy.complaint, "number", "customer_id") == _without(
                written.complaint, "number", "customer_id"
            )
            assert [_without(m, "complaint_id") for m in copy.milestones] == [
                _without(m, "complaint_id") for m in written.milestones
            ]
            assert [e[:4] for e in copy.events] == [e[:4] for e in written.events]
            assert copy.events[0][4]["number"] == copy.complaint["number"]
    finally:
        raw.close()
    with read_session(sqlite_engine) as s:
        assert audit.verify(s).ok

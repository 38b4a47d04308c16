"""`deskapp audit verify`, the rows: every row of the sealed tables against the latest seal the
chain holds for it (deskapp.seals says how rows are sealed).

One pass over the chain (the same pass that checks the hashes) copies each row's latest seal
into a scratch SQLite file beside nothing else, so memory stays flat on a desk of millions of
rows; then each sealed table is read in key order and every row's seal recomputed and looked
up. A row whose seal differs was changed outside the desk (the fingerprints name the
columns), a row with no seal was added outside it, a sealed row that is missing was deleted
outside it, and a row the desk deleted that is back was put back outside it.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskapp import audit, seals
from store.models import CaseEvent

#: Problems listed one by one; beyond that they are counted.
LISTED = 50
#: What names a row for people, beside its table and key.
_LABEL = {"complaint": "number", "staff": "login", "department": "code", "customer": "name"}


@dataclass(frozen=True)
class RowProblem:
    table: str
    key: str
    #: "changed", "added", "deleted" or "restored" (outside the desk, each)
    what: str
    #: the columns that differ, for a changed row whose fingerprints tell
    columns: tuple[str, ...] = ()
    #: the event holding the row's latest seal
    event_id: int | None = None
    label: str = ""

    def describe(self) -> str:
        name = f"{self.table} {self.key}" + (f" ({self.label})" if self.label else "")
        sealed = f" (sealed by event {self.event_id})" if self.event_id else ""
        if self.what == "changed":
            which = ", ".join(self.columns) if self.columns else "a column the seal cannot name"
            return f"{name}: {which} changed outside the desk{sealed}"
        if self.what == "added":
            return f"{name}: added outside the desk (no seal in the audit chain)"
        if self.what == "deleted":
            return f"{name}: deleted outside the desk{sealed}"
        return f"{name}: deleted by the desk, then put back outside it{sealed}"


@dataclass
class RowReport:
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    unlisted: int = 0
    #: (event id, instant, rows) of each baseline; more than one means somebody re-sealed
    baselines: list[tuple[int, datetime, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and len(self.baselines) <= 1

    def add(self, problem: RowProblem) -> None:
        if len(self.problems) < LISTED:
            self.problems.append(problem)
        else:
            self.unlisted += 1


class _Ledger:
    """The latest seal of every row, by table and key, in a scratch SQLite file."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE seen (tbl TEXT, key TEXT, event_id INTEGER, seal TEXT,"
            " version INTEGER, present INTEGER DEFAULT 0, PRIMARY KEY (tbl, key)) WITHOUT ROWID"
        )
        self.baselines: list[tuple[int, datetime, int]] = []
        self._pending: list[tuple[str, str, int, str, int]] = []

    def take(self, event: CaseEvent) -> None:
        if event.kind not in seals.SEAL_KINDS:
            return
        payload = json.loads(event.payload)
        version = int(payload.get("v", seals.VERSION))
        count = 0
        for table, rows in payload.get("rows", {}).items():
            for key, value in rows.items():
                self._pending.append((table, key, event.id or 0, value, version))
                count += 1
        if event.kind == seals.BASELINE_EVENT:
            # A baseline of many rows spans several events, numbered from 1.
            if payload.get("part", 1) == 1 or not self.baselines:
                self.baselines.append((event.id or 0, event.at, count))
            else:
                first, at, rows = self.baselines[-1]
                self.baselines[-1] = (first, at, rows + count)
        if len(self._pending) >= 5000:
            self.flush()

    def flush(self) -> None:
        self.db.executemany(
            "INSERT INTO seen (tbl, key, event_id, seal, version) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (tbl, key) DO UPDATE SET event_id = excluded.event_id,"
            " seal = excluded.seal, version = excluded.version, present = 0",
            self._pending,
        )
        self._pending.clear()

    def lookup(self, table: str, keys: list[str]) -> dict[str, tuple[int, str, int]]:
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"SELECT key, event_id, seal, version FROM seen WHERE tbl = ? AND key IN ({marks})",
            [table, *keys],
        )
        found = {key: (event_id, seal, version) for key, event_id, seal, version in rows}
        self.db.executemany(
            "UPDATE seen SET present = 1 WHERE tbl = ? AND key = ?",
            [(table, k) for k in found],
        )
        return found

    def missing(self, table: str) -> Iterator[tuple[str, int]]:
        yield from self.db.execute(
            "SELECT key, event_id FROM seen WHERE tbl = ? AND present = 0 AND seal <> ?"
            " ORDER BY key",
            (table, seals.GONE),
        )


def check_rows(session: Session, batch: int = 1000) -> tuple[audit.Verification, RowReport]:
    """The chain (as `audit.verify`) and, in the same pass and snapshot, every sealed row."""
    report = RowReport()
    with tempfile.TemporaryDirectory(prefix="deskapp-verify-") as scratch:
        ledger = _Ledger(Path(scratch) / "seals.db")
        try:
            chain = audit.verify(session, tap=ledger.take)
            ledger.flush()
            report.baselines = ledger.baselines
            for table in seals.COLUMNS[seals.VERSION]:
                _check_table(session, ledger, table, report, batch)
        finally:
            ledger.db.close()
    return chain, report


def _check_table(
    session: Session, ledger: _Ledger, table: str, report: RowReport, batch: int
) -> None:
    from sqlalchemy import true

    rows = seals.read_rows(session, table, true())
    label_column = _LABEL.get(table)
    while True:
        chunk = [row for _, row in zip(range(batch), rows, strict=False)]
        if not chunk:
            break
        keyed = {seals.row_key(table, row._mapping): row for row in chunk}
        found = ledger.lookup(table, list(keyed))
        for key, row in keyed.items():
            report.rows += 1
            label = str(row._mapping[label_column]) if label_column else ""
            if key not in found:
                report.add(RowProblem(table, key, "added", label=label))
                continue
            event_id, sealed, version = found[key]
            if sealed == seals.GONE:
                report.add(RowProblem(table, key, "restored", event_id=event_id, label=label))
                continue
            columns = seals.COLUMNS[version][table]
            now = seals.seal(table, [row._mapping[c] for c in columns])
            if now.split(".")[0] != sealed.split(".")[0]:
                which = seals.differing_columns(table, version, sealed, now) or []
                report.add(RowProblem(table, key, "changed", tuple(which), event_id, label=label))
    for key, event_id in ledger.missing(table):
        report.add(RowProblem(table, key, "deleted", event_id=event_id))


def snapshot_engine(engine: Engine) -> Engine:
    """The engine verify reads through: on PostgreSQL one REPEATABLE READ snapshot, so that the
    chain and the rows are read as of one instant while other desks go on writing (SQLite's
    read transaction is a snapshot already)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine

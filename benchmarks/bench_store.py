"""How long an agent waits for "saved": the intake use case, commit included, on SQLite.

The baseline writes the same rows with plain `sqlite3` in one transaction, as a hand-written
intake would: the customer upsert (the same `ON CONFLICT (phone) DO NOTHING` and the read of its
id), the day-sequence bump that numbers the case, the complaint, its milestones, the audit
events with their chained hashes and the audit head moved on, and the row seal that closes the
transaction (deskapp.seals; copied as recorded, so the raw writer does not read the rows back
nor digest them: that is the desk's cost too). The rows are copied from the
intake just made (read back untimed), so the two write the same tables, the same number of rows
and the same values; `tests/test_benchmarks.py` holds the copy to that, and the chain it
writes must verify. What the desk adds on top is its own cost: validation, triage, the repeat
check, planning the milestones on a business calendar, and SQLAlchemy.

The two run interleaved (one intake, then its raw copy) on one file with the same pragmas
(WAL, synchronous=NORMAL), so checkpoints and a growing file fall on both alike.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deskapp import demo
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import Channel, Severity
from deskapp.seals import SEAL_EVENT
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
    #: Rows the raw transaction writes (and one intake writes), for the row's label.
    rows: int


def percentiles(samples: list[float]) -> Latency:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
        return ordered[index] * 1000

    return Latency(at(0.50), at(0.99), len(ordered))


def form(i: int) -> IntakeForm:
    """A complaint about a product of its own, in words no batch rule groups by: each intake
    records its keys and forms no batch issue (joining one adds a lookup and a few writes that
    the raw copy below could not repeat row for row)."""
    return IntakeForm(
        phone=f"137{i:08d}",
        name="基准测试",
        subject=f"电热水壶 KB-{i} 有问题",
        description="客户反映电热水壶有问题，要求处理。",
        demand="要求换新",
        channel=Channel.PHONE,
        severity=Severity.C,
        order_ref=f"SO-BENCH-{i}",
        product_ref=f"KB-{i}",
        acknowledged=i % 2 == 0,
    )


def _canonical(value: Any) -> str:
    """The audit log's canonical JSON (`deskapp.audit.dumps`), written out again here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class IntakeRows:
    """What one intake wrote, read back: the rows a raw writer has to write again."""

    customer: dict[str, Any]
    complaint: dict[str, Any]
    milestones: list[dict[str, Any]]
    #: (actor_id, at as stored, at as hashed, kind, payload)
    events: list[tuple[int | None, str, str, str, dict[str, Any]]]
    day: str
    #: The escalation ladder's next rung per running milestone: (milestone's index in
    #: `milestones`, reached, due_at).
    dues: list[tuple[int, int, str | None]]
    #: What the case may share with others (deskapp.batches): (key, at).
    batch_keys: list[tuple[str, str]]

    @property
    def count(self) -> int:
        """Rows inserted or updated: customer, day sequence, complaint, milestones, the
        ladder's due rows, events, audit head."""
        return (
            3 + len(self.milestones) + len(self.dues) + len(self.batch_keys) + len(self.events) + 1
        )


def _insert(table: str, columns: list[str], tail: str = "") -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){tail}"


class RawIntake:
    """Plain sqlite3 on the desk's file, with the pragmas `store.engine` sets."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.conn.close()

    def _row(self, sql: str, *params: Any) -> dict[str, Any]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))

    def read_back(self, complaint_id: int) -> IntakeRows:
        """The rows the intake of `complaint_id` wrote (not timed)."""
        complaint = self._row("SELECT * FROM complaint WHERE id = ?", complaint_id)
        customer = self._row("SELECT * FROM customer WHERE id = ?", complaint["customer_id"])
        cursor = self.conn.execute(
            "SELECT * FROM milestone WHERE complaint_id = ? ORDER BY id", (complaint_id,)
        )
        names = [d[0] for d in cursor.description]
        milestones = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        index = {m["id"]: i for i, m in enumerate(milestones)}
        dues = [
            (index[ident], reached, due)
            for ident, reached, due in self.conn.execute(
                "SELECT milestone_id, reached, due_at FROM escalation_due WHERE complaint_id = ? "
                "ORDER BY milestone_id",
                (complaint_id,),
            )
        ]
        events = []
        # The case's events and the row seal that closed the intake's transaction (no case:
        # deskapp.seals), which follows them.
        for actor, at, kind, payload in self.conn.execute(
            "SELECT actor_id, at, kind, payload FROM case_event WHERE id BETWEEN "
            "(SELECT min(id) FROM case_event WHERE complaint_id = :c) AND "
            "(SELECT min(id) FROM case_event WHERE kind = :seal AND id > "
            " (SELECT max(id) FROM case_event WHERE complaint_id = :c)) "
            "ORDER BY id",
            {"c": complaint_id, "seal": SEAL_EVENT},
        ):
            hashed = datetime.fromisoformat(at).replace(tzinfo=UTC)
            events.append(
                (actor, at, hashed.isoformat(timespec="microseconds"), kind, json.loads(payload))
            )
        for row in (complaint, customer, *milestones):
            del row["id"]
        keys = [
            (str(key), str(at))
            for key, at in self.conn.execute(
                "SELECT key, at FROM batch_key WHERE complaint_id = ? ORDER BY key", (complaint_id,)
            )
        ]
        return IntakeRows(
            customer, complaint, milestones, events, complaint["number"][3:11], dues, keys
        )

    def write(self, rows: IntakeRows, phone: str) -> int:
        """The same rows for a new caller with `phone`, in one transaction; the complaint id."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            customer = {**rows.customer, "phone": phone}
            c.execute(
                _insert(
                    "customer",
                    list(customer),
                    " ON CONFLICT (phone) WHERE phone <> '' DO NOTHING",
                ),
                list(customer.values()),
            )
            customer_id = c.execute("SELECT id FROM customer WHERE phone = ?", (phone,)).fetchone()
            last = c.execute(
                "INSERT INTO day_sequence (day, last) VALUES (?, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last",
                (rows.day,),
            ).fetchone()[0]
            number = f"TS-{rows.day}-{last:04d}"
            complaint = {**rows.complaint, "number": number, "customer_id": customer_id[0]}
            complaint_id = c.execute(
                _insert("complaint", list(complaint)), list(complaint.values())
            ).lastrowid
            if rows.milestones:
                columns = list(rows.milestones[0])
                c.executemany(
                    _insert("milestone", columns),
                    [[complaint_id if k == "complaint_id" else m[k] for k in columns]
                     for m in rows.milestones],
                )  # fmt: skip
            if rows.dues:
                made = [
                    r[0]
                    for r in c.execute(
                        "SELECT id FROM milestone WHERE complaint_id = ? ORDER BY id",
                        (complaint_id,),
                    )
                ]
                c.executemany(
                    "INSERT INTO escalation_due (milestone_id, complaint_id, reached, due_at) "
                    "VALUES (?, ?, ?, ?)",
                    [(made[i], complaint_id, reached, due) for i, reached, due in rows.dues],
                )
            c.execute(
                "INSERT INTO board_tally (dept_id, severity, open, paused) VALUES (?, ?, 1, 0) "
                "ON CONFLICT (dept_id, severity) DO UPDATE SET open = open + 1",
                (complaint["primary_dept_id"] or 0, complaint["severity"]),
            )
            c.executemany(
                "INSERT INTO batch_key (key, complaint_id, at) VALUES (?, ?, ?)",
                [(f"{key}-{phone}", complaint_id, at) for key, at in rows.batch_keys],
            )
            event_id, prev = c.execute(
                "SELECT last_event_id, last_hash FROM audit_head WHERE id = 1"
            ).fetchone()
            for actor, at, hashed_at, kind, template in rows.events:
                event_id += 1
                payload = _renumbered(template, number, phone)
                case_id = None if kind == SEAL_EVENT else complaint_id
                body = _canonical(
                    {
                        "id": event_id,
                        "complaint_id": case_id,
                        "actor_id": actor,
                        "at": hashed_at,
                        "kind": kind,
                        "payload": payload,
                    }
                )
                digest = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
                c.execute(
                    "INSERT INTO case_event (id, complaint_id, actor_id, at, kind, payload, "
                    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (event_id, case_id, actor, at, kind, _canonical(payload), prev, digest),
                )
                prev = digest
            c.execute(
                "UPDATE audit_head SET last_event_id = ?, last_hash = ? WHERE id = 1",
                (event_id, prev),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return int(complaint_id or 0)


def _renumbered(payload: dict[str, Any], number: str, phone: str) -> dict[str, Any]:
    """The event's payload for the copy: its own case number and caller."""
    out = dict(payload)
    if "number" in out:
        out["number"] = number
    if isinstance(out.get("fields"), dict) and "phone" in out["fields"]:
        out["fields"] = {**out["fields"], "phone": phone}
    return out


def bench_intake(workdir: Path, *, count: int = 500, warmup: int = 50) -> IntakeResult:
    """`count` intakes after `warmup` on a desk already holding 1,000 demo cases, each
    followed by its raw copy."""
    path = workdir / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    demo.generate(engine, cases=1000, seed=1, workers=0)
    desk = Desk(engine)
    agent = desk.actor("agent")
    raw = RawIntake(path)
    ours, theirs = [], []
    rows = 0
    try:
        for i in range(warmup + count):
            started = time.perf_counter()
            result = desk.intake(agent, form(i))
            took = time.perf_counter() - started
            written = raw.read_back(result.complaint_id)
            rows = written.count
            started = time.perf_counter()
            raw.write(written, f"138{i:08d}")
            raw_took = time.perf_counter() - started
            if i >= warmup:
                ours.append(took)
                theirs.append(raw_took)
    finally:
        raw.close()
        engine.dispose()
    return IntakeResult(percentiles(ours), percentiles(theirs), rows)

"""The tampering issue 14 names, each found on both backends: events reordered, an event put in
between two others, an event's time changed (the chain); a complaint's field and a staff
member's role changed behind the desk's back (the row seals, `test_row_seals.py` has the rest);
an emptied log and a recomputed chain are in `test_audit_chain.py`."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from deskapp import audit, clock
from deskapp.cases import Desk
from deskapp.seal_check import check_rows
from store.engine import read_session, write_session
from tests.deskapp.test_cases import form


def _log(engine: Engine, n: int) -> None:
    for i in range(n):
        with write_session(engine) as s:
            audit.append(s, kind="note", actor_id=None, payload={"i": i})


def _check(engine: Engine) -> tuple[audit.Verification, list[tuple[str, str, tuple[str, ...]]]]:
    with read_session(engine) as s:
        chain, rows = check_rows(s)
    return chain, [(p.table, p.what, p.columns) for p in rows.problems]


def test_two_events_swapped_are_found(engine: Engine) -> None:
    _log(engine, 4)
    with engine.begin() as conn:
        a = conn.execute(text("SELECT payload, hash, prev_hash FROM case_event WHERE id = 2")).one()
        b = conn.execute(text("SELECT payload, hash, prev_hash FROM case_event WHERE id = 3")).one()
        for ident, row in ((2, b), (3, a)):
            conn.execute(
                text("UPDATE case_event SET payload = :p, hash = :h, prev_hash = :v WHERE id = :i"),
                {"p": row[0], "h": row[1], "v": row[2], "i": ident},
            )
    chain, _ = _check(engine)
    assert not chain.ok and chain.broken_id == 2


def test_an_event_put_in_between_is_found(engine: Engine) -> None:
    """Ids shifted up by one from the third event, and a forged event made to follow the second
    (its own hash right): the event after it no longer follows it."""
    _log(engine, 4)
    with engine.begin() as conn:
        for ident in (4, 3):
            conn.execute(text(f"UPDATE case_event SET id = {ident + 1} WHERE id = {ident}"))
        second = conn.execute(text("SELECT hash FROM case_event WHERE id = 2")).scalar_one()
    with write_session(engine) as s:
        from store.models import CaseEvent

        forged = CaseEvent(
            id=3, at=clock.now(), kind="note", payload=audit.dumps({"forged": True}),
            prev_hash=second, hash="",
        )  # fmt: skip
        forged.hash = audit.event_hash(forged)
        s.add(forged)
    chain, _ = _check(engine)
    assert not chain.ok and chain.broken_id == 4  # the shifted event after the forged one


def test_a_changed_time_is_found(engine: Engine) -> None:
    _log(engine, 3)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_event SET at = :at WHERE id = 2"),
            {"at": "2026-01-01 00:00:00.000000"},
        )
    chain, _ = _check(engine)
    assert not chain.ok and chain.broken_id == 2 and "hash" in chain.reason


def test_a_complaint_field_and_a_role_changed_behind_the_desk(
    engine: Engine, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    desk.intake(desk.actor("agent"), form())
    assert _check(engine) == (audit.Verification(_check(engine)[0].count), [])
    with engine.begin() as conn:
        conn.execute(text("UPDATE complaint SET severity = 'A'"))
        conn.execute(text("UPDATE staff SET roles = 'admin' WHERE login = 'agent'"))
    chain, problems = _check(engine)
    assert chain.ok  # the events are intact; the rows are not
    assert sorted(problems) == [
        ("complaint", "changed", ("severity",)),
        ("staff", "changed", ("roles",)),
    ]

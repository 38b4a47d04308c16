"""The event log is hash-chained: any edit, removal or reordering is found and named."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine

from deskapp import audit
from deskapp.cli import main
from store.engine import read_session, write_session


def _log(engine: Engine, n: int) -> None:
    for i in range(n):
        with write_session(engine) as s:
            audit.append(s, kind="note", actor_id=None, payload={"i": i, "text": "客户来电 ☎"})


def _verify(engine: Engine) -> audit.Verification:
    with read_session(engine) as s:
        return audit.verify(s, batch=3)


def test_intact_chain_verifies(engine: Engine) -> None:
    _log(engine, 7)
    result = _verify(engine)
    assert result.ok and result.count == 7
    with read_session(engine) as s:
        assert audit.latest_event_id(s) == 7


def test_changed_payload_is_named(engine: Engine) -> None:
    _log(engine, 5)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_event SET payload = :p WHERE id = 3"), {"p": json.dumps({"i": 99})}
        )
    result = _verify(engine)
    assert not result.ok and result.broken_id == 3 and result.count == 2
    assert "hash" in result.reason


def test_removed_event_is_found(engine: Engine) -> None:
    _log(engine, 5)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM case_event WHERE id = 2"))
    result = _verify(engine)
    assert result.broken_id == 3 and "prev_hash" in result.reason


def test_truncated_tail_is_found(engine: Engine) -> None:
    _log(engine, 4)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM case_event WHERE id = 4"))
    result = _verify(engine)
    assert result.broken_id == 4 and "missing" in result.reason


def test_rewritten_time_is_found(engine: Engine) -> None:
    _log(engine, 3)
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_event SET actor_id = NULL, kind = 'x' WHERE id = 1"))
    assert _verify(engine).broken_id == 1


def test_cli_verify_exit_codes(db_url: str, engine: Engine) -> None:
    _log(engine, 3)
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert "3 events" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_event SET kind = 'forged' WHERE id = 2"))
    broken = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert broken.exit_code == 1
    assert "event 2" in broken.output


def test_rolled_back_event_leaves_no_gap(engine: Engine) -> None:
    _log(engine, 2)
    with pytest.raises(RuntimeError), write_session(engine) as s:
        audit.append(s, kind="note", actor_id=None, payload={})
        raise RuntimeError("use case failed")
    _log(engine, 1)
    assert _verify(engine).ok


def test_an_emptied_log_is_not_an_intact_one(engine: Engine) -> None:
    assert _verify(engine).ok  # a new desk: no events, the head says none
    _log(engine, 4)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM case_event"))
    result = _verify(engine)
    assert not result.ok and result.count == 0
    assert result.reason == "the log is empty but 4 events were written"
    verified = CliRunner().invoke(main, ["audit", "verify", "--db", str(engine.url)])
    assert verified.exit_code == 1

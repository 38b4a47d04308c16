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


def test_an_anchor_finds_a_recomputed_chain(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Someone with write access edits event 2 and recomputes every hash after it: the chain
    alone verifies, the anchor made before does not."""
    key, anchored = tmp_path / "audit.key", tmp_path / "anchor.json"
    url = str(engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "keygen", "--key", str(key)]).exit_code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(main, ["audit", "keygen", "--key", str(key)]).exit_code == 2  # kept
    _log(engine, 5)
    made = runner.invoke(
        main, ["audit", "anchor", "--db", url, "--key", str(key), "--output", str(anchored)]
    )
    assert made.exit_code == 0, made.output
    _log(engine, 2)  # the log grows after the anchor: it still extends it
    ok = runner.invoke(
        main, ["audit", "verify", "--db", url, "--anchor", str(anchored), "--key", str(key)]
    )
    assert ok.exit_code == 0 and "extends the anchor" in ok.output, ok.output

    _rewrite_from(engine, 2, {"i": 99, "text": "改过的"})
    assert _verify(engine).ok  # the rewritten chain is self-consistent
    caught = runner.invoke(
        main, ["audit", "verify", "--db", url, "--anchor", str(anchored), "--key", str(key)]
    )
    assert caught.exit_code == 1
    assert "no longer has the hash anchored" in caught.output

    # A forged anchor (made without the key) is refused as such.
    forged = json.loads(anchored.read_text())
    forged["hash"] = "0" * 64
    anchored.write_text(json.dumps(forged))
    refused = runner.invoke(
        main, ["audit", "verify", "--db", url, "--anchor", str(anchored), "--key", str(key)]
    )
    assert refused.exit_code == 1 and "signature does not match" in refused.output


def _rewrite_from(engine: Engine, event_id: int, payload: dict[str, object]) -> None:
    """What an attacker with write access does: change one event, recompute the chain after."""
    from sqlmodel import col, select

    from store.models import AuditHead, CaseEvent

    with write_session(engine) as s:
        events = s.exec(select(CaseEvent).order_by(col(CaseEvent.id))).all()
        prev = audit.GENESIS
        for event in events:
            if event.id == event_id:
                event.payload = audit.dumps(payload)
            event.prev_hash = prev
            event.hash = audit.event_hash(event)
            prev = event.hash
            s.add(event)
        head = s.get(AuditHead, 1)
        assert head is not None
        head.last_hash = prev
        s.add(head)

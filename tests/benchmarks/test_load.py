"""The load harness itself: a few desk processes on one SQLite file for a few seconds, and the
checker's invariants hold (every acknowledged operation recorded, nothing failed, numbers
unique, counts equal a recount, the audit chain intact)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load import KINDS, run_load


@pytest.mark.slow
def test_four_desks_for_five_seconds(tmp_path: Path) -> None:
    result = run_load(f"sqlite:///{tmp_path / 'load.db'}", 4, 5.0, tmp_path / "run")
    assert result.ok, result.problems
    assert not result.failures
    assert result.ops.get("intake"), "no complaint registered"
    assert set(result.ops) <= set(KINDS)
    # Enough happened for the checks to mean something: cases went past dispatch.
    assert {"accept", "dispatch", "start_investigation"} <= set(result.ops)
    assert len(result.checks) >= 6
    assert all(kb > 0 for kb in result.rss_kb) and len(result.rss_kb) == 4

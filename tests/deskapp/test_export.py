"""Exports (issue 11): cases masked unless an admin asks otherwise (and that is recorded), and
the audit chain as JSON lines that verify offline by the documented procedure."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import export
from deskapp.cases import Desk, IntakeForm
from store.engine import read_session
from store.models import CaseEvent


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int]) -> Desk:
    d = Desk(engine)
    for n in range(3):
        d.intake(
            d.actor("agent"),
            IntakeForm(
                phone=f"1380013800{n}",
                name="王小明",
                email="wang.xm@example.com",
                subject=f"洗衣机漏水 {n}",
                description="漏水",
                demand="换新",
            ),
        )
    return d


def run(db_url: str, *args: str, password: str = "") -> tuple[int, str, str]:
    from deskapp.cli import main

    result = CliRunner().invoke(main, ["export", *args, "--db", db_url], input=password)
    return result.exit_code, result.stdout, result.stderr


def test_cases_are_masked_by_default(desk: Desk, db_url: str) -> None:
    code, out, err = run(db_url, "cases")
    assert code == 0 and "exported 3 cases" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["subject"] for r in rows] == ["洗衣机漏水 0", "洗衣机漏水 1", "洗衣机漏水 2"]
    assert {(r["customer_name"], r["customer_email"]) for r in rows} == {
        ("王**", "w***@example.com")
    }
    assert rows[0]["customer_phone"] == "138****8000"
    assert rows[0]["first_owner"] == "agent" and rows[0]["received_at"].endswith("+08:00")
    code, out, _err = run(db_url, "cases", "--format", "jsonl", "--since", "2026-11-24")
    assert code == 0 and out == ""  # all three came on the 23rd


def test_unmasked_needs_an_admin_and_is_recorded(desk: Desk, db_url: str) -> None:
    code, _out, err = run(db_url, "cases", "--unmasked")
    assert code == 2 and "needs --as ADMIN" in err
    code, _out, err = run(db_url, "cases", "--unmasked", "--as", "supervisor", password="demo\n")
    assert code == 2 and "not an admin" in err
    code, out, err = run(
        db_url, "cases", "--unmasked", "--as", "admin", "--format", "jsonl", password="demo\n"
    )
    assert code == 0 and "exported 3 cases unmasked" in err
    first = json.loads(out.splitlines()[0])
    assert (first["customer_name"], first["customer_phone"]) == ("王小明", "13800138000")
    with read_session(desk.engine) as s:
        [event] = s.exec(select(CaseEvent).where(CaseEvent.kind == export.UNMASKED_EVENT)).all()
    assert json.loads(event.payload)["cases"] == 3 and event.actor_id is not None


def test_the_audit_export_verifies_offline_and_any_change_is_caught(
    desk: Desk, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "audit.jsonl"
    code, _out, err = run(db_url, "audit", "--output", str(out))
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    assert code == 0 and f"exported {len(lines)} events" in err
    checked, problem = export.verify_lines(lines)
    assert problem is None and checked == len(lines) > 3
    # The procedure in docs/audit-export.md, run as an auditor would (it is the same check).
    doc = (Path(__file__).parents[2] / "docs" / "audit-export.md").read_text(encoding="utf-8")
    script = doc.split("```python\n")[1].split("```")[0].replace('"audit.jsonl"', repr(str(out)))
    exec(compile(script, "audit-export.md", "exec"), {})  # the documented code, as written
    changed = json.loads(lines[1])
    changed["payload"]["version"] = 99
    for tampered in (
        [lines[0], json.dumps(changed, ensure_ascii=False) + "\n", *lines[2:]],
        [lines[0], *lines[2:]],  # one removed
        [lines[1], lines[0], *lines[2:]],  # reordered
    ):
        _checked, problem = export.verify_lines(tampered)
        assert problem is not None and problem.startswith(("line 1", "line 2"))

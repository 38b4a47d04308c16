"""`kill -9` at the worst moment: a desk process dies at the commit of an intake, a transfer and
a compensation approval (every row written and flushed, the commit not yet sent), on both
backends. Afterwards nothing of it is in the database, the case is as it was, the chain
verifies, and the same step succeeds when tried again. The draft side (what was typed comes
back at the next start) is `tests/e2e/test_terminal_drafts.py` and the e2e test below.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from deskapp.cases import Desk
from deskapp.cli import main
from store.engine import read_session
from store.models import CaseEvent, Complaint, Customer, DaySequence, Milestone, Notification
from tests.conftest import case_rows
from tests.deskapp.test_cases import Flow, form, full_plan, who

pytestmark = pytest.mark.slow

CHILD = """
import sys
from decimal import Decimal
from deskapp.cases import Desk, IntakeForm
from store.engine import make_engine
desk = Desk(make_engine(sys.argv[1]))
step, number, version = sys.argv[2], sys.argv[3], int(sys.argv[4])
if step == "intake":
    desk.intake(desk.actor("agent"), IntakeForm(
        phone="13912345678", name="李雷", subject="电视黑屏", description="开机三天就黑屏",
        demand="换新"))
elif step == "transfer":
    desk.act(desk.actor("manager"), number, "transfer", expected_version=version,
             department_id=int(sys.argv[5]), reason="运输破损，物流部处理")
elif step == "approve_compensation":
    desk.act(desk.actor("manager"), number, "approve_compensation", expected_version=version)
print("committed")
"""


def _die_at_commit(db_url: str, step: str, *args: str) -> None:
    env = os.environ | {"DESKAPP_FAULT": f"kill-before-commit:{step}"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, db_url, step, *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert "committed" not in done.stdout


def _counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {
            table.__name__: s.exec(select(func.count()).select_from(table)).one()
            for table in (Complaint, Customer, Milestone, CaseEvent, Notification, DaySequence)
        }


def _verified(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
    assert result.exit_code == 0, result.output


def test_killed_during_an_intake_commit(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    before = _counts(engine)
    _die_at_commit(db_url, "intake", "-", "0")
    assert _counts(engine) == before  # no case, customer, milestone, event or number used
    _verified(engine)
    number = desk.intake(who(desk, "agent"), form(phone="13912345678")).number
    assert number == "TS-20261123-0001"  # the dead intake's number was never taken


def test_killed_during_a_transfer_commit(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    flow.do("agent", "accept")
    flow.do("agent", "dispatch", department_id=staffed["dept:QA"])
    before, case_before = _counts(engine), _case(desk, number)
    _die_at_commit(db_url, "transfer", number, str(flow.version), str(staffed["dept:LOG"]))
    assert _counts(engine) == before and _case(desk, number) == case_before
    _verified(engine)
    flow.do("manager", "transfer", department_id=staffed["dept:LOG"], reason="运输破损")
    assert case_rows(desk, number)[0].primary_dept_id == staffed["dept:LOG"]


def test_killed_during_an_approval_commit(
    engine: Engine, db_url: str, staffed: dict[str, int]
) -> None:
    desk = Desk(engine)
    number = desk.intake(who(desk, "agent"), form()).number
    flow = Flow(desk, number)
    full_plan(flow, staffed["dept:QA"], amount="800")
    flow.do("handler", "request_approval")
    before, case_before = _counts(engine), _case(desk, number)
    _die_at_commit(db_url, "approve_compensation", number, str(flow.version))
    assert _counts(engine) == before and _case(desk, number) == case_before
    assert case_rows(desk, number)[0].compensation_approved_by_id is None
    _verified(engine)
    flow.do("manager", "approve_compensation")
    assert case_rows(desk, number)[0].compensation_approved_by_id == staffed["manager"]


def _case(desk: Desk, number: str) -> tuple[object, ...]:
    c, milestones, events = case_rows(desk, number)
    return (
        c.status,
        c.version,
        c.primary_dept_id,
        c.compensation_approved_by_id,
        tuple((m.kind, m.due_at, m.met_at, m.is_open) for m in milestones),
        len(events),
    )

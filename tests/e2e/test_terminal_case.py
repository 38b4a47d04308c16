"""In two real terminals (tmux) on one database: a supervisor and a handler have the same case
open. The handler's plan appears on the supervisor's case screen within 1.5 s; then both start
an action, the handler saves first, and the supervisor's save is refused with who changed what,
their typed reason still on screen."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from deskapp.cases import Desk, IntakeForm
from deskapp.domain import Severity
from tests.e2e.conftest import Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


def _open_case(t: Terminal, login: str, number: str) -> None:
    t.wait_for("Sign in")
    t.keys(login, "Tab", "demo", "Enter")
    t.wait_for("SLA queue")
    t.keys("C-p")
    t.wait_for("Search")
    t.keys(number)
    t.wait_for(f"{number}  ")
    t.keys("Enter")
    t.wait_for(f"Case {number}")


def test_plan_shows_on_the_other_desk_and_a_conflict_keeps_the_text(
    desk_terminal: Callable[[], Terminal], sqlite_engine: Engine
) -> None:
    desk = Desk(sqlite_engine)
    form = IntakeForm(
        phone="13800138000",
        name="Wang Xiaoming",
        subject="Washer leaks",
        description="Leaks on the first wash",
        demand="A new washer",
        severity=Severity.B,
    )
    number = desk.intake(desk.actor("agent"), form).number
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    sup = desk.actor("supervisor")
    desk.act(sup, number, "accept", expected_version=None)
    desk.act(sup, number, "dispatch", expected_version=None, department_id=qa)
    desk.act(desk.actor("handler"), number, "start_investigation", expected_version=None)
    cause = {"root_cause_category": "manufacturing", "whys": ["密封圈装配错位"]}
    desk.act(desk.actor("handler"), number, "record_root_cause", expected_version=None, **cause)

    supervisor, handler = desk_terminal(), desk_terminal()
    _open_case(supervisor, "supervisor", number)
    _open_case(handler, "handler", number)
    supervisor.wait_for("Root cause  Manufacturing")  # investigated; no remedy yet

    handler.keys("l")
    handler.wait_for("Remedy (required)")
    handler.keys("Space", "Down", "Space", "Tab")  # kinds: apology, replacement; then the text
    handler.keys("Replace the washer")
    handler.keys("C-s")
    handler.wait_for("Saved: Propose plan")
    saved = time.monotonic()
    supervisor.wait_for("Apology, Replacement — Replace", timeout=5)
    assert time.monotonic() - saved <= 1.5

    # Both start an action on the plan as it now stands.
    supervisor.keys("E")
    supervisor.wait_for("Reason (required)")
    supervisor.keys("Customer called three times")
    handler.keys("p")
    handler.wait_for("Reason (required)")
    handler.keys("Waiting for photos")
    handler.keys("C-s")
    handler.wait_for("Saved: Wait for customer")
    supervisor.keys("C-s")
    shown = supervisor.wait_for("Not saved")
    assert "Hal Handler (Wait for customer)" in shown.replace("\n", " ")
    assert "Customer called three times" in shown

"""The case screen pinned as reviewed SVG snapshots, in three states of the handling loop: a new
case as its agent sees it, a proposed plan waiting on legal as the handler sees it, and a closed
case with its whole timeline as the supervisor sees it (customer masked). At 80×24 and 120×40,
in Chinese and English; time is frozen and cursors do not blink.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import RiskFlag, Severity
from deskapp.drafts import DraftStore
from screens.case import CaseScreen
from tests.conftest import seed_staff
from tests.screens.conftest import sign_in
from tests.snapshots.test_agent_snapshots import LANGS, SIZES, Compare, still

#: state → (who looks, the steps taken before: (login, action, params))
STATES: dict[str, tuple[str, list[tuple[str, str, dict[str, Any]]]]] = {
    "new": ("agent", []),
    "plan-at-legal": (
        "handler",
        [
            ("supervisor", "accept", {}),
            ("supervisor", "dispatch", {"department_id": "QA"}),
            ("handler", "start_investigation", {}),
            ("handler", "record_contact", {"mode": "phone", "outcome": "约好上门查看"}),
            (
                "handler",
                "record_root_cause",
                {"root_cause_category": "manufacturing", "whys": ["密封圈装配不到位"]},
            ),
            (
                "handler",
                "propose_plan",
                {"remedy": "换新机，并补偿地板维修费", "compensation_amount": "800"},
            ),
            ("handler", "send_to_legal", {}),
        ],
    ),
    "closed": (
        "supervisor",
        [
            ("agent", "accept", {}),
            ("agent", "dispatch", {"department_id": "QA"}),
            ("handler", "start_investigation", {}),
            (
                "handler",
                "record_root_cause",
                {"root_cause_category": "manufacturing", "whys": ["密封圈装配不到位"]},
            ),
            ("handler", "propose_plan", {"remedy": "上门更换密封圈"}),
            ("handler", "send_to_legal", {}),
            ("legal", "legal_approve", {}),
            # A compensation claim, decided though the plan offers no money.
            ("handler", "request_approval", {}),
            ("manager", "approve_compensation", {}),
            ("handler", "resolve", {}),
            ("agent", "confirm", {}),
            ("agent", "give_feedback", {"told_by": "phone"}),
            ("agent2", "revisit", {"satisfaction": 4, "comment": "处理及时"}),
            ("agent", "close", {}),
        ],
    ),
}


@pytest.fixture
def case_app(
    sqlite_engine: Engine, tmp_path: Any
) -> Callable[[str, str], tuple[DeskApp, str, str]]:
    seed_staff(sqlite_engine)
    desk = Desk(sqlite_engine)
    desk.settings.calendar_warning_days = 0
    depts = {d.code: d.id for d in desk.departments()}

    def make(state: str, lang: str) -> tuple[DeskApp, str, str]:
        number = desk.intake(
            desk.actor("agent"),
            IntakeForm(
                phone="13800138000",
                name="王小明",
                subject="洗衣机漏水",
                description="新买的洗衣机第一次用就漏水，地板泡坏了",
                demand="换新机并赔偿地板损失",
                severity=Severity.B,
                flags=frozenset({RiskFlag.LEGAL}),
            ),
        ).number
        viewer, taken = STATES[state]
        for login, action, params in taken:
            if "department_id" in params:
                params = {**params, "department_id": depts[params["department_id"]]}
            desk.act(desk.actor(login), number, action, expected_version=None, **params)
        app = DeskApp(desk=desk, lang=lang, drafts=DraftStore(tmp_path / "drafts"))
        return app, viewer, number

    return make


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", list(STATES))
def test_case_screen(
    snap_compare: Compare,
    case_app: Callable[[str, str], tuple[DeskApp, str, str]],
    state: str,
    lang: str,
    size: tuple[int, int],
) -> None:
    app, viewer, number = case_app(state, lang)

    async def opened(pilot: Pilot[None]) -> None:
        await sign_in(pilot, viewer)
        app.push_screen(CaseScreen(app.ctx, number))
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=opened)

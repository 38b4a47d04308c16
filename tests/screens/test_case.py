"""The case screen and the handling loop by keyboard: each demo role signs in, opens the case and
takes its step; the state, the milestones, the events and the scripts are checked at each one,
and the refusals (authority, separation of duties, the handler's own revisit, conflicts) are
shown in the dialog with nothing typed lost."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList, Static, TextArea

from deskapp import clock
from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import RiskFlag, Severity
from screens.case import CaseScreen
from screens.dialogs.case_action import CaseActionDialog
from tests.conftest import case_rows
from tests.screens.conftest import MakeApp, plain, settle, sign_in
from tests.screens.test_intake import open_intake, type_call

SIZE = (120, 40)


def register(desk: Desk, **extra: object) -> str:
    form = IntakeForm(
        phone="13800138000",
        name="王小明",
        subject="洗衣机漏水",
        description="新买的洗衣机第一次用就漏水",
        demand="换新机并赔偿地板损失",
        severity=Severity.B,
        **extra,  # type: ignore[arg-type]
    )
    return desk.intake(desk.actor("agent"), form).number


@asynccontextmanager
async def on_case(
    make_app: MakeApp, login: str, number: str, lang: str = "en"
) -> AsyncIterator[tuple[Pilot[None], DeskApp]]:
    app = make_app(lang)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, login)
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        yield pilot, app


def offered(app: DeskApp) -> set[str]:
    screen = app.screen
    assert isinstance(screen, CaseScreen)
    return set(screen.offered)


async def act(
    pilot: Pilot[None], key: str, fill: Mapping[str, object] | None = None
) -> CaseActionDialog | None:
    """Press an action's key, fill the dialog, save. Returns the dialog if it stayed open
    (the save was refused), else None."""
    app = pilot.app
    await pilot.press(key)
    await settle(pilot)
    dialog = app.screen
    assert isinstance(dialog, CaseActionDialog), f"{key} opened {dialog!r}"
    for name, value in (fill or {}).items():
        widget = dialog.query_one(f"#action-{name}")
        if isinstance(widget, TextArea):
            widget.text = str(value)
        elif isinstance(widget, Input):
            widget.value = str(value)
        elif isinstance(widget, SelectionList):
            for item in value:  # type: ignore[attr-defined]
                widget.select(str(item))
        elif isinstance(widget, Select):
            widget.value = str(value)
    await pilot.press("ctrl+s")
    await settle(pilot)
    if app.screen is dialog:
        assert isinstance(dialog, CaseActionDialog)
        print(f"{key}: the dialog stayed open: {error_of(dialog)!r}")  # shown when a test fails
        return dialog
    await settle(pilot)
    return None


def error_of(dialog: CaseActionDialog) -> str:
    return plain(dialog.query_one("#action-error", Static))


def status(desk: Desk, number: str) -> str:
    return case_rows(desk, number)[0].status


def kinds(desk: Desk, number: str) -> list[str]:
    return [e.kind for e in case_rows(desk, number)[2]]


async def test_one_complaint_from_intake_to_closure(make_app: MakeApp, desk: Desk) -> None:
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    # The agent takes the call in the intake form, reads it back, and opens the new case.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await type_call(pilot, demand="换新机")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        number = screen.number
        head = plain(screen.query_one("#case-head", Static))
        assert number in head and "C general" in head and "New" in head
        # The rules filled the department in (quality → Quality); dispatch still decides.
        assert "First owner: Ada Agent" in head and "Primary department: Quality" in head
        assert "王小明  13800138000" in plain(screen.query_one("#case-customer", Static))
        script = "".join(plain(s) for s in screen.query_one("#case-script").query(Static))
        assert number in script and "Promised reply time" in script
        assert {"accept", "reject", "classify"} <= offered(app)
        assert "dispatch" not in offered(app) and "approve_compensation" not in offered(app)
        # Accepted, reclassified (the customer threatens to sue: legal flag, with a reason),
        # and dispatched to Quality; the script follows the stage.
        assert await act(pilot, "a") is None
        assert status(desk, number) == "accepted"
        fill = {"severity": "B", "flags": ["legal"], "reason": "客户表示要起诉"}
        assert await act(pilot, "c", fill) is None
        head = plain(screen.query_one("#case-head", Static))
        assert "B serious" in head and "[Legal]" in head
        assert await act(pilot, "d", {"department_id": qa}) is None
        assert status(desk, number) == "dispatched"
        head = plain(screen.query_one("#case-head", Static))
        assert "Primary department: Quality" in head
        script = "".join(plain(s) for s in screen.query_one("#case-script").query(Static))
        assert "passed to Quality" in script
    c, milestones, _ = case_rows(desk, number)
    met = {m.kind: m.met_at for m in milestones if m.met_at}
    assert set(met) == {"acknowledge", "dispatch"}
    # The handler investigates, phones the customer and proposes a plan with compensation.
    async with on_case(make_app, "handler", number) as (pilot, app):
        assert "accept" not in offered(app)
        assert await act(pilot, "i") is None
        assert await act(pilot, "o", {"mode": "phone", "outcome": "约好明天上门"}) is None
        # Root cause before remedy: the plan is refused in place, with what is missing.
        plan = {"remedy": "换新机", "compensation_amount": "3000"}
        dialog = await act(pilot, "l", plan)
        assert dialog is not None and "record the root cause first" in error_of(dialog)
        await pilot.press("escape")
        cause = {"root_cause_category": "manufacturing", "why1": "密封圈装配不到位"}
        assert await act(pilot, "5", cause) is None
        assert await act(pilot, "l", plan) is None
        assert status(desk, number) == "plan_proposed"
        # Legal flag: resolving now is refused by the guard, and the dialog says why.
        dialog = await act(pilot, "r")
        assert dialog is not None and "legal review" in error_of(dialog)
        await pilot.press("escape")
        assert await act(pilot, "L") is None
        assert status(desk, number) == "legal_review"
    async with on_case(make_app, "legal", number) as (pilot, app):
        assert offered(app) >= {"legal_approve", "legal_return"}
        assert await act(pilot, "v") is None
    async with on_case(make_app, "handler", number) as (pilot, _app):
        assert await act(pilot, "m") is None
        assert status(desk, number) == "compensation_approval"
    # The manager's authority (2,000) does not cover 3,000: refused, shown, nothing saved.
    async with on_case(make_app, "manager", number) as (pilot, _app):
        dialog = await act(pilot, "y", {"comment": "同意"})
        assert dialog is not None and "does not cover 3000" in error_of(dialog)
        assert dialog.query_one("#action-comment", TextArea).text == "同意"
        assert status(desk, number) == "compensation_approval"
    async with on_case(make_app, "executive", number) as (pilot, _app):
        assert await act(pilot, "y") is None
    async with on_case(make_app, "handler", number) as (pilot, _app):
        assert await act(pilot, "r") is None
        assert status(desk, number) == "resolved"
    async with on_case(make_app, "agent", number) as (pilot, _app):
        assert await act(pilot, "f") is None
        assert await act(pilot, "b", {"told_by": "email"}) is None
        assert status(desk, number) == "feedback_given"
    # The revisit is someone else's: the handler is not offered it (role), agent2 does it.
    async with on_case(make_app, "handler", number) as (pilot, app):
        assert "revisit" not in offered(app)
    async with on_case(make_app, "agent2", number) as (pilot, _app):
        assert await act(pilot, "e", {"satisfaction": 5, "comment": "满意"}) is None
    async with on_case(make_app, "agent", number) as (pilot, app):
        assert await act(pilot, "C") is None
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        timeline = plain(screen.query_one("#case-timeline", Static))
        assert "Revisit" in timeline and "satisfaction: — → 5" in timeline
    c, milestones, _ = case_rows(desk, number)
    assert c.status == "closed" and not c.is_open and c.satisfaction == 5
    assert c.compensation_amount == Decimal("3000.00")
    assert kinds(desk, number)[1:] == [
        "accept",
        "classify",
        # Classified A with the legal flag: the executive, legal counsel and the department's
        # manager are brought in at once, each once.
        "escalation",
        "escalation",
        "escalation",
        "dispatch",
        "start_investigation",
        "record_contact",
        "record_root_cause",
        "propose_plan",
        "send_to_legal",
        "legal_approve",
        "request_approval",
        "approve_compensation",
        "resolve",
        "confirm",
        "give_feedback",
        "revisit",
        "close",
    ]
    assert all(m.met_at is not None or m.cancelled for m in milestones)
    met_kinds = {m.kind for m in milestones if m.met_at is not None}
    assert met_kinds == {"acknowledge", "dispatch", "contact", "resolve", "feedback", "revisit"}
    assert all(m.met_at <= m.due_at for m in milestones if m.met_at is not None)  # on time


async def test_reject_needs_a_reason_and_only_a_supervisor_reopens(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    async with on_case(make_app, "agent", number, lang="zh") as (pilot, app):
        dialog = await act(pilot, "x")
        assert dialog is not None and "必填" in error_of(dialog)
        assert dialog.query_one("#action-reason").has_class("-invalid")
        assert await act(pilot, "x", {"reason": "非本公司产品"}) is None
        assert status(desk, number) == "rejected"
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        assert "非本公司产品" in "".join(
            plain(s) for s in screen.query_one("#case-script").query(Static)
        )
        assert "reopen" not in offered(app)
    async with on_case(make_app, "supervisor", number) as (pilot, _app):
        assert await act(pilot, "O", {"reason": "客户补充了购买凭证"}) is None
    c = case_rows(desk, number)[0]
    assert c.status == "accepted" and c.reopen_count == 1 and "repeat" in c.flags.split()


async def test_a_conflicting_save_is_refused_and_the_text_kept(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    async with on_case(make_app, "agent", number) as (pilot, app):
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CaseActionDialog)
        dialog.query_one("#action-reason", TextArea).text = "重复投诉"
        # Meanwhile the supervisor accepts the case at another desk.
        desk.act(desk.actor("supervisor"), number, "accept", expected_version=None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog and isinstance(dialog, CaseActionDialog)
        assert "Sue Supervisor (Accept)" in error_of(dialog)
        assert dialog.query_one("#action-reason", TextArea).text == "重复投诉"
        # Re-applied on purpose to the new version, the rejection goes through.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
    assert status(desk, number) == "rejected"


async def test_pending_customer_pauses_the_clock_by_the_paused_working_time(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    sup = desk.actor("supervisor")
    for action, params in (("accept", {}), ("dispatch", {"department_id": qa})):
        desk.act(sup, number, action, expected_version=None, **params)
    desk.act(desk.actor("handler"), number, "start_investigation", expected_version=None)
    before = {m.kind: m.due_at for m in case_rows(desk, number)[1] if m.is_open}
    async with on_case(make_app, "handler", number) as (pilot, app):
        assert await act(pilot, "p", {"reason": "等客户提供照片"}) is None
        assert status(desk, number) == "pending_customer"
        assert "paused" in plain(app.screen.query_one("#case-milestones", Static))
    clock.advance(timedelta(minutes=90))  # Monday 10:00 → 11:30: 90 working minutes
    async with on_case(make_app, "handler", number) as (pilot, _app):
        assert await act(pilot, "u") is None
    after = {m.kind: m.due_at for m in case_rows(desk, number)[1] if m.is_open}
    assert after["resolve"] - before["resolve"] == timedelta(minutes=90)


async def test_root_cause_plan_kinds_notes_and_reveal(make_app: MakeApp, desk: Desk) -> None:
    number = register(desk)
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    sup = desk.actor("supervisor")
    desk.act(sup, number, "accept", expected_version=None)
    desk.act(sup, number, "dispatch", expected_version=None, department_id=qa)
    desk.act(desk.actor("handler"), number, "start_investigation", expected_version=None)
    async with on_case(make_app, "handler", number) as (pilot, app):
        dialog = await act(pilot, "5", {"why1": "密封圈破损"})
        assert dialog is not None and "Where the cause lies: Required" in error_of(dialog)
        await pilot.press("escape")
        fill = {"root_cause_category": "supplier", "why1": "密封圈破损", "why2": "来料未全检"}
        assert await act(pilot, "5", fill) is None
        plan = {
            "remedy_types": ["replacement", "apology"],
            "remedy": "上门换新",
            "compensation_amount": "200",
        }
        assert await act(pilot, "l", plan) is None
        assert await act(pilot, "n", {"note": "客户下午在家", "customer_facing": False}) is None
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        shown = plain(screen.query_one("#case-plan", Static))
        assert (
            "Supplier / material" in shown and "1. 密封圈破损" in shown and "2. 来料未全检" in shown
        )
        assert "Apology, Replacement, Compensation — 上门换新" in shown
        notes = plain(screen.query_one("#case-notes", Static))
        assert "Hal Handler" in notes and "internal" in notes and "客户下午在家" in notes
    c = case_rows(desk, number)[0]
    assert (c.root_cause_category, c.root_cause) == ("supplier", "密封圈破损\n来料未全检")
    assert c.remedy_types == "apology replacement compensation"
    # The supervisor sees the customer masked; revealing is a key, and it is recorded.
    async with on_case(make_app, "supervisor", number) as (pilot, app):
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        assert "王**  138****8000" in plain(screen.query_one("#case-customer", Static))

        def script() -> str:
            return "".join(plain(s) for s in screen.query_one("#case-script").query(Static))

        assert "Dear 王**" in script() and "王小明" not in script()  # the script masks too
        assert screen.check_action("reveal", ()) is True
        await pilot.press("w")
        await settle(pilot)
        assert "王小明  13800138000" in plain(screen.query_one("#case-customer", Static))
        assert "Dear 王小明" in script()
        assert screen.check_action("reveal", ()) is False  # nothing left hidden
    assert kinds(desk, number)[-1] == "reveal_contact"
    async with on_case(make_app, "admin", number) as (pilot, app):  # need-to-know: not admin
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.check_action("reveal", ()) is False
        await pilot.press("w")
        await settle(pilot)
        assert "王**" in plain(screen.query_one("#case-customer", Static))


async def test_who_else_is_on_the_case(make_app: MakeApp, desk: Desk) -> None:
    from deskapp import presence

    number = register(desk)
    case_id = case_rows(desk, number)[0].id
    assert case_id is not None
    handler = desk.actor("handler")
    presence.stamp(desk.engine, case_id, handler.staff_id, clock.now())
    async with on_case(make_app, "agent", number) as (pilot, app):
        for _ in range(50):
            shown = plain(app.screen.query_one("#case-presence", Static))
            if shown:
                break
            await pilot.pause(0.05)
        assert shown == "Also on this case now: Hal Handler"
        agent = desk.actor("agent")
        assert presence.others(desk.engine, case_id, handler.staff_id, clock.now()) == ["Ada Agent"]
    # Leaving the screen takes the agent off the case (its thread does, as it stops); a desk
    # that went silent expires.
    for _ in range(100):
        if not presence.others(desk.engine, case_id, handler.staff_id, clock.now()):
            break
        time.sleep(0.02)
    assert presence.others(desk.engine, case_id, handler.staff_id, clock.now()) == []
    later = clock.now() + presence.STALE + timedelta(seconds=1)
    assert presence.others(desk.engine, case_id, agent.staff_id, later) == []


async def test_dispatch_notice_reaches_the_inbox(make_app: MakeApp, desk: Desk) -> None:
    number = register(desk)
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    async with on_case(make_app, "agent", number) as (pilot, _app):
        assert await act(pilot, "a") is None
        assert await act(pilot, "d", {"department_id": qa}) is None
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "handler")  # Quality's liaison
        await settle(pilot)
        header = app.screen.query_one("#header-counts", Static)
        assert "Inbox 1" in plain(header)
        await pilot.press("f7")
        await settle(pilot)
        from screens.inbox import InboxScreen

        assert isinstance(app.screen, InboxScreen)
        listed = plain(app.screen.query_one("#inbox-title", Static))
        assert listed == "Inbox · 1 unread of 1"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.number == number
    assert desk.unread_count(desk.actor("handler")) == 0


async def test_transfer_ping_pong_legal_return_and_proposer_cannot_approve(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk, flags=frozenset({RiskFlag.MEDIA}))
    depts = {d.code: d.id for d in desk.departments()}
    sup = desk.actor("supervisor")
    desk.act(sup, number, "accept", expected_version=None)
    desk.act(sup, number, "dispatch", expected_version=None, department_id=depts["QA"])
    # Quality's manager sends it to Logistics; Logistics may not send it straight back.
    async with on_case(make_app, "manager", number) as (pilot, _app):
        dialog = await act(pilot, "t", {"department_id": depts["LOG"]})
        assert dialog is not None and "Reason (required): Required" in error_of(dialog)
        await pilot.press("escape")
        assert await act(pilot, "t", {"department_id": depts["LOG"], "reason": "运输破损"}) is None
    async with on_case(make_app, "logmanager", number) as (pilot, _app):
        fill = {"department_id": depts["QA"], "reason": "不是运输问题"}
        dialog = await act(pilot, "t", fill)
        assert dialog is not None and "only a supervisor may send it back" in error_of(dialog)
        assert dialog.query_one("#action-reason", TextArea).text == "不是运输问题"
    assert case_rows(desk, number)[0].primary_dept_id == depts["LOG"]
    async with on_case(make_app, "supervisor", number) as (pilot, _app):
        fill = {"department_id": depts["QA"], "reason": "已核实为质量问题"}
        assert await act(pilot, "t", fill) is None
    assert case_rows(desk, number)[0].primary_dept_id == depts["QA"]
    # The manager investigates and proposes; legal returns the plan with comments.
    async with on_case(make_app, "manager", number) as (pilot, _app):
        assert await act(pilot, "i") is None
        cause = {"root_cause_category": "logistics", "why1": "外包装抗压不足"}
        assert await act(pilot, "5", cause) is None
        assert await act(pilot, "l", {"remedy": "换新", "compensation_amount": "500"}) is None
        assert await act(pilot, "L") is None
    async with on_case(make_app, "legal", number) as (pilot, _app):
        assert await act(pilot, "V", {"reason": "措辞需避免承认责任"}) is None
    assert status(desk, number) == "investigating"
    # Proposed again, cleared, sent for approval: the proposer may not approve it.
    async with on_case(make_app, "manager", number) as (pilot, _app):
        assert await act(pilot, "l", {"remedy": "换新并致歉", "compensation_amount": "500"}) is None
        assert await act(pilot, "L") is None
    async with on_case(make_app, "legal", number) as (pilot, _app):
        assert await act(pilot, "v") is None
    async with on_case(make_app, "manager", number) as (pilot, _app):
        assert await act(pilot, "m") is None
        dialog = await act(pilot, "y")
        assert dialog is not None and "separation of duties" in error_of(dialog)
    assert status(desk, number) == "compensation_approval"
    async with on_case(make_app, "logmanager", number) as (pilot, _app):
        assert await act(pilot, "y") is None
    assert status(desk, number) == "plan_proposed"


async def test_declining_an_unjustified_complaint_shows_its_script_and_asks_how_told(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    depts = {d.code: d.id for d in desk.departments()}
    sup, handler = desk.actor("supervisor"), desk.actor("handler")
    desk.act(sup, number, "accept", expected_version=None)
    desk.act(sup, number, "dispatch", expected_version=None, department_id=depts["QA"])
    desk.act(handler, number, "start_investigation", expected_version=None)
    desk.act(
        sup, number, "classify", expected_version=None, claim_type="unjustified", reason="人为"
    )
    cause = {"root_cause_category": "customer_use", "whys": ["密封圈被割断"]}
    desk.act(handler, number, "record_root_cause", expected_version=None, **cause)
    async with on_case(make_app, "handler", number, "zh") as (pilot, app):
        assert "decline" in offered(app)
        script = "".join(plain(s) for s in app.screen.query_one("#case-script").query(Static))
        assert "判定不成立的答复" in script and "经调查该投诉不成立" in script
        # The reason is required and marked in place; the way the customer was told is asked.
        dialog = await act(pilot, "X", {"told_by": "sms"})
        assert dialog is not None and isinstance(app.screen, CaseActionDialog)
        assert dialog.query_one("#action-told_by", Select).value == "sms"
        dialog.query_one("#action-reason", TextArea).text = "检测显示密封圈被人为割断"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CaseActionDialog)
        script = "".join(plain(s) for s in app.screen.query_one("#case-script").query(Static))
        assert "检测显示密封圈被人为割断" in script
    c, _, events = case_rows(desk, number)
    assert c.status == "rejected" and c.reject_reason == "检测显示密封圈被人为割断"
    assert json.loads(events[-1].payload)["told_by"] == "sms"


async def test_the_report_and_a_promised_rectification_from_the_case_screen(
    make_app: MakeApp, desk: Desk
) -> None:
    number = register(desk)
    depts = {d.code: d.id for d in desk.departments()}
    sup, handler = desk.actor("supervisor"), desk.actor("handler")
    desk.act(sup, number, "accept", expected_version=None)
    desk.act(sup, number, "dispatch", expected_version=None, department_id=depts["QA"])
    desk.act(handler, number, "start_investigation", expected_version=None)
    cause = {"root_cause_category": "manufacturing", "whys": ["密封圈装配错位"]}
    desk.act(handler, number, "record_root_cause", expected_version=None, **cause)
    async with on_case(make_app, "handler", number) as (pilot, app):
        strip = plain(app.screen.query_one("#case-milestones", Static))
        assert "Investigation report" in strip
        assert await act(pilot, "I", {"report": "拆机检测：密封圈装配错位"}) is None
        plan = {"remedy": "换新机", "rectification": "装配工装改造", "rectify_by": "下周"}
        dialog = await act(pilot, "l", plan)
        assert dialog is not None and dialog.query_one("#action-rectify_by").has_class("-invalid")
        assert dialog.query_one("#action-rectification", TextArea).text == "装配工装改造"
        dialog.query_one("#action-rectify_by", Input).value = "2026-12-04"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CaseActionDialog)
        strip = plain(app.screen.query_one("#case-milestones", Static))
        assert "Rectification" in strip
    kinds = {m.kind: m for m in case_rows(desk, number)[1]}
    assert kinds["report"].met_at is not None and kinds["rectify"].is_open

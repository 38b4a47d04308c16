"""F9, the admin screen: admins manage staff and departments from the desk; nobody else
reaches it; a person disabled there (or anywhere) is signed out of their running desk."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlmodel import col, select
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static

from deskapp.cases import Desk
from deskapp.staff_admin import Operator, StaffAdmin
from screens.admin import AdminScreen
from screens.dialogs.admin_form import AdminFormDialog
from screens.queue import QueueScreen
from screens.sign_in import SignInScreen
from store.engine import read_session
from store.models import CaseEvent
from tests.screens.conftest import MakeApp, plain, settle, sign_in, wait_until


def _said(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    return plain(screen.query_one("#admin-said", Static))


async def _type_form(pilot, **values: str) -> None:  # type: ignore[no-untyped-def]
    dialog = pilot.app.screen
    assert isinstance(dialog, AdminFormDialog)
    for name, value in values.items():
        dialog.query_one(f"#form-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_admin_adds_changes_disables_from_the_desk(make_app: MakeApp, desk: Desk) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        staff_list = app.screen.query_one("#admin-staff", OptionList)
        assert app.focused is staff_list
        await wait_until(pilot, lambda: staff_list.option_count == 11)

        await pilot.press("n")
        await _type_form(
            pilot,
            login="nia",
            name="Nia Ng",
            roles="handler",
            dept="log",
            language="en",
            password="nia-secret",
        )
        await wait_until(pilot, lambda: "Added nia" in _said(app))
        added = StaffAdmin(desk.engine).show("nia")
        assert (added.department_code, added.language) == ("LOG", "en")

        # r on the highlighted row: move the cursor to nia (the list is by login).
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        staff_list.highlighted = [p.login for p in screen.people].index("nia")
        await pilot.press("r")
        await _type_form(pilot, roles="handler,dept_manager")
        await wait_until(pilot, lambda: "Changed the roles of nia" in _said(app))
        assert StaffAdmin(desk.engine).show("nia").roles == ("dept_manager", "handler")

        await pilot.press("e")
        await _type_form(pilot, authority="300", dept="qa", language="zh")
        await wait_until(pilot, lambda: "Changed nia" in _said(app))
        nia = StaffAdmin(desk.engine).show("nia")
        assert (nia.compensation_limit, nia.department_code) == (Decimal("300"), "QA")
        assert nia.language == "zh"

        # A refusal is said in the status line, and nothing changes.
        # A refusal stays in the form with what was typed; nothing changes.
        await pilot.press("r")
        await _type_form(pilot, roles="wizard")
        dialog = app.screen
        assert isinstance(dialog, AdminFormDialog)
        await wait_until(pilot, lambda: "unknown role wizard" in dialog.error)
        assert dialog.query_one("#form-roles", Input).value == "wizard"
        await pilot.press("escape")
        assert app.screen is screen
        assert StaffAdmin(desk.engine).show("nia").roles == ("dept_manager", "handler")

        await pilot.press("x")
        await wait_until(pilot, lambda: "Disabled nia" in _said(app))
        assert not StaffAdmin(desk.engine).show("nia").active

        # Departments: tab to the list, set the manager.
        await pilot.press("tab")
        dept_list = screen.query_one("#admin-depts", OptionList)
        assert app.focused is dept_list
        dept_list.highlighted = [d.code for d in screen.depts].index("QA")
        await pilot.press("l")
        await _type_form(pilot, login="handler2")
        await wait_until(pilot, lambda: "QA: liaison handler2" in _said(app))
        await pilot.press("n")  # with the departments in focus: a new department
        await _type_form(pilot, code="sal", dept_name="销售部", dept_name_en="Sales")
        await wait_until(pilot, lambda: "Added department SAL" in _said(app))
        assert [d.code for d in StaffAdmin(desk.engine).departments()] == ["LOG", "QA", "SAL"]
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)

    with read_session(desk.engine) as s:
        events = s.exec(
            select(CaseEvent).where(col(CaseEvent.kind).in_(["staff_added", "dept_liaison_set"]))
        ).all()
        payloads = [json.loads(e.payload) for e in events]
    admin_id = desk.actor("admin").staff_id
    assert {e.actor_id for e in events} == {admin_id}
    assert all(p["by"]["admin"] == "admin" for p in payloads)


async def test_the_admin_screen_speaks_chinese(make_app: MakeApp) -> None:
    app = make_app(lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin")
        await pilot.press("f9")
        await settle(pilot)
        titles = [plain(w) for w in app.screen.query(".admin-title").results(Static)]
        assert titles[1] == "部门" and titles[0].startswith("人员")
        dept_list = app.screen.query_one("#admin-depts", OptionList)
        assert "经理 manager" in str(dept_list.get_option_at_index(1).prompt)


async def test_non_admins_cannot_reach_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    told: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: told.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        app.screen.query_one(Input).value = "Staff admin"
        for _ in range(10):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AdminScreen)
        await pilot.press("escape")
        await settle(pilot)
        # However it is reached, the screen refuses and closes.
        app.push_screen(AdminScreen(app.ctx))
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert told[-1] == "Only admins can use staff admin."


async def test_a_disabled_person_is_signed_out_within_seconds(
    make_app: MakeApp, desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "agent")
        assert isinstance(app.screen, QueueScreen)
        StaffAdmin(desk.engine).disable(Operator("tester"), "agent")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen), timeout=10)
        message = plain(app.screen.query_one("#signin-error", Static))
        assert "disabled" in message and "signed out" in message
        assert app.ctx.actor is None
        # And cannot sign in again.
        await sign_in(pilot, "agent")
        assert isinstance(app.screen, SignInScreen)


async def test_roles_given_while_signed_in_show_at_once(make_app: MakeApp, desk: Desk) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "supervisor")
        assert app.check_action("admin", ()) is False
        StaffAdmin(desk.engine).set_roles(Operator("tester"), "supervisor", "supervisor,admin")
        await wait_until(pilot, lambda: app.check_action("admin", ()) is True, timeout=10)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)


async def test_an_os_user_desk_ends_when_its_account_is_disabled(
    make_app: MakeApp, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed in over SSH as the operating-system user there is no sign-in screen to return
    to: the desk ends, saying why."""
    monkeypatch.setattr("deskapp.app.os_login", lambda: "agent")
    app = make_app(os_user=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
        StaffAdmin(desk.engine).disable(Operator("tester"), "agent")
        await wait_until(pilot, lambda: app.return_code is not None, timeout=10)
    assert app.return_code == 3

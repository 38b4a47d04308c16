"""The intake form, driven by keys only, as an agent on the phone would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList, Static, TextArea

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.drafts import DraftStore
from screens.case import CaseScreen
from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.readback import ReadBackScreen
from screens.dialogs.registered import RegisteredScreen
from screens.intake import IntakeScreen
from store.engine import make_engine
from tests.conftest import case_rows, seed_staff
from tests.screens.conftest import MakeApp, flush, plain, settle, sign_in
from widgets.customer_card import CustomerCard
from widgets.form_field import FormField
from widgets.key_bar import KeyBar
from widgets.script_panel import ScriptPanel

SIZE = (120, 40)


async def open_intake(pilot: Pilot[None]) -> IntakeScreen:
    await sign_in(pilot)
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


async def type_call(
    pilot: Pilot[None],
    *,
    phone: str = "13800138000",
    name: str = "王小明",
    subject: str = "洗衣机漏水",
    description: str = "第一次使用就漏水",
    demand: str = "换新机",
) -> None:
    """The five fields typed during the call, in tab order, with no mouse."""
    for value in (phone, name, subject, description, demand):
        await pilot.press(*value) if value.isascii() else _paste(pilot, value)
        await pilot.press("tab")
    await settle(pilot)


def _paste(pilot: Pilot[None], value: str) -> None:
    """CJK text arrives from an input method as one chunk; set it on the focused control."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(value)
    elif isinstance(focused, Input):
        focused.insert_text_at_cursor(value)


def text_of(widget: Static) -> str:
    return plain(widget)


def field(screen: IntakeScreen, name: str) -> FormField:
    found = screen.query_one(f"#field-{name}", FormField)
    return found


async def test_tab_order_follows_the_call(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        order = []
        for _ in range(6):
            order.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        assert order == ["phone", "name", "subject", "description", "demand", "channel"]


async def test_valid_intake_reads_back_and_registers(make_app: MakeApp, desk: Desk) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen)
        promise = text_of(app.screen.query_one("#readback-promise", Static))
        assert promise == "Reply promised: by 10:30 tomorrow"  # C: 8 business hours from Mon 10:00
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RegisteredScreen)
        message = text_of(app.screen.query_one("#registered-message", Static))
        assert message == "Registered as TS-20261123-0001; reply promised by 10:30 tomorrow."
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert not screen.has_unsubmitted_work()
    c, milestones, events = case_rows(desk, "TS-20261123-0001")
    assert c.subject == "洗衣机漏水" and c.demand == "换新机"
    assert next(m for m in milestones if m.kind == "acknowledge").met_at is not None
    assert json.loads(events[0].payload)["acknowledged"] is True
    assert app.ctx.drafts.load("agent", "intake") is None


async def test_next_intake_starts_empty(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await type_call(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#phone", Input).value == ""
        assert app.focused is app.screen.query_one("#phone", Input)


async def test_invalid_form_marks_fields_and_focuses_the_first(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await pilot.press(*"12", "tab", *"Li", "tab")
        for _ in range(4):  # subject → description → demand → channel → email
            await pilot.press("tab")
        assert app.focused is screen.query_one("#email", Input)
        await pilot.press(*"not-an-email")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.focused is screen.query_one("#phone", Input)
        bad = {f.field_name for f in screen.query(FormField) if f.has_error}
        assert bad == {"phone", "subject", "description", "demand", "email"}
        phone_error = text_of(field(screen, "phone").query_one(".field-error", Static))
        assert "5 to 20 digits" in phone_error
        assert "Fix the marked fields first (5)" in text_of(
            screen.query_one("#intake-status", Static)
        )
        # Fixing a field clears its mark as the agent types.
        await pilot.press(*"800138000")
        await settle(pilot)
        assert not field(screen, "phone").has_error


async def test_known_customer_is_looked_up_and_repeat_flagged(
    make_app: MakeApp, desk: Desk
) -> None:
    desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone="13800138000", name="王小明", subject="上次的问题", description="x", demand="y"
        ),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await pilot.press(*"13800138000", "tab")
        await flush(pilot)
        card = text_of(screen.query_one("#customer-card", CustomerCard))
        assert "Known customer: 王小明" in card and "Repeat complaint" in card
        assert "TS-20261123-0001" in card and "上次的问题" in card
        assert screen.query_one("#name", Input).value == "王小明"


THREAT = "再不解决我就找律师起诉你们"


async def test_suggestions_fill_the_form_live_and_going_below_needs_a_reason(
    make_app: MakeApp, desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot, description=THREAT, demand="退货退款")
        await flush(pilot)
        # Applied without a key: the legal threat makes it A with the legal flag.
        assert screen.query_one("#severity", Select).value == "A"
        assert "legal" in screen.query_one("#flags", SelectionList).selected
        panel = text_of(screen.query_one("#suggestions", Static))
        assert "Because:" in panel and "律师" in panel and "→" not in panel
        reason = field(screen, "override_reason")
        assert not reason.has_class("-needed")
        # The script promises the reply time of the severity that will be saved (A: 2 hours).
        assert "by 12:00 today" in screen.query_one("#script", ScriptPanel).text
        # The agent lowers it: the reason box appears and the submit asks for it.
        screen.query_one("#severity", Select).value = "B"
        await flush(pilot)
        assert reason.has_class("-needed")
        assert "→" in text_of(screen.query_one("#suggestions", Static))
        assert "by 15:30 today" in screen.query_one("#script", ScriptPanel).text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen) and reason.has_error
        assert app.focused is screen.query_one("#override_reason", Input)
        await pilot.press(*"customer calmed down")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen)
        shown = " ".join(text_of(w) for w in app.screen.query(Static))
        assert "B serious (suggested A urgent)" in shown and "customer calmed down" in shown
        await pilot.press("ctrl+s")
        await settle(pilot)
    c, _, events = case_rows(desk, "TS-20261123-0001")
    assert c.severity == "B" and "legal" in c.flags.split()
    # The legal flag brings in the executive and legal counsel, a B case its manager.
    assert [e.kind for e in events] == [
        "intake",
        "triage_override",
        "escalation",
        "escalation",
        "escalation",
    ]
    overrides = json.loads(events[1].payload)["overrides"]
    assert overrides["severity"] == {
        "suggested": "A",
        "chosen": "B",
        "reason": "customer calmed down",
    }
    assert "category" not in overrides


async def test_a_field_set_by_hand_keeps_its_value_as_the_text_changes(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot, description="第一次使用就漏水")
        await flush(pilot)
        assert screen.query_one("#category", Select).value == "quality"
        screen.query_one("#category", Select).value = "billing"  # the agent knows better
        await flush(pilot)
        demand = screen.query_one("#demand", TextArea)
        demand.insert("，否则我就找律师起诉")
        await flush(pilot)
        assert screen.query_one("#category", Select).value == "billing"  # theirs: kept
        assert screen.query_one("#severity", Select).value == "A"  # untouched: follows
        # F5 takes back every suggestion, the agent's own choice included.
        await pilot.press("f5")
        await flush(pilot)
        assert screen.query_one("#category", Select).value == "quality"
        assert not field(screen, "override_reason").has_class("-needed")


async def test_draft_is_saved_while_typing_and_offered_after_restart(
    make_app: MakeApp, drafts: DraftStore
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await pilot.press(*"13800138000", "tab", *"Lily", "tab", *"Broken lid")
        # The real timer, not flush(): this is the test that the debounced save happens at all.
        for _ in range(100):
            await pilot.pause(0.05)
            saved = drafts.load("agent", "intake")
            if saved is not None and saved.values["subject"] == "Broken lid":
                break
        await settle(pilot)
    saved = drafts.load("agent", "intake")
    assert saved is not None and saved.values["subject"] == "Broken lid"

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(again.screen, ConfirmDialog)
        assert "Broken lid" in text_of(again.screen.query_one("#confirm-note", Static))
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(again.screen, IntakeScreen)
        assert again.screen.query_one("#subject", Input).value == "Broken lid"
        assert again.screen.query_one("#name", Input).value == "Lily"


async def test_discarding_the_offered_draft_removes_it(
    make_app: MakeApp, drafts: DraftStore
) -> None:
    drafts.save("agent", "intake", {"subject": "half typed"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("n")
        await settle(pilot)
    assert drafts.load("agent", "intake") is None


async def test_quit_with_a_draft_asks_first_and_keeps_it(
    make_app: MakeApp, drafts: DraftStore
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await pilot.press(*"13800138000")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("ctrl+q", "y")
    assert app.return_code == 0
    saved = drafts.load("agent", "intake")
    assert saved is not None and saved.values["phone"] == "13800138000"


async def test_failed_save_keeps_the_form(make_app: MakeApp, desk: Desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is locked")

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await type_call(pilot)
        monkeypatch.setattr(desk, "intake", broken)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert "database is locked" in text_of(screen.query_one("#intake-status", Static))
        assert screen.query_one("#subject", Input).value == "洗衣机漏水"
        assert screen.has_unsubmitted_work()


HOSTILE = "[bold red]boom[/] [@click=app.quit]x[/] \x1b[2J\x1b]52;c;aGk=\x07"


async def test_customer_text_is_shown_literally_everywhere(make_app: MakeApp, desk: Desk) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        screen.query_one("#name", Input).value = HOSTILE
        screen.query_one("#subject", Input).value = HOSTILE
        screen.query_one("#phone", Input).value = "13800138000"
        screen.query_one("#description", TextArea).load_text(HOSTILE)
        screen.query_one("#demand", TextArea).load_text(HOSTILE)
        await flush(pilot)
        script = screen.query_one("#script", ScriptPanel).text
        assert "[bold red]boom[/]" in script
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        facts = text_of(app.screen.query_one("#case-facts", Static))
        assert "[bold red]boom[/]" in facts and "[@click=app.quit]" in facts
        assert app.is_running
    assert case_rows(desk, "TS-20261123-0001")[0].subject == HOSTILE


def test_app_class_is_the_one_run(make_app: MakeApp) -> None:
    assert isinstance(make_app(), DeskApp)


async def test_customer_card_and_palette_show_earlier_text_literally(
    make_app: MakeApp, desk: Desk
) -> None:
    desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name=HOSTILE, subject=HOSTILE, description="x", demand="y"),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await pilot.press(*"13800138000")
        await flush(pilot)
        card = text_of(screen.query_one("#customer-card", CustomerCard))
        assert "[bold red]boom[/]" in card and "[@click=app.quit]" in card
        await pilot.press("ctrl+p")
        await settle(pilot)
        from textual.command import CommandPalette

        palette = app.screen
        assert isinstance(palette, CommandPalette)
        palette.query_one(Input).value = "TS-2026"
        for _ in range(20):
            await pilot.pause(0.05)
        shown = " ".join(
            str(option.prompt)
            for option in palette.query("CommandList").first().options  # type: ignore[attr-defined]
        )
        assert "[bold red]boom[/]" in shown
        assert app.is_running


async def test_an_untouched_form_leaves_no_draft(make_app: MakeApp, drafts: DraftStore) -> None:
    """Opening F2 and leaving (the selects filled in, nothing typed) is not work to resume."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        await flush(pilot)
        assert not screen.has_unsubmitted_work()
        await pilot.press("escape")
        await settle(pilot)
    assert drafts.load("agent", "intake") is None
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert not isinstance(again.screen, ConfirmDialog)  # nothing offered


async def test_a_draft_belongs_to_the_database_it_was_typed_for(
    make_app: MakeApp, drafts: DraftStore, sqlite_template: Path, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await pilot.press(*"13800138000", "tab", *"Lily")
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
    assert drafts.load("agent", "intake") is not None
    # Another desk (another database), the same person on the same machine: not offered.
    other_db = tmp_path / "other.db"
    shutil.copy(sqlite_template, other_db)
    engine = make_engine(f"sqlite:///{other_db}")
    seed_staff(engine)
    with engine.begin() as conn:  # the tests copy one migrated template: give it its own id
        conn.exec_driver_sql("UPDATE desk_info SET desk_id = 'another-desk'")
    other = DeskApp(desk=Desk(engine), lang="en", drafts=DraftStore(drafts.root))
    assert other.ctx.drafts.desk_id != drafts.desk_id
    async with other.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert not isinstance(other.screen, ConfirmDialog)
    engine.dispose()
    # Back on the first desk it is offered again.
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(again.screen, ConfirmDialog)


async def test_roles_that_do_not_take_complaints_are_not_offered_f2(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin")
        keys = str(app.screen.query_one(KeyBar).content)
        assert "New" not in keys and "F2" not in keys
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, IntakeScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        labels = [str(h.prompt) for h in app.screen.query_one("CommandList").options]  # type: ignore[attr-defined]
        assert not any("New complaint" in label for label in labels)
    agent = make_app()
    async with agent.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert "F2" in str(agent.screen.query_one(KeyBar).content)


async def test_an_exit_from_outside_saves_the_draft_at_once(
    make_app: MakeApp, drafts: DraftStore
) -> None:
    """textual-serve closes a browser tab's desk with an exit message, no key and no signal:
    the draft is written then, not left to the debounce timer."""
    from textual import messages

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_intake(pilot)
        await pilot.press(*"13800138000", "tab", *"Lily", "tab", *"Lid")
        await app.keys_settled()  # typed, and no more: the debounced save has not run yet
        assert drafts.load("agent", "intake") is None or (
            drafts.load("agent", "intake").values["subject"] != "Lid"  # type: ignore[union-attr]
        )
        app.post_message(messages.ExitApp())
        await pilot.pause()
    saved = drafts.load("agent", "intake")
    assert saved is not None and saved.values["subject"] == "Lid"

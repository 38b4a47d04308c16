"""What a customer wrote can never drive the terminal, and is stored exactly as written.

Hypothesis writes arbitrary text — every Unicode plane, control characters, markup, escape
sequences, SQL — into a complaint (its name, subject, description, demand, place, evidence),
a note, and a supervisor's escalation reason. The test then walks every screen that shows it:
the queue, the case screen, the inbox, the command palette's case search, the intake form's
customer card and the read-back, and `deskapp notice`. On each it checks what would reach the
terminal: the screenshot's text and every widget's full rendering (also what is scrolled out
of view) hold no character a terminal acts on, and the app is still running.

Lone surrogates cannot come from a terminal (and no database here can store them); they and
NUL are refused at intake with a message naming the field (tested in tests/deskapp).
"""

from __future__ import annotations

import asyncio
import html
import io
import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy.engine import Engine
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static, TextArea

from deskapp.app import DeskApp
from deskapp.cases import Desk, IntakeForm
from deskapp.display import is_safe
from deskapp.drafts import DraftStore
from deskapp.errors import InvalidInput
from deskapp.notice import render_notice
from screens.case import CaseScreen
from screens.dialogs.readback import ReadBackScreen
from screens.inbox import InboxScreen
from screens.intake import IntakeScreen
from screens.queue import QueueScreen
from store.engine import make_engine
from tests.conftest import case_rows, seed_staff
from tests.screens.conftest import flush, settle, sign_in

HOSTILE = [
    "\x1b]0;pwned\x07",  # retitle the terminal
    "\x1b[2J\x1b[H",  # clear it
    "\x1b]52;c;aGk=\x07",  # write the clipboard
    "\x9b31m",  # C1 CSI
    "[bold red]boom[/] [@click=app.quit]x[/]",
    "[/]",
    "\u202eevil\u202c",
    "\r",
    "\t",
    "'; DROP TABLE complaint; --",
    "王小明 😀 العربية \u200b",
]
TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(HOSTILE),
            st.text(st.characters(codec=None, exclude_characters="\x00"), max_size=12),
        ),
        min_size=1,
        max_size=6,
    )
    .map(lambda parts: "".join(parts)[:90])
    .filter(lambda text: text.strip() != "")
)
EXAMPLES = int(os.environ.get("DESKAPP_FUZZ_EXAMPLES", "3"))
_TEXT_NODE = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


def screenshot_text(app: App[None]) -> str:
    """The characters the screen would send to the terminal, as its screenshot holds them."""
    return "\n".join(
        html.unescape(re.sub(r"<[^>]+>", "", m))
        for m in _TEXT_NODE.findall(app.export_screenshot())
    )


def rendered(renderable: object) -> str:
    console = Console(width=160, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def assert_shown_safely(app: App[None], where: str) -> None:
    assert app.is_running, where
    shown = screenshot_text(app)
    assert is_safe(shown), f"{where}: {shown!r}"
    for static in app.screen.query(Static):
        text = rendered(static.content)
        assert is_safe(text), f"{where}: {static!r} renders {text!r}"
    for box in app.screen.query(OptionList):
        for index in range(box.option_count):
            text = rendered(box.get_option_at_index(index).prompt)
            assert is_safe(text), f"{where}: option {text!r}"


async def walk_every_screen(app: DeskApp, desk: Desk, number: str, text: str) -> None:
    async with app.run_test(size=(160, 60)) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, QueueScreen)
        await settle(pilot)
        assert_shown_safely(app, "queue")
        app.push_screen(CaseScreen(app.ctx, number))
        await settle(pilot)
        assert_shown_safely(app, "case screen")
        await pilot.press("escape", "f7")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert_shown_safely(app, "inbox")
        await pilot.press("escape", "ctrl+p")
        await settle(pilot)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        palette.query_one(Input).value = number
        for _ in range(40):
            await pilot.pause(0.02)
            if any(number in str(o.prompt) for o in palette.query_one(OptionList)._options):
                break
        assert_shown_safely(app, "palette")
        await pilot.press("escape", "f2")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        await pilot.press(*"13800138000")
        await flush(pilot)
        assert_shown_safely(app, "intake with the customer card")
        for name in ("name", "subject"):
            intake.query_one(f"#{name}", Input).value = text
        for name in ("description", "demand"):
            intake.query_one(f"#{name}", TextArea).load_text(text)
        await flush(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        if isinstance(app.screen, ReadBackScreen):
            assert_shown_safely(app, "read-back")
        else:  # the rules went below what the form shows: a reason is asked for, in place
            assert_shown_safely(app, "intake asking for a reason")


def register(desk: Desk, text: str) -> str:
    agent, supervisor = desk.actor("agent"), desk.actor("supervisor")
    form = IntakeForm(
        phone="13800138000",
        name=text,
        subject=text,
        description=text,
        demand=text,
        place=text,
        evidence=text,
        order_ref="SO-1",
    )
    number = desk.intake(agent, form).number
    c = case_rows(desk, number)[0]
    for field in ("subject", "description", "demand", "place", "evidence"):
        assert getattr(c, field) == text, field  # stored exactly as typed
    desk.add_note(agent, number, text, customer_facing=True, expected_version=None)
    desk.act(supervisor, number, "escalate", expected_version=None, reason=text)
    return number


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example("".join(HOSTILE)[:90])
@given(TEXT)
def test_arbitrary_text_is_stored_exactly_and_shown_inertly(
    sqlite_template: Path, text: str
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="deskapp-fuzz-"))
    try:
        shutil.copy(sqlite_template, folder / "desk.db")
        engine: Engine = make_engine(f"sqlite:///{folder / 'desk.db'}")
        seed_staff(engine)
        desk = Desk(engine)
        try:
            number = register(desk, text)
        except InvalidInput as refused:  # only ever for what cannot be stored, by field
            assert all("cannot be stored" in why for why in refused.problems.values())
            return
        for lang in ("zh", "en"):
            notice = render_notice(desk, number, lang)
            assert is_safe(notice.replace("\n", " ")), notice
        app = DeskApp(desk=desk, lang="en", drafts=DraftStore(folder / "drafts"))
        asyncio.run(walk_every_screen(app, desk, number, text))
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_megabyte_is_refused_naming_the_field_and_the_limit(desk: Desk) -> None:
    huge = "投诉" * 500_000
    try:
        desk.intake(
            desk.actor("agent"),
            IntakeForm(phone="13800138000", name="王", subject="s", description=huge, demand="d"),
        )
    except InvalidInput as refused:
        assert refused.problems == {"description": "at most 20000 characters (1000000 typed)"}
    else:
        raise AssertionError("a 1 MB description was stored")
    assert desk.status_counts() == {}

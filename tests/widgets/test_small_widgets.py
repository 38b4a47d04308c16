"""The desk's own small widgets, each on a bare Textual app."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from widgets.debounce import Debouncer
from widgets.key_order import KeyOrderedApp
from widgets.safe_input import ControlsVisible, SafeInput, SafeTextArea
from widgets.status_line import StatusLine


class Form(KeyOrderedApp[None]):
    """Three inputs, the second one slow to react to each change (a busy screen)."""

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield Input(id="c")

    def on_input_changed(self, event: Input.Changed) -> None:
        total = 0
        for n in range(20_000):  # the work a real form does per keystroke, exaggerated
            total += n
        self.spent = total


async def test_keys_typed_in_one_burst_land_in_their_fields() -> None:
    app = Form()
    async with app.run_test() as pilot:
        app.query_one("#a").focus()
        await pilot.pause()
        driver = app._driver
        assert driver is not None
        for key in [*"first", "tab", *"second", "tab", *"third"]:
            driver.send_message(events.Key(key, key if len(key) == 1 else None))
        await app.keys_settled()
        values = [app.query_one(f"#{x}", Input).value for x in "abc"]
        assert values == ["first", "second", "third"]


async def test_a_paste_arrives_with_its_control_characters_visible() -> None:
    app = Form()
    async with app.run_test() as pilot:
        app.query_one("#a").focus()
        await pilot.pause()
        app.post_message(events.Paste("a\x1b[2Jb"))
        await app.keys_settled()
        await pilot.pause()
        assert app.query_one("#a", Input).value == "a␛[2Jb"


class Timed(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("")


async def test_a_debouncer_runs_once_after_the_burst_and_on_demand() -> None:
    app = Timed()
    ran: list[int] = []
    async with app.run_test() as pilot:
        later = Debouncer(app, 0.05, lambda: ran.append(1))
        for _ in range(20):
            later.poke()
        assert later.pending and ran == []
        await pilot.pause(0.2)
        assert ran == [1] and not later.pending
        later.poke()
        assert later.fire_now() and ran == [1, 1]
        assert not later.fire_now()  # nothing waiting: nothing run
        await pilot.pause(0.1)
        assert ran == [1, 1]


def test_an_input_draws_control_characters_one_for_one() -> None:
    shown = ControlsVisible()("ab\x1b[2J\x9bc")
    assert shown.plain == "ab␛[2J�c" and len(shown.plain) == len("ab\x1b[2J\x9bc")


class Boxes(App[None]):
    def compose(self) -> ComposeResult:
        yield SafeInput("x\x07y", id="i")
        yield SafeTextArea(id="t")
        yield StatusLine(id="s")


async def test_safe_boxes_keep_values_and_show_them_safely() -> None:
    app = Boxes()
    async with app.run_test() as pilot:
        box = app.query_one("#i", SafeInput)
        assert box.value == "x\x07y"  # the value is what it was
        area = app.query_one("#t", SafeTextArea)
        area.load_text("line\x1b]0;t\x07")
        assert area.text == "line␛]0;t␇"
        line = app.query_one("#s", StatusLine)
        assert not line.display
        line.show_error("Saving the draft failed: [/] OSError")
        await pilot.pause()
        assert line.display and line.message.endswith("[/] OSError")
        line.clear()
        await pilot.pause()
        assert not line.display and line.message == ""

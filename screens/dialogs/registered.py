"""After registration: the number and the promised reply time in plain words; open the case
or take the next call. Dismisses with the case number (open) or "next"."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from deskapp import clock
from deskapp.cases import IntakeResult
from deskapp.context import DeskContext
from deskapp.wording import promise_words


class RegisteredScreen(ModalScreen[str]):
    DEFAULT_CSS = """
    RegisteredScreen { align: center middle; }
    RegisteredScreen > Vertical {
        width: 70; max-width: 100%; height: auto; border: thick $success; background: $surface;
        padding: 1 2;
    }
    RegisteredScreen #registered-message { text-style: bold; margin: 1 0; }
    RegisteredScreen #registered-repeat { color: $warning; }
    RegisteredScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    RegisteredScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_case", "Open the case", id="registered.open"),
        Binding("n,escape", "next", "Next complaint", id="registered.next"),
    ]

    def __init__(self, ctx: DeskContext, result: IntakeResult) -> None:
        super().__init__()
        self.ctx, self.result = ctx, result

    def compose(self) -> ComposeResult:
        t = self.ctx.t
        promise = promise_words(
            self.result.promised_reply_at, clock.now(), self.ctx.desk.settings.tz, self.ctx.lang
        )
        with Vertical():
            yield Static(Text(t("registered.title"), style="bold"))
            yield Static(
                Text(t("registered.message", number=self.result.number, promise=promise)),
                id="registered-message",
            )
            if self.result.repeat:
                yield Static(Text(t("registered.repeat")), id="registered-repeat")
            with Horizontal():
                yield Button(Text(f"N · {t('registered.next')}"), id="registered-next")
                yield Button(
                    Text(f"O · {t('registered.open_case')}"),
                    id="registered-open",
                    variant="success",
                )

    def on_mount(self) -> None:
        self.query_one("#registered-next", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "registered-open":
            self.action_open_case()
        else:
            self.action_next()

    def action_open_case(self) -> None:
        self.dismiss(self.result.number)

    def action_next(self) -> None:
        self.dismiss("next")

"""A yes/no question as a typed modal: `push_screen(ConfirmDialog(...), callback)` gets a bool."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from widgets.prose import Prose


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 60; max-width: 90%; height: auto; border: thick $warning; background: $surface;
        padding: 1 2;
    }
    ConfirmDialog #confirm-question { text-style: bold; }
    ConfirmDialog #confirm-note { color: $text-muted; margin-top: 1; }
    ConfirmDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "yes", "Yes", id="confirm.yes"),
        Binding("n,escape", "no", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, note: str = "", *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.note, self.yes, self.no = question, note, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Prose(self.question), id="confirm-question")
            if self.note:
                yield Static(Prose(self.note), id="confirm-note")
            with Horizontal():
                yield Button(self.no, id="confirm-no")
                yield Button(self.yes, id="confirm-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)

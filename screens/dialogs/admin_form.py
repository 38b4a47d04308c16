"""A small form for the admin screen: a few labelled fields, `ctrl+s` (or enter in the last
field) answers with the values typed, `escape` with None. The rules check what comes back
(`deskapp.staff_admin`); the screen says what they refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from widgets.prose import safe_text
from widgets.safe_input import SafeInput


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    value: str = ""
    password: bool = False


class AdminFormDialog(ModalScreen[dict[str, str] | None]):
    DEFAULT_CSS = """
    AdminFormDialog { align: center middle; }
    AdminFormDialog > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AdminFormDialog #form-title { text-style: bold; }
    AdminFormDialog .form-label { color: $text-muted; }
    AdminFormDialog #form-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="admin_form.save", priority=True),
        Binding("escape", "dismiss_form", "Back", id="admin_form.cancel"),
    ]

    def __init__(self, title: str, fields: list[FormField], hint: str = "") -> None:
        super().__init__()
        self.form_title, self.fields, self.hint = title, fields, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self.form_title), id="form-title")
            for f in self.fields:
                yield Static(safe_text(f.label), classes="form-label")
                yield SafeInput(f.value, id=f"form-{f.name}", password=f.password)
            if self.hint:
                yield Static(safe_text(self.hint), id="form-hint")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#form-{f.name}", Input).value for f in self.fields}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """enter moves to the next field; in the last one it saves."""
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def action_save(self) -> None:
        self.dismiss(self.values())

    def action_dismiss_form(self) -> None:
        self.dismiss(None)

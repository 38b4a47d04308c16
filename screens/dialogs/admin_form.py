"""A small form for the admin screen: a few labelled fields; `ctrl+s` (or enter in the last
field) saves, `escape` goes back with None.

With a `submit` callable the form saves itself: `submit` runs in a worker thread with the
values typed and returns None when the change was made (the form closes with the values) or
the refusal to show (the form stays open with everything typed, to be corrected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from deskapp.errors import describe
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
    AdminFormDialog #form-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="admin_form.save", priority=True),
        Binding("escape", "dismiss_form", "Back", id="admin_form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        hint: str = "",
        *,
        submit: Callable[[dict[str, str]], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.form_title, self.fields, self.hint = title, fields, hint
        self.submit = submit
        #: The refusal on show ("" when none); tests read it.
        self.error = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self.form_title), id="form-title")
            for f in self.fields:
                yield Static(safe_text(f.label), classes="form-label")
                yield SafeInput(f.value, id=f"form-{f.name}", password=f.password)
            if self.hint:
                yield Static(safe_text(self.hint), id="form-hint")
            yield Static("", id="form-error", markup=False)

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
        values = self.values()
        if self.submit is None:
            self.dismiss(values)
        else:
            self._show_error("")
            self._save(values)

    @work(thread=True, exclusive=True, exit_on_error=False, group="db-form")
    def _save(self, values: dict[str, str]) -> None:
        assert self.submit is not None
        refusal = self.submit(values)
        self.app.call_from_thread(self._saved, values, refusal)

    def _saved(self, values: dict[str, str], refusal: str | None) -> None:
        if refusal is None:
            self.dismiss(values)
        else:
            self._show_error(refusal)

    @on(Worker.StateChanged)
    def _failed(self, event: Worker.StateChanged) -> None:
        """Anything other than a refusal (the database gone): said in the form, kept open."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._show_error(describe(event.worker.error))

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one("#form-error", Static).update(safe_text(message))

    def action_dismiss_form(self) -> None:
        self.dismiss(None)

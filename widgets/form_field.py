"""A labelled form field with its problem shown in place, under the input.

The field does not validate: the screen asks the rules (`deskapp.validation`) and tells the
field what is wrong, so the same words appear whether the check ran as the agent typed or when
the use case refused the save.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static


class FormField(Vertical):
    DEFAULT_CSS = """
    FormField { height: auto; margin-bottom: 0; }
    FormField > .field-label { color: $text-muted; height: 1; }
    FormField > .field-error { color: $error; height: auto; display: none; }
    FormField.-invalid > .field-error { display: block; }
    FormField.-invalid > .field-label { color: $error; text-style: bold; }
    """

    def __init__(self, name: str, label: str, control: Widget, *, required: bool = False) -> None:
        super().__init__(id=f"field-{name}")
        self.field_name = name
        self.control = control
        self._label = f"{label} *" if required else label

    def compose(self) -> ComposeResult:
        yield Static(Text(self._label), classes="field-label")
        yield self.control
        yield Static(Text(""), classes="field-error")

    def set_error(self, problem: str | None) -> None:
        self.set_class(problem is not None, "-invalid")
        self.query_one(".field-error", Static).update(Text(problem or ""))

    @property
    def has_error(self) -> bool:
        return self.has_class("-invalid")

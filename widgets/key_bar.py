"""The footer: the keys that work here, labelled in the desk's language.

Textual's Footer shows each binding's English `description`; this bar asks a `label_for`
callback instead (the screen passes one backed by the message catalog, keyed by the binding's
action), and redraws when the screen's active bindings change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.widgets import Static

LabelFor = Callable[[Binding], str]
_FUNCTION_KEY = re.compile(r"^f\d{1,2}$")


def key_display(app: App[Any], binding: Binding) -> str:
    """How a key is written for people: F1…F12 in capitals, the rest as Textual shows it."""
    shown = app.get_key_display(binding)
    return shown.upper() if _FUNCTION_KEY.match(shown) else shown


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, label_for: LabelFor, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._label_for = label_for

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.redraw)

    def _bindings_changed(self, _screen: object) -> None:
        self.redraw()

    def redraw(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            if text:
                text.append("  ")
            text.append(key_display(self.app, binding), style="bold reverse")
            text.append(" ")
            text.append(self._label_for(binding))
        self.update(text)

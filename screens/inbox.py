"""F7: my inbox — dispatch notices for my department's liaison, and each step of the cases I
own (first-contact ownership: the first owner hears of every step until closure).

Newest first; unread ones in bold. `enter` opens the case and marks that notice read; `r`
marks everything shown as read. The header's unread count follows.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from deskapp.cases import InboxItem
from deskapp.context import DeskContext
from deskapp.display import one_line
from screens.base import DeskScreen


class InboxScreen(DeskScreen):
    DEFAULT_CSS = """
    InboxScreen #inbox-title { height: 1; padding: 0 1; background: $boost; }
    InboxScreen #inbox { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "mark_all_read", "Mark all read", id="inbox.mark_all_read"),
        Binding("escape", "back", "Back", id="inbox.back"),
    ]

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.items: list[InboxItem] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(Text(self.ctx.t("inbox.title")), id="inbox-title")
        yield OptionList(id="inbox")

    def on_mount(self) -> None:
        self.query_one("#inbox", OptionList).focus()

    def on_screen_resume(self) -> None:
        """On first showing and on coming back from a case: notices may have arrived."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def load(self) -> None:
        items = self.ctx.desk.inbox(self.ctx.me, limit=200)
        self.app.call_from_thread(self._show, items)

    def _show(self, items: list[InboxItem]) -> None:
        t, tz = self.ctx.t, self.ctx.desk.settings.tz
        self.items = items
        box = self.query_one("#inbox", OptionList)
        highlighted = box.highlighted
        box.clear_options()
        unread = sum(1 for i in items if i.read_at is None)
        self.query_one("#inbox-title", Static).update(
            Text(t("inbox.title_count", unread=unread, total=len(items)))
        )
        if not items:
            box.add_option(Option(Text(t("inbox.empty"), style="dim"), disabled=True))
            return
        for item in items:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{item.at.astimezone(tz):%m-%d %H:%M}  ")
            line.append(t(f"inbox.kind.{item.kind}"), style="bold" if item.read_at is None else "")
            line.append(f"  {item.number}  ")
            line.append(one_line(item.subject))  # customer text: plain, never markup
            if item.step:
                step = f"action.{item.step}"
                said = t(step) if step in self.ctx.catalog else item.step
                by = f" ({one_line(item.by)})" if item.by else ""
                line.append(f"  · {said}{by}", style="dim")
            if item.message:
                line.append(f"  “{one_line(item.message)}”", style="italic")
            if item.read_at is None:
                line.stylize("bold", 0, 13)
            box.add_option(Option(line, id=str(item.id)))
        box.highlighted = min(highlighted or 0, len(items) - 1)  # enter works at once

    @on(OptionList.OptionSelected, "#inbox")
    def _open(self, event: OptionList.OptionSelected) -> None:
        from screens.case import CaseScreen

        item = next((i for i in self.items if str(i.id) == event.option.id), None)
        if item is None:
            return
        if item.read_at is None:
            self._mark([item.id])
        if item.number:
            self.app.push_screen(CaseScreen(self.ctx, item.number))

    def action_mark_all_read(self) -> None:
        self._mark([i.id for i in self.items if i.read_at is None])

    @work(thread=True, exit_on_error=False, group="db-mark")
    def _mark(self, ids: list[int]) -> None:
        if ids:
            self.ctx.desk.mark_read(self.ctx.me, ids)
        self.app.call_from_thread(self.load)
        self.app.call_from_thread(self.refresh_counts)

    def action_back(self) -> None:
        self.app.pop_screen()

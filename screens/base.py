"""The frame every signed-in screen shares: the header with live counts and the key bar.

The desk time is redrawn on the minute; the counts are re-read in a worker every few seconds,
and only while this screen is the one on top (a screen under a dialog does not poll).
"""

from __future__ import annotations

from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from deskapp import clock
from deskapp.context import DeskContext
from deskapp.i18n import enum_label
from deskapp.overview import my_counts
from widgets.desk_header import Counts, DeskHeader
from widgets.key_bar import KeyBar

COUNTS_EVERY = 10.0


def catalog_key(binding: Binding) -> str:
    """The catalog key of a binding's label: `key.<action>` (`request_quit` → `key.quit`); a
    workflow action on a case, `act('dispatch')`, is labelled `action.dispatch`."""
    action, _, argument = binding.action.partition("(")
    if action == "act":
        return "action." + argument.strip("')")
    action = action.rsplit(".", 1)[-1]
    return f"key.{action.removeprefix('request_')}"


def key_label(ctx: DeskContext, binding: Binding) -> str:
    """A binding's label in the desk's language, else its own (English) description."""
    key = catalog_key(binding)
    return ctx.t(key) if key in ctx.catalog else binding.description


class DeskScreen(Screen[None]):
    def __init__(self, ctx: DeskContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose_frame(self) -> ComposeResult:
        self.header = DeskHeader(self.ctx.t("app.title"))
        yield self.header
        yield KeyBar(lambda b: key_label(self.ctx, b))

    def on_mount(self) -> None:
        if self.ctx.actor is not None:
            me = self.ctx.actor
            roles = "、" if self.ctx.lang == "zh" else ", "
            self.header.show_person(
                self.ctx.t(
                    "header.signed_in",
                    name=me.display_name,
                    role=roles.join(enum_label(r, self.ctx.lang) for r in sorted(me.roles)),
                )
            )
            self.refresh_counts()
            self.set_interval(COUNTS_EVERY, self.refresh_counts)
        self._tick_time()

    def _tick_time(self) -> None:
        now = clock.now().astimezone(self.ctx.desk.settings.tz)
        self.header.show_time(self.ctx.t("header.desk_time", time=now.strftime("%m-%d %H:%M")))
        self.set_timer(60 - now.second - now.microsecond / 1e6 + 0.05, self._tick_time)

    def refresh_counts(self) -> None:
        if self.ctx.actor is not None and self.app.screen is self:
            self._load_counts(clock.now())

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def _load_counts(self, now: datetime) -> None:
        desk = self.ctx.desk
        counts = my_counts(desk.engine, self.ctx.me.staff_id, now)
        unread = desk.unread_count(self.ctx.me)
        if not get_current_worker().is_cancelled:
            shown = Counts(counts.open, counts.at_risk, counts.breached, unread)
            self.app.call_from_thread(self._show_counts, shown)

    def _show_counts(self, counts: Counts) -> None:
        labels = (
            self.ctx.t("header.my_open", count=counts.open),
            self.ctx.t("header.at_risk", count=counts.at_risk),
            self.ctx.t("header.breached", count=counts.breached),
            self.ctx.t("header.unread", count=counts.unread),
        )
        self.header.show_counts(labels, counts)

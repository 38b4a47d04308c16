"""The frame every signed-in screen shares: the header with live counts and the key bar.

The desk time is redrawn on the minute; the counts are re-read in a worker every few seconds,
and only while this screen is the one on top (a screen under a dialog does not poll).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from deskapp import clock
from deskapp.context import DeskContext
from deskapp.i18n import enum_label
from deskapp.logs import log
from widgets.desk_header import Counts, DeskHeader
from widgets.key_bar import KeyBar
from widgets.status_line import StatusLine

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


def report_failure(app: App[Any], ctx: DeskContext, what: str, error: BaseException) -> None:
    """The one way a failure in the background reaches people: a line in the status line of
    the screen on top (a toast when a dialog is on top), and the traceback in the log."""
    key = f"failure.{what}" if f"failure.{what}" in ctx.catalog else "failure.other"
    message = ctx.t(key, message=ctx.explain(error))
    log.error("%s", message, exc_info=error)
    screen = app.screen
    if isinstance(screen, DeskScreen) and screen.is_mounted:
        screen.status_line.show_error(message)
    else:
        app.notify(message, severity="error", timeout=15, markup=False)


class DeskScreen(Screen[None]):
    DEFAULT_CSS = """
    DeskScreen #frame-foot { dock: bottom; height: auto; }
    DeskScreen #frame-foot > KeyBar { dock: none; }
    """

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose_frame(self) -> ComposeResult:
        self.header = DeskHeader(self.ctx.t("app.title"))
        self.status_line = StatusLine(id="status-line")
        yield self.header
        with Vertical(id="frame-foot"):
            yield self.status_line
            yield KeyBar(lambda b: key_label(self.ctx, b))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Workers run with `exit_on_error=False`: their failures would otherwise vanish
        (Textual does not bubble this message, so each screen hands its own over)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            report_failure(self.app, self.ctx, worker.group, worker.error)

    def on_mount(self) -> None:
        """Textual runs the `on_mount` of every class in a screen's MRO, base first: a screen's
        own `on_mount` must not call `super().on_mount()` (the breach board did, and ran the
        queue's database thread twice)."""
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
        from deskapp.overview import my_counts  # the store's libraries: not before sign-in

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


@runtime_checkable
class HoldsDraft(Protocol):
    """A screen with typed work that quitting would interrupt (it is saved, but ask first)."""

    def has_unsubmitted_work(self) -> bool: ...

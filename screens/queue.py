"""F3: the live SLA queue — what to work on next and how long until each promise breaks.

One database thread per screen does every read, in order, so a scroll, a filter change and a
change from another desk never race: the UI posts requests, the thread folds them into the
current `Window` and hands the new one back. News of other desks' changes comes from the
process's one change feed (`DeskContext.changes`) as one more request. If the database is
locked or gone the thread says so in the status line and the list keeps showing the last rows it
had.
"""

from __future__ import annotations

import contextlib
import queue as stdqueue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar, Literal

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from deskapp import clock
from deskapp.changes import Change, ChangeFeed
from deskapp.context import DeskContext
from deskapp.countdown import Countdown, Tone, countdown
from deskapp.domain import Status
from deskapp.i18n import enum_label
from deskapp.live_queue import (
    EMPTY,
    QueueFilter,
    QueueReader,
    QueueRow,
    Window,
    base_filter,
    views_for,
)
from deskapp.masking import contact_for
from screens.base import DeskScreen
from widgets.prose import safe_line
from widgets.queue_list import COLUMNS, Look, QueueList, header_line
from widgets.safe_input import SafeInput

COLUMN_KEYS = tuple(key for key, _least, _most in COLUMNS)

#: How long the database thread waits for a request before looking at the clock, and how long
#: it waits after a failed read; a time-filtered view is re-read every RELOAD_TIMED_EVERY.
POLL_EVERY = 1.0
RELOAD_TIMED_EVERY = 5.0


@dataclass(frozen=True)
class _Request:
    #: "filter": read from the top with this filter; "rows": load rows lo..hi of the current
    #: result; "changes": these cases changed (from the change feed).
    kind: Literal["filter", "rows", "changes"]
    filter: QueueFilter | None = None
    lo: int = 0
    hi: int = 0
    affected: frozenset[int] = frozenset()


class QueueScreen(DeskScreen):
    DEFAULT_CSS = """
    QueueScreen #queue-bar { height: 1; padding: 0 1; background: $boost; }
    QueueScreen #queue-columns { height: 1; text-style: bold; color: $text-muted; }
    QueueScreen #queue-detail { height: 1; padding: 0 1; color: $text-muted; }
    QueueScreen #queue-search { dock: bottom; display: none; }
    QueueScreen #queue-search.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "next_view", "View", id="queue.view"),
        Binding("f", "filters", "Filter", id="queue.filter"),
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("x", "clear_filters", "Clear", id="queue.clear"),
        Binding("escape", "back", "Back", id="queue.back"),
    ]
    #: The breach board fixes these; the queue lets the person choose.
    fixed_states: frozenset[str] = frozenset()
    title_key = "queue.title"
    empty_key = "queue.empty"

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.views = views_for(ctx.me)
        self.view = self.views[0]
        self.filter = replace(base_filter(self.view, ctx.me), states=self.fixed_states)
        self._requests: stdqueue.Queue[_Request] = stdqueue.Queue()
        self._stop = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._names: dict[int, str] = {}
        self._depts: dict[int, str] = {}
        self._status = ""
        self.loaded = threading.Event()  # set after the first window arrives (tests, benchmarks)
        #: Set while the database thread has nothing left to do (tests wait for it).
        self.idle = threading.Event()

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static("", id="queue-bar", markup=False)
        yield from self.compose_above_list()
        yield Static("", id="queue-columns", markup=False)
        yield QueueList(self._describe, id="queue")
        yield Static("", id="queue-detail", markup=False)
        yield SafeInput(placeholder=self.ctx.t("queue.search_prompt"), id="queue-search")

    def compose_above_list(self) -> ComposeResult:
        """What a screen built on the queue shows between its bar and its rows (the board's
        wall); the queue shows nothing there."""
        yield from ()

    def refresh_above_list(self, now: datetime, changed: bool) -> None:
        """Called on the screen's database thread after each pass (`changed`: its rows moved
        or the change feed named cases): read and show what `compose_above_list` added. The
        queue has nothing to read."""

    def on_mount(self) -> None:
        self.rows.placeholder = self.ctx.t("queue.loading")
        self.rows.focus()
        self._run_database()
        self._ask(_Request("filter", self.filter))
        self.set_interval(1.0, self._tick)
        self._show_bar()

    def on_unmount(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _news(self, changes: list[Change]) -> None:
        """On the change feed's thread: hand the cases it names to this screen's thread."""
        affected = ChangeFeed.affected(changes)
        if affected:
            self._ask(_Request("changes", affected=frozenset(affected)))

    @property
    def rows(self) -> QueueList:
        return self.query_one("#queue", QueueList)

    def on_resize(self) -> None:
        self._show_columns()

    def _show_columns(self) -> None:
        width = self.rows.size.width or self.size.width
        titles = {key: self.ctx.t(f"queue.column.{key}") for key in COLUMN_KEYS}
        self.rows.set_wanted(self._wanted(titles))
        self.query_one("#queue-columns", Static).update(
            Text(header_line(width, titles, self.rows.wanted), no_wrap=True)
        )

    def _wanted(self, titles: dict[str, str]) -> dict[str, int]:
        """The widest text each column holds in the rows loaded now (their steps, states,
        departments and people), so the columns share the width by what they hold."""
        t, lang = self.ctx.t, self.ctx.lang
        rows = self.rows.window.rows

        def widest(texts: Iterable[str]) -> int:
            return max((cell_len(x) for x in texts), default=0)

        wanted = {
            "milestone": widest(t(f"queue.step.{r.next_kind}") for r in rows if r.next_kind),
            "status": widest({enum_label(Status(r.status), lang) for r in rows}),
            "department": widest({self._depts.get(r.primary_dept_id or 0, "") for r in rows}),
            "assignee": widest({self._names.get(r.assignee_id or 0, "") for r in rows}),
            "customer": widest(self._customer(r) for r in rows),
            "flags": max((len(r.flags.split()) for r in rows), default=0) * 2,
        }
        return {k: max(v, cell_len(titles.get(k, ""))) for k, v in wanted.items()}

    # -- what one row says ------------------------------------------------------------------------

    def _countdown(self, row: QueueRow, now: datetime) -> Countdown:
        desk = self.ctx.desk
        return countdown(
            due_at=row.next_due_at,
            warn_at=row.next_warn_at,
            calendar=row.next_calendar,
            status=row.status,
            now=now,
            calendars=desk.calendars,
            lang=self.ctx.lang,
            paused_word=self.ctx.t("queue.paused"),
        )

    def _describe(self, row: QueueRow, now: datetime) -> Look:
        t, lang = self.ctx.t, self.ctx.lang
        cd = self._countdown(row, now)
        customer = self._customer(row)
        flags = "".join(
            t(f"queue.flag.{f}") for f in row.flags.split() if f"queue.flag.{f}" in self.ctx.catalog
        )
        escalation = max(row.escalation_level, _escalation(cd.tone))
        cells = (
            ("countdown", cd.text),
            ("number", row.number),
            ("severity", row.severity),
            ("milestone", t(f"queue.step.{row.next_kind}") if row.next_kind else ""),
            ("customer", customer),
            ("subject", row.subject),
            ("department", self._depts.get(row.primary_dept_id or 0, "")),
            ("assignee", self._names.get(row.assignee_id or 0, "")),
            ("status", enum_label(Status(row.status), lang)),
            ("escalation", str(escalation) if escalation else ""),
            ("flags", flags),
        )
        return Look(cells, cd.tone, row.severity)

    def _customer(self, row: QueueRow) -> str:
        """The customer as this person may see them (masked unless they work the case)."""
        shown = contact_for(self.ctx.me, row, row.customer_name, row.customer_phone)
        return shown.name or shown.phone

    def _detail(self, row: QueueRow | None) -> str:
        if row is None:
            return ""
        t = self.ctx.t
        now = clock.now()
        cd = self._countdown(row, now)
        step = t(f"enum.milestone.{row.next_kind}") if row.next_kind else ""
        tz = self.ctx.desk.settings.tz
        if cd.tone is Tone.PAUSED:
            what = t("queue.paused_customer")
        elif cd.tone is Tone.AFTER_HOURS and cd.resumes_at is not None:
            what = t("queue.after_hours", time=cd.resumes_at.astimezone(tz).strftime("%m-%d %H:%M"))
        elif cd.tone is Tone.BREACHED:
            what = t("queue.overdue", milestone=step)
        elif row.next_due_at is not None:
            when = row.next_due_at.astimezone(tz).strftime("%m-%d %H:%M")
            what = t("queue.due", milestone=step, when=when)
        else:
            what = ""
        assignee = self._names.get(row.assignee_id or 0) or t("queue.unassigned")
        return f"{row.number} · {what} · {assignee}"

    # -- the status bar ---------------------------------------------------------------------------

    def _show_bar(self) -> None:
        t = self.ctx.t
        window = self.rows.window
        parts = [t(self.title_key)]
        if not self.fixed_states:
            parts.append(t("queue.view_label", view=t(f"queue.view.{self.view.value}")))
        shown = min(window.total, self.rows.cursor + 1)
        if window.counted:
            parts.append(t("queue.count", shown=shown, total=window.total))
        else:
            parts.append(t("queue.counting", shown=shown, total=window.total))
        chosen = _describe_filter(self.ctx, self.filter, self.fixed_states)
        parts.append(t("queue.filters", list=chosen) if chosen else t("queue.no_filters"))
        if self.filter.search:
            parts.append(t("queue.searching", text=self.filter.search))
        line = "  ·  ".join(parts)
        text = safe_line(line, no_wrap=True, overflow="ellipsis")
        if self._status:
            text = safe_line(self._status, style="bold red", no_wrap=True, overflow="ellipsis")
        self.query_one("#queue-bar", Static).update(text)

    # -- requests to the database thread -----------------------------------------------------------

    def _ask(self, request: _Request) -> None:
        self.idle.clear()
        self._requests.put(request)

    @on(QueueList.NeedRows)
    def _need_rows(self, message: QueueList.NeedRows) -> None:
        self._ask(_Request("rows", lo=message.lo, hi=message.hi))

    @on(QueueList.Highlighted)
    def _highlighted(self, message: QueueList.Highlighted) -> None:
        self.query_one("#queue-detail", Static).update(
            safe_line(self._detail(message.row), no_wrap=True)
        )
        self._show_bar()

    @on(QueueList.Opened)
    def _opened(self, message: QueueList.Opened) -> None:
        from screens.case import CaseScreen

        self.app.push_screen(CaseScreen(self.ctx, message.row.number))

    def _set_filter(self, flt: QueueFilter) -> None:
        self.filter = flt
        self._ask(_Request("filter", flt))
        self._show_bar()

    def action_next_view(self) -> None:
        if self.fixed_states and len(self.views) < 2:
            return
        index = (self.views.index(self.view) + 1) % len(self.views)
        self.view = self.views[index]
        base = base_filter(self.view, self.ctx.me)
        self._set_filter(
            replace(
                self.filter,
                department_id=base.department_id,
                assignee_id=base.assignee_id,
                owner_or_assignee_id=base.owner_or_assignee_id,
                first_owner_id=base.first_owner_id,
            )
        )

    def action_filters(self) -> None:
        from screens.dialogs.queue_filter import QueueFilterDialog

        def chosen(flt: QueueFilter | None) -> None:
            if flt is not None:
                self._set_filter(replace(flt, states=flt.states or self.fixed_states))

        self.app.push_screen(QueueFilterDialog(self.ctx, self.filter), chosen)

    def action_clear_filters(self) -> None:
        base = base_filter(self.view, self.ctx.me)
        self._set_filter(replace(base, states=self.fixed_states))

    def action_search(self) -> None:
        box = self.query_one("#queue-search", Input)
        box.add_class("-open")
        box.value = self.filter.search
        box.focus()

    @on(Input.Submitted, "#queue-search")
    def _search(self, event: Input.Submitted) -> None:
        event.input.remove_class("-open")
        self.rows.focus()
        self._set_filter(replace(self.filter, search=event.value.strip()))

    def action_back(self) -> None:
        box = self.query_one("#queue-search", Input)
        if box.has_class("-open"):
            box.remove_class("-open")
            self.rows.focus()
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    # -- live --------------------------------------------------------------------------------------

    def _tick(self) -> None:
        if self.app.screen is self:
            self.rows.tick(clock.now())

    def _show_window(self, window: Window, status: str) -> None:
        self._status = status
        self.rows.set_window(window)
        self._show_columns()  # the columns share the width by what these rows hold
        if window.total == 0:
            self.rows.placeholder = self.ctx.t(self.empty_key)
        self._show_bar()
        self.loaded.set()

    def _show_status(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self._show_bar()

    def _run_database(self) -> None:
        """A plain daemon thread, not a Textual worker: it lives as long as the screen, and
        waiting for workers (as tests and shutdown do) must not wait for it."""
        self._thread = threading.Thread(target=self._database_loop, name="queue-db", daemon=True)
        self._thread.start()

    def _database_loop(self) -> None:
        """The screen's one database thread (see the module docstring)."""
        desk = self.ctx.desk
        window = EMPTY
        reader: QueueReader | None = None
        ready = False
        last_reload = time.monotonic()
        while not self._stop.is_set():
            try:
                if not ready:
                    self._names = self.ctx.staff_names()
                    self._depts = self.ctx.department_names()
                    self.app.call_from_thread(self._show_columns)  # widths by the names
                    # Subscribed before the first read: nothing committed between is missed.
                    self._unsubscribe = self.ctx.changes.subscribe(self._news)
                    ready = True
                requests = self._drain()
                now = clock.now()
                before = window
                changed: set[int] = set()
                news = False
                for request in requests:
                    if request.kind == "filter" and request.filter is not None:
                        reader = QueueReader(desk.engine, request.filter)
                        window = reader.first(now)
                        changed.clear()  # read fresh: earlier news is in it
                    elif reader is not None and request.kind == "rows":
                        window = reader.around(window, request.lo, request.hi, now)
                    elif request.kind == "changes":
                        changed |= request.affected
                        news = True
                if reader is not None:
                    if changed:
                        window = reader.changed(window, changed, now)
                    if reader.timed and time.monotonic() - last_reload >= RELOAD_TIMED_EVERY:
                        window = reader.reload(window, now)
                        last_reload = time.monotonic()
                if window is not before or self._status:
                    self.app.call_from_thread(self._show_window, window, "")
                if reader is not None and not window.counted:
                    window = reader.count(window, now)
                    self.app.call_from_thread(self._show_window, window, "")
                if reader is not None:
                    # News of any case counts, in the list or not: a case registered on track
                    # changes the board's tiles without changing its list of late cases.
                    self.refresh_above_list(now, window is not before or bool(news))
                if self._requests.empty():
                    self.idle.set()
            except Exception as exc:  # locked, gone, timed out: keep the last rows, say so
                if self._stop.is_set():
                    return
                message = self.ctx.t("queue.stale", error=self.ctx.explain(exc, 80))
                try:
                    self.app.call_from_thread(self._show_status, message)
                except Exception:
                    return
                self._stop.wait(POLL_EVERY)
        if self._unsubscribe is not None:  # the screen went while this thread subscribed
            self._unsubscribe()

    def _drain(self) -> list[_Request]:
        """Wait up to a poll interval for requests (news from the change feed is one), then take
        them all; only the last filter and the last row range matter, and the news adds up."""
        requests: list[_Request] = []
        with contextlib.suppress(stdqueue.Empty):
            requests.append(self._requests.get(timeout=POLL_EVERY))
        while True:
            try:
                requests.append(self._requests.get_nowait())
            except stdqueue.Empty:
                break
        filters = [r for r in requests if r.kind == "filter"]
        rows = [r for r in requests if r.kind == "rows"]
        news = frozenset().union(*(r.affected for r in requests if r.kind == "changes"))
        kept: list[_Request] = []
        if filters:
            kept.append(filters[-1])
        if rows:
            kept.append(rows[-1])
        if news:
            kept.append(_Request("changes", affected=news))
        return kept


def _escalation(tone: Tone) -> int:
    """The rung a case's head promise alone puts it on: warned when at risk, manager once
    breached (the stored level can be higher: executive, or escalated by hand)."""
    return {Tone.AT_RISK: 1, Tone.BREACHED: 2}.get(tone, 0)


def _describe_filter(ctx: DeskContext, flt: QueueFilter, fixed: frozenset[str]) -> str:
    t = ctx.t
    parts: list[str] = []
    parts += [t(f"enum.severity.{s}") for s in sorted(flt.severities)]
    parts += [t(f"enum.milestone_state.{s}") for s in sorted(flt.states - fixed)]
    parts += [t(f"queue.step.{k}") for k in sorted(flt.kinds)]
    parts += [t(f"enum.channel.{c}") for c in sorted(flt.channels)]
    if flt.flag:
        parts.append(t(f"enum.flag.{flt.flag}"))
    return ", ".join(parts)

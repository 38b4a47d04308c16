"""The programs the pty harness (`benchmarks.bench_wire`) starts on the slave side of a terminal.

    python -m benchmarks.pty_apps desk URL     # the desk, its queue ticks reported
    python -m benchmarks.pty_apps table URL    # DataTable showing the same queue, same ticks
    python -m benchmarks.pty_apps bare         # a bare Textual app that shows each key pressed

A tick is reported by writing the instant it starts (`time.monotonic()`, CLOCK_MONOTONIC,
which every process on the machine shares) to the file descriptor named by `PROBE_FD`, so the
harness can time it to the bytes of the frame reaching the terminal. The desk is otherwise the
shipped program (`deskapp run`): the probe wraps `QueueList.tick` from outside and changes
nothing else. Each program imports only what it needs, so start-up times stay comparable.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

PROBE_ENV = "PROBE_FD"
#: What the bare app shows before any key and after one: the harness waits for these.
BARE_READY = "bare-app-ready"
BARE_PRESSED = "bare-app-pressed"


def _report(fd: int) -> None:
    os.write(fd, f"{time.monotonic()!r}\n".encode())


def run_desk(url: str) -> None:
    """The desk as `deskapp run` starts it, with the queue's tick reported."""
    from deskapp import cli
    from widgets.queue_list import QueueList

    fd = int(os.environ[PROBE_ENV])
    original = QueueList.tick

    def tick(self: QueueList, now: Any) -> int:
        _report(fd)
        return original(self, now)

    QueueList.tick = tick  # type: ignore[method-assign]
    cli.main(["run", "--db", url, "--lang", "en"])


def run_table(url: str, rows: int = 1000) -> None:
    """DataTable doing the queue's job the obvious way: the first `rows` rows of the queue in
    the queue's columns, and every second the countdowns of the rows on screen recomputed by
    the same function the desk uses, each cell whose text changed set with `update_cell` (the
    least DataTable's API allows: unchanged cells are left alone)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from deskapp import clock
    from deskapp.cases import Desk
    from deskapp.countdown import countdown
    from store.engine import make_engine, read_session
    from store.queue import QueueFilter, QueueRow, page_after

    fd = int(os.environ[PROBE_ENV])
    desk = Desk(make_engine(url))
    with read_session(desk.engine) as s:
        queue = page_after(s, QueueFilter(), None, rows)
    people = desk.staff_names()
    depts = {d.id: d.name_en or d.name for d in desk.departments()}

    def left(row: QueueRow) -> str:
        return countdown(
            due_at=row.next_due_at,
            warn_at=row.next_warn_at,
            calendar=row.next_calendar,
            status=row.status,
            now=clock.now(),
            calendars=desk.calendars,
            lang="en",
            paused_word="paused",
        ).text

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            self.countdown_column = table.add_columns(
                "left", "case", "sev", "step", "customer", "subject", "department",
                "assignee", "status", "esc", "flags",
            )[0]  # fmt: skip
            self.shown: dict[int, str] = {}
            for n, row in enumerate(queue):
                self.shown[n] = left(row)
                table.add_row(
                    self.shown[n],
                    row.number,
                    row.severity,
                    row.next_kind,
                    row.customer_name,
                    row.subject,
                    depts.get(row.primary_dept_id or 0, ""),
                    people.get(row.assignee_id or 0, ""),
                    row.status,
                    str(row.escalation_level or ""),
                    row.flags,
                    key=str(n),
                )
            table.focus()
            self.set_interval(1.0, self.tick)

        def tick(self) -> None:
            _report(fd)
            table = self.query_one(DataTable)
            top = int(table.scroll_y)
            for n in range(top, min(len(queue), top + table.size.height)):
                text = left(queue[n])
                if text != self.shown[n]:
                    self.shown[n] = text
                    table.update_cell(str(n), self.countdown_column, text)

    Table().run()


def run_bare() -> None:
    """The floor for start-up and for a key: one Static, replaced when a key arrives."""
    from textual import events
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(BARE_READY)

        def on_key(self, event: events.Key) -> None:
            self.query_one(Static).update(f"{BARE_PRESSED} {event.key}")

    Bare().run()


def main(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "desk":
        run_desk(rest[0])
    elif kind == "table":
        run_table(rest[0])
    elif kind == "bare":
        run_bare()
    else:
        raise SystemExit(f"unknown program {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

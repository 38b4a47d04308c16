"""The breach board's wall: the tiles (department × severity: open, at risk, breached,
waiting on the customer), today's promises kept against the target, the escalations waiting
for a decision and the case longest without its apology. It is handed a `BoardView` and the
names to show; the screen reads the view. The worst departments come first, and a short
screen shows fewer of them."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static

from deskapp.board import BoardView, Counts
from deskapp.display import one_line

#: Each number column's width, in cells.
CELL = 5
SEVERITIES = ("A", "B", "C")
KINDS = ("acknowledge", "dispatch", "contact", "resolve", "feedback", "revisit")


def _span(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


class BoardWall(Static):
    DEFAULT_CSS = """
    BoardWall { height: auto; padding: 0 1; }
    """

    def __init__(self, t: Callable[..., str], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._t = t

    def show(
        self,
        view: BoardView,
        depts: dict[int, str],
        *,
        target: float,
        max_rows: int,
        chosen: int | None = None,
    ) -> None:
        """Paint the view; at most `max_rows` department rows, worst first (`chosen`, the
        department the list below is narrowed to, is marked)."""
        t = self._t
        numbers = len(SEVERITIES) * 4 * CELL
        name_width = max(8, min(16, (self.size.width or 80) - 3 - numbers))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" " * name_width)
        for sev in SEVERITIES:
            text.append(_fit(" " + t(f"enum.severity.{sev}"), 4 * CELL), style="bold")
        text.append("\n" + " " * name_width, style="dim")
        heads = [t(f"board.head.{k}") for k in ("open", "at_risk", "breached", "paused")]
        for _ in SEVERITIES:
            for h in heads:
                text.append(h.rjust(CELL - _wide(h)), style="dim")
        rows = self.worst(view)
        for dept in rows[:max_rows]:
            name = depts.get(dept, "") if dept else t("queue.board_undispatched")
            mark = "▶" if chosen is not None and chosen == dept else " "
            text.append("\n" + mark + _fit(one_line(name), name_width - 1))
            for sev in SEVERITIES:
                self._cell(text, view.tiles.get((dept, sev), Counts()))
        hidden = len(rows) - max_rows
        if hidden > 0:
            text.append("\n" + t("board.more_departments", count=hidden), style="dim")
        text.append("\n")
        self._on_time(text, view, target)
        self._waiting(text, view)
        self.update(text)

    @staticmethod
    def worst(view: BoardView) -> list[int]:
        """Departments by how badly they stand: most breached, most at risk, most open."""
        totals: dict[int, tuple[int, int, int]] = {}
        for (dept, _sev), c in view.tiles.items():
            late, risk, opened = totals.get(dept, (0, 0, 0))
            totals[dept] = (late + c.breached, risk + c.at_risk, opened + c.open)
        return sorted(totals, key=lambda d: (-totals[d][0], -totals[d][1], -totals[d][2], d))

    @staticmethod
    def _cell(text: Text, c: Counts) -> None:
        text.append(f"{c.open:>{CELL}}")
        text.append(f"{c.at_risk:>{CELL}}", style="bold yellow" if c.at_risk else "dim")
        text.append(f"{c.breached:>{CELL}}", style="bold red" if c.breached else "dim")
        text.append(f"{c.paused:>{CELL}}", style="" if c.paused else "dim")

    def _on_time(self, text: Text, view: BoardView, target: float) -> None:
        t = self._t
        text.append(t("board.on_time", target=f"{target:.0%}"), style="bold")
        parts = 0
        for kind in KINDS:
            rate = view.on_time_rate(kind)
            if rate is None:
                continue
            text.append("  " + t(f"queue.step.{kind}") + " ")
            text.append(f"{rate:.0%}", style="bold red" if rate < target else "green")
            parts += 1
        if not parts:
            text.append("  " + t("board.none_today"), style="dim")

    def _waiting(self, text: Text, view: BoardView) -> None:
        t, now = self._t, view.read_at
        entries = []
        for w in view.waiting:
            entry = Text(f"  {w.number} ")
            tone = "bold red" if w.level >= 3 else "yellow"
            entry.append(t("board.level", level=w.level), style=tone)
            entry.append(f" {_span((now - w.since).total_seconds())}", style="dim")
            entries.append(entry)
        self._line(text, t("board.waiting"), t("board.none_waiting"), entries)
        self._batches(text, view)
        oldest = view.oldest_unacknowledged
        text.append("\n" + t("board.oldest"), style="bold")
        if oldest is None:
            text.append("  " + t("board.none_unacknowledged"), style="dim")
        else:
            number, subject, since = oldest
            text.append(f"  {number} ")
            text.append(_span((now - since).total_seconds()), style="bold")
            text.append("  " + one_line(subject), style="dim")

    def _batches(self, text: Text, view: BoardView) -> None:
        """Batch issues still taking complaints, newest first: a page for the supervisor."""
        t = self._t
        entries = []
        for key, cases, _at in view.batches:
            kind, _, what = key.partition(":")
            label = t(f"board.batch_kind.{kind}") if kind in ("product", "order", "topic") else kind
            if kind == "topic":
                category, _, word = what.partition(":")
                what = f"{t(f'enum.category.{category}')}/{word}"
            entry = Text(f"  {label} {one_line(what)} ", style="bold red")
            entry.append(t("board.batch_cases", count=cases), style="red")
            entries.append(entry)
        self._line(text, t("board.batches"), t("board.none_batches"), entries)

    def _line(self, text: Text, title: str, none: str, entries: list[Text]) -> None:
        """One line of the wall: its title, then as many entries as fit, then "and n more"."""
        line = Text(title, style="bold")
        if not entries:
            line.append("  " + none, style="dim")
        width = (self.size.width or 80) - 2
        for n, entry in enumerate(entries):
            rest = Text("  " + self._t("board.and_more", count=len(entries) - n), style="dim")
            last = n == len(entries) - 1
            if line.cell_len + entry.cell_len + (0 if last else rest.cell_len) > width:
                line.append_text(rest)
                break
            line.append_text(entry)
        text.append("\n")
        text.append_text(line)


def _wide(text: str) -> int:
    """Extra cells a label takes beyond its length (CJK characters are two cells wide)."""
    from rich.cells import cell_len

    return cell_len(text) - len(text)


def _fit(text: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    return set_cell_size(text, width) if cell_len(text) != width else text

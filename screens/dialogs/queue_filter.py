"""The queue's filter dialog: severity, state, milestone, channel and one risk flag."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from deskapp.context import DeskContext
from deskapp.domain import Channel, MilestoneKind, RiskFlag, Severity
from deskapp.i18n import enum_label
from deskapp.live_queue import QueueFilter

STATES = ("breached", "at_risk", "on_track", "paused")


class QueueFilterDialog(ModalScreen[QueueFilter | None]):
    DEFAULT_CSS = """
    QueueFilterDialog { align: center middle; }
    QueueFilterDialog > Vertical {
        width: auto; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    QueueFilterDialog Horizontal { height: auto; }
    QueueFilterDialog SelectionList { width: auto; min-width: 14; height: auto; max-height: 12; }
    QueueFilterDialog .filter-title { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", id="queue_filter.apply", priority=True),
        Binding("escape", "dismiss_dialog", "Back", id="queue_filter.back"),
    ]

    def __init__(self, ctx: DeskContext, current: QueueFilter) -> None:
        super().__init__()
        self.ctx = ctx
        self.current = current

    def compose(self) -> ComposeResult:
        t, lang, cur = self.ctx.t, self.ctx.lang, self.current

        def pick(
            name: str, options: list[tuple[str, str]], chosen: frozenset[str]
        ) -> SelectionList[str]:
            items = [Selection(Text(label), value, value in chosen) for label, value in options]
            box: SelectionList[str] = SelectionList(*items, id=f"filter-{name}")
            box.border_title = t(f"queue.filter_{name}")
            return box

        with Vertical():
            yield Static(Text(t("queue.filter_title")), classes="filter-title")
            with Horizontal():
                yield pick(
                    "severity", [(enum_label(s, lang), s.value) for s in Severity], cur.severities
                )
                yield pick(
                    "state",
                    [(t(f"enum.milestone_state.{s}"), s) for s in STATES],
                    cur.states,
                )
                yield pick(
                    "milestone",
                    [(t(f"queue.step.{k.value}"), k.value) for k in MilestoneKind],
                    cur.kinds,
                )
                yield pick(
                    "channel", [(enum_label(c, lang), c.value) for c in Channel], cur.channels
                )
                yield pick(
                    "flag",
                    [(enum_label(f, lang), f.value) for f in RiskFlag],
                    frozenset({cur.flag}) if cur.flag else frozenset(),
                )

    def _chosen(self, name: str) -> frozenset[str]:
        return frozenset(self.query_one(f"#filter-{name}", SelectionList).selected)

    def action_apply(self) -> None:
        flags = sorted(self._chosen("flag"))
        self.dismiss(
            replace(
                self.current,
                severities=self._chosen("severity"),
                states=self._chosen("state"),
                kinds=self._chosen("milestone"),
                channels=self._chosen("channel"),
                # One flag filters (the store matches one word); the first chosen wins.
                flag=flags[0] if flags else None,
            )
        )

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)

"""The breach board's read model, and the tally the use cases keep for it.

The board (F4) is a wall for a supervisor's second screen: tiles per department × severity with
the open, at-risk, breached and paused cases; today's on-time rate per milestone against the
target; the escalations waiting for a decision; the oldest case still waiting for its apology.
One `read_board` is a handful of indexed statements (`store.board`), so a refresh stays in
milliseconds at a million cases and the board can follow every change on any desk.

The open and paused counts are kept by the use cases (`deskapp.cases.tally`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from store import board as sql
from store.board import Counts, Tile
from store.engine import read_session
from store.models import Complaint

if TYPE_CHECKING:
    from deskapp.cases import Desk

__all__ = ["BoardView", "Counts", "Tile", "Waiting", "read_board"]


@dataclass(frozen=True)
class Waiting:
    number: str
    subject: str
    level: int
    since: datetime


@dataclass(frozen=True)
class BoardView:
    tiles: dict[Tile, Counts]
    #: Today's promises per milestone kind: (met on time, late).
    outcomes: dict[str, tuple[int, int]]
    waiting: list[Waiting]
    #: (number, subject, registered at) of the case longest without its apology.
    oldest_unacknowledged: tuple[str, str, datetime] | None
    read_at: datetime
    #: (key, cases, last complaint at) of the batch issues still taking complaints.
    batches: list[tuple[str, int, datetime]] = field(default_factory=list)

    def totals(self) -> Counts:
        t = self.tiles.values()
        return Counts(
            sum(c.open for c in t),
            sum(c.paused for c in t),
            sum(c.at_risk for c in t),
            sum(c.breached for c in t),
        )

    def on_time_rate(self, kind: str | None = None) -> float | None:
        """Share of today's promises kept (of one milestone kind, or all); None: none yet."""
        pairs = [self.outcomes[kind]] if kind is not None and kind in self.outcomes else []
        if kind is None:
            pairs = list(self.outcomes.values())
        good = sum(p[0] for p in pairs)
        total = sum(p[0] + p[1] for p in pairs)
        return good / total if total else None


def read_board(desk: Desk, now: datetime, waiting_limit: int = 8) -> BoardView:
    """Everything the wall shows, at `now`, in one read transaction."""
    local = now.astimezone(desk.settings.tz)
    midnight = datetime.combine(local.date(), time(0), tzinfo=desk.settings.tz)
    with read_session(desk.engine) as s:
        counts = sql.tally(s)
        risk = sql.risk(s, now)
        tiles = {
            tile: Counts(
                counts.get(tile, (0, 0))[0],
                counts.get(tile, (0, 0))[1],
                risk.get(tile, (0, 0))[0],
                risk.get(tile, (0, 0))[1],
            )
            for tile in sorted(set(counts) | set(risk))
        }
        outcomes = sql.outcomes(s, midnight, now)
        oldest = sql.oldest_unacknowledged(s)
        batches = sql.open_batches(s, now - timedelta(hours=desk.settings.batch_window_hours))
        waiting = sql.waiting_escalations(s)[:waiting_limit]
        ids = [w[0] for w in waiting] + ([oldest[0]] if oldest else [])
        named = (
            {
                int(i or 0): (n, subj)
                for i, n, subj in s.exec(
                    select(col(Complaint.id), col(Complaint.number), col(Complaint.subject)).where(
                        col(Complaint.id).in_(ids)
                    )
                ).all()
            }
            if ids
            else {}
        )
    return BoardView(
        tiles=tiles,
        outcomes=outcomes,
        waiting=[Waiting(*named[cid], level, at) for cid, level, at in waiting if cid in named],
        oldest_unacknowledged=(*named[oldest[0]], oldest[1])
        if oldest and oldest[0] in named
        else None,
        read_at=now,
        batches=batches,
    )

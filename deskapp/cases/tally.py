"""The breach board's open and paused counts, kept by the use cases (`store.board`): each that
opens, closes, pauses, resumes, moves or reclassifies a case passes its tile standing before and
after the change, in the change's own transaction, so the counts never wait for a recount."""

from __future__ import annotations

from sqlmodel import Session

from store import board
from store.board import Tile
from store.models import Complaint
from store.queue import PAUSED_STATUS

#: What a case adds to its tile: (tile, open, paused).
Standing = tuple[Tile, int, int]


def standing(c: Complaint) -> Standing:
    opened = int(bool(c.is_open))
    return ((c.primary_dept_id or 0, c.severity), opened, int(opened and c.status == PAUSED_STATUS))


def keep(session: Session, before: Standing | None, after: Standing | None) -> None:
    """Move a case's contribution from its old tile standing to its new one."""
    if before == after:
        return
    changes: dict[Tile, tuple[int, int]] = {}
    for sign, state in ((-1, before), (1, after)):
        if state is None:
            continue
        tile, opened, paused = state
        o, p = changes.get(tile, (0, 0))
        changes[tile] = (o + sign * opened, p + sign * paused)
    board.bump(session, changes)

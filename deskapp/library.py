"""The case library (案例库) for the desk: closed cases like the one at hand, with what was
found and what was done, so a handler starts from what worked (`store.library` says how the
text is searched and ranked, the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import library
from store.engine import read_session, write_session
from store.library import LibraryMatch

if TYPE_CHECKING:
    from deskapp.cases import Desk

__all__ = ["LibraryMatch", "rebuild", "similar"]


def similar(
    desk: Desk, query: str, *, limit: int = 5, exclude: int | None = None
) -> list[LibraryMatch]:
    with read_session(desk.engine) as s:
        return library.similar(s, query, limit=limit, exclude=exclude)


def rebuild(desk: Desk) -> int:
    """Enter every closed case again (after a bulk import or the demo)."""
    with write_session(desk.engine) as s:
        return library.rebuild(s)

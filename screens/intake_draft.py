"""The intake form's draft: what was typed, saved locally half a second after the typing stops.

A write runs in a worker; writes land in order (an older one that is slow never replaces a newer
draft or brings back a discarded one). Only a form with something typed in it is a draft: the
selects the triage rules fill in are not work the agent could lose, and an empty draft offered
on the next F2 is noise. `flush` saves at once, for a hang-up or a quit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from deskapp.context import DeskContext
from widgets.debounce import Debouncer

DRAFT_KIND = "intake"
#: The intake form's typed fields (the rest are choices).
TEXT_FIELDS = (
    "phone",
    "name",
    "subject",
    "description",
    "demand",
    "email",
    "occurred_at",
    "place",
    "order_ref",
    "product_ref",
    "evidence",
)


def draft_has_content(values: dict[str, Any]) -> bool:
    """Something typed: a form of untouched fields and filled-in selects is no draft."""
    return any(str(values.get(name) or "").strip() for name in (*TEXT_FIELDS, "override_reason"))


DRAFT_DELAY = 0.5


class DraftKeeper:
    def __init__(
        self,
        screen: Screen[Any],
        ctx: DeskContext,
        values: Callable[[], dict[str, Any]],
        has_content: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.screen, self.ctx = screen, ctx
        self._values, self._has_content = values, has_content
        self._later = Debouncer(screen, DRAFT_DELAY, self._save)
        self._lock = threading.Lock()
        self._rev = self._saved_rev = 0
        #: Something typed since the last save or submit.
        self.dirty = False
        #: What the form held at the last look had something typed in it.
        self.has_work = False

    def touch(self) -> None:
        """The form changed: save it once the typing pauses."""
        self.dirty = True
        self._later.poke()

    def resumed(self) -> None:
        """The form was filled from a saved draft: it is work, already on disk."""
        self.has_work = True

    def _save(self) -> None:
        values = self._values()
        self.has_work = self._has_content(values)
        self.dirty = False
        self._rev += 1
        rev, login = self._rev, self.ctx.me.login
        payload = values if self.has_work else None  # nothing typed (any more): no draft
        self.screen.run_worker(
            lambda: self._store(login, payload, rev),
            thread=True,
            group="draft",
            exit_on_error=False,
        )

    def _store(self, login: str, values: dict[str, Any] | None, rev: int) -> None:
        """`values=None` discards. Runs in a worker, or on the loop for `flush`/`discard`."""
        with self._lock:
            if rev <= self._saved_rev:
                return
            if values is None:
                self.ctx.drafts.discard(login, DRAFT_KIND)
            else:
                self.ctx.drafts.save(login, DRAFT_KIND, values)
            self._saved_rev = rev

    def flush(self) -> bool:
        """Save now, synchronously (a hang-up, a quit, leaving the form); True when a draft
        with something typed in it is on disk afterwards."""
        if self.ctx.actor is None:
            return False
        if self.dirty or self._later.pending:
            self._later.cancel()
            values = self._values()
            self.has_work = self._has_content(values)
            self._rev += 1
            self._store(self.ctx.me.login, values if self.has_work else None, self._rev)
            self.dirty = False
        return self.has_work

    def discard(self) -> None:
        """The complaint was registered: the draft is done with."""
        self._later.cancel()
        self.dirty = self.has_work = False
        self._rev += 1
        self._store(self.ctx.me.login, None, self._rev)

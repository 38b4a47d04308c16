"""Fault points for the fault suite (tests/faults/, `make faults`): the worst moments, on demand.

With `DESKAPP_FAULT=kill-before-commit:KIND` in its environment, a desk process kills itself
with SIGKILL at the commit of the first transaction that wrote an event of kind KIND (`intake`,
`transfer`, `approve_compensation`, …): every row of the use case is written and flushed, the
commit has not reached the database. Nothing else can run in between, no handler, no flush of
a draft: it is a power cut at the worst time, and the tests check that the database rolled it
back whole and the person's typing survives in the draft.

Unset (always, in production) it costs one dictionary lookup per commit.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

ENV = "DESKAPP_FAULT"
_installed = False


def note_event(session: Any, kind: str) -> None:
    """Remember which kinds of event this transaction wrote (called by `audit.append`)."""
    if os.environ.get(ENV):
        session.info.setdefault("deskapp_event_kinds", []).append(kind)


def install() -> None:
    """Arm the fault points named by the environment (idempotent; nothing when unset)."""
    global _installed
    spec = os.environ.get(ENV, "")
    if _installed or not spec.startswith("kill-before-commit:"):
        return
    kind = spec.split(":", 1)[1]

    @event.listens_for(Session, "before_commit")
    def _kill(session: Session) -> None:
        if kind in session.info.get("deskapp_event_kinds", ()):
            os.kill(os.getpid(), signal.SIGKILL)

    _installed = True

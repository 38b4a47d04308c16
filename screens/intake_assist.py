"""What the intake form learns while the agent types: who is calling, and how the triage rules
classify what they say.

Both run in worker threads a moment after the typing pauses, so a keystroke costs the event
loop almost nothing; a result that arrives after newer typing is dropped, never shown over the
fresher one. A submit first settles both (`when_settled`): the read-back must show the
classification and the promise for exactly what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.screen import Screen

from deskapp import triage
from deskapp.cases import CustomerLookup
from deskapp.context import DeskContext
from widgets.debounce import Debouncer

LOOKUP_DELAY, TRIAGE_DELAY = 0.3, 0.25


class AssistedForm(Protocol):
    """What the assistant needs from the form it serves."""

    def caller_keys(self) -> tuple[str, str]:
        """The phone and order number typed so far."""
        ...

    def triage_texts(self) -> tuple[str, str, str]:
        """Subject, description and demand as typed so far."""
        ...

    def show_customer(self, found: CustomerLookup | None) -> None: ...

    def show_suggestions(self, found: triage.Suggestions) -> None: ...


class IntakeAssist:
    def __init__(self, screen: Screen[None], form: AssistedForm, ctx: DeskContext) -> None:
        self.screen, self.form, self.ctx = screen, form, ctx
        self.customer: CustomerLookup | None = None
        self.found: triage.Suggestions | None = None
        self._lookup_later = Debouncer(screen, LOOKUP_DELAY, self._start_lookup)
        self._triage_later = Debouncer(screen, TRIAGE_DELAY, self._start_triage)
        self._lookup_seq = self._triage_seq = 0
        self._lookups_running = 0
        self._waiting: list[Callable[[], None]] = []

    # -- asking -------------------------------------------------------------------------------

    def lookup_soon(self) -> None:
        self._lookup_later.poke()

    def triage_soon(self) -> None:
        self._triage_later.poke()

    def when_settled(self, then: Callable[[], None]) -> None:
        """Run `then` once the caller has been looked up for what is typed now and the rules
        have seen the latest text (at once when nothing is waiting)."""
        self._lookup_later.fire_now()
        if self._lookups_running:
            # Keys typed meanwhile (a second ctrl+s for the read-back) wait for `then`.
            hold = getattr(self.screen.app, "hold_keys", None)
            release = hold() if hold is not None else (lambda: None)

            def then_release() -> None:
                release()
                then()

            self._waiting.append(then_release)
            return
        if self._triage_later.pending or self.found is None:
            self._triage_later.cancel()
            self.triage_now()
        then()

    # -- the caller ---------------------------------------------------------------------------

    def _start_lookup(self) -> None:
        phone, order = self.form.caller_keys()
        self._lookup_seq += 1
        self._lookups_running += 1
        seq, actor = self._lookup_seq, self.ctx.me
        desk = self.ctx.desk

        def look() -> None:
            found: CustomerLookup | None = None
            try:
                found = desk.lookup_customer(actor, phone, order_ref=order)
            finally:  # a failure is reported by the app; the form must not wait for ever
                self.screen.app.call_from_thread(self._looked_up, seq, found)

        self.screen.run_worker(look, thread=True, group="lookup", exit_on_error=False)

    def _looked_up(self, seq: int, found: CustomerLookup | None) -> None:
        self._lookups_running -= 1
        if seq == self._lookup_seq:
            self.customer = found
            self.form.show_customer(found)
            self.triage_now()  # a repeat or a VIP changes the rules' judgement
        if not self._lookups_running:
            waiting, self._waiting = self._waiting, []
            for then in waiting:
                then()

    # -- the classification -------------------------------------------------------------------

    def history(self) -> triage.CustomerHistory | None:
        return self.customer.history() if self.customer is not None else None

    def triage_now(self) -> None:
        """Judge the text on the spot (a few milliseconds): for a submit, or a new caller."""
        self._triage_later.cancel()
        self._triage_seq += 1
        self._triaged(self._triage_seq, triage.suggest(*self.form.triage_texts(), self.history()))

    def _start_triage(self) -> None:
        texts, history = self.form.triage_texts(), self.history()
        self._triage_seq += 1
        seq = self._triage_seq

        def judge() -> None:
            found = triage.suggest(*texts, history)
            self.screen.app.call_from_thread(self._triaged, seq, found)

        self.screen.run_worker(judge, thread=True, group="triage", exit_on_error=False)

    def _triaged(self, seq: int, found: triage.Suggestions) -> None:
        if seq != self._triage_seq:
            return  # typing moved on since this judgement began
        self.found = found
        self.form.show_suggestions(found)

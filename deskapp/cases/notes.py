"""Notes on a case: internal, or what was (or will be) told to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskapp import clock, permissions
from deskapp.cases.actions import CaseActions
from deskapp.cases.actor import Actor
from deskapp.cases.base import case_facts, retrying
from deskapp.errors import InvalidInput
from deskapp.validation import check_length
from store.models import Note


@dataclass(frozen=True)
class SavedNote:
    note_id: int
    at: datetime
    #: The case's version after the note: the writer's next `expected_version`.
    version: int


class Notes(CaseActions):
    @retrying
    def add_note(
        self,
        actor: Actor,
        number: str,
        text: str,
        *,
        customer_facing: bool,
        expected_version: int | None,
    ) -> SavedNote:
        """An internal note, or a customer-facing one (what was, or will be, told to the
        customer). It makes a new version of the case, so a writer who saw the case before the
        note learns of it the way they learn of any other change."""
        body = text.strip()
        problem = "required" if not body else check_length("note", body)
        if problem:
            raise InvalidInput({"note": problem})
        now = clock.now()
        with self._acting(actor) as (s, actor):
            c = self._load_for_change(s, number, expected_version)
            permissions.check("add_note", actor.facts(), case_facts(c))
            assert c.id is not None
            note = Note(
                complaint_id=c.id,
                author_id=actor.staff_id,
                at=now,
                body=body,
                customer_facing=customer_facing,
            )
            s.add(note)
            s.flush()
            assert note.id is not None
            payload = {"note_id": note.id, "customer_facing": customer_facing, "body": body}
            self._record_change(s, c, actor, "note", payload, now)
            return SavedNote(note.id, now, c.version)

"""`Desk`: every use case over one database, in one object the screens and tools hold."""

from __future__ import annotations

from deskapp.cases.actions import CaseActions
from deskapp.cases.escalations import Escalations
from deskapp.cases.evidence import Evidence
from deskapp.cases.inbox import Inbox
from deskapp.cases.intake import IntakeCases
from deskapp.cases.letters import Letters
from deskapp.cases.notes import Notes
from deskapp.cases.reads import Reads


class Desk(IntakeCases, Notes, Evidence, Letters, CaseActions, Escalations, Inbox, Reads):
    """The use cases: intake (`deskapp.cases.intake`), workflow actions and reveals
    (`.actions`, with each action's field changes in `.steps`), notes (`.notes`), evidence
    files (`.evidence`), letters to the customer and their sending (`.letters`), the inbox
    (`.inbox`), the escalation ladder's sweep (`.escalations`) and plain reads (`.reads`).
    Each public method is one transaction."""

"""The use cases: the only code that writes complaints.

`Desk` gathers them; each module holds one group: `intake` (registering a complaint, the
customer lookup), `actions` (workflow steps on a case, reveals; `steps` holds what each step
writes), `notes`, `evidence` (files attached to a case), `inbox` (notices and marking them
read) and `reads`. Screens call these from workers and show the `DeskError` they raise.
"""

from deskapp.cases.actions import TRACKED, Contact
from deskapp.cases.actor import Actor
from deskapp.cases.base import case_facts, department_contact
from deskapp.cases.desk import Desk
from deskapp.cases.evidence import Attached
from deskapp.cases.inbox import CASE_STEP, DISPATCH_NOTICE, HANDOVERS, InboxItem
from deskapp.cases.intake import CustomerLookup, IntakeForm, IntakeResult, PastCase
from deskapp.cases.notes import SavedNote
from deskapp.cases.reads import DepartmentInfo

__all__ = [
    "CASE_STEP",
    "DISPATCH_NOTICE",
    "HANDOVERS",
    "TRACKED",
    "Actor",
    "Attached",
    "Contact",
    "CustomerLookup",
    "DepartmentInfo",
    "Desk",
    "InboxItem",
    "IntakeForm",
    "IntakeResult",
    "PastCase",
    "SavedNote",
    "case_facts",
    "department_contact",
]

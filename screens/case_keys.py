"""The keys of the case screen's workflow actions, in one table (`screens.case`)."""

from __future__ import annotations

#: The key of every workflow action on this screen (the labels are `action.<name>` in the
#: message catalog). Lower case for the everyday steps, capitals for the weighty ones.
ACTION_KEYS: tuple[tuple[str, str], ...] = (
    ("acknowledge", "k"),
    ("accept", "a"),
    ("reject", "x"),
    ("classify", "c"),
    ("dispatch", "d"),
    ("transfer", "t"),
    ("assign", "g"),
    ("start_investigation", "i"),
    ("record_contact", "o"),
    ("pend_customer", "p"),
    ("customer_answered", "u"),
    ("submit_report", "I"),
    ("record_root_cause", "5"),
    ("propose_plan", "l"),
    ("send_to_legal", "L"),
    ("legal_approve", "v"),
    ("legal_return", "V"),
    ("request_approval", "m"),
    ("approve_compensation", "y"),
    ("refuse_compensation", "Y"),
    ("resolve", "r"),
    ("decline", "X"),
    ("record_rectification", "z"),
    ("confirm", "f"),
    ("give_feedback", "b"),
    ("revisit", "e"),
    ("close", "C"),
    ("reopen", "O"),
    ("escalate", "E"),
)

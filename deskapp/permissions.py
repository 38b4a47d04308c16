"""Who may act on which cases.

Roles say *what* a person may do (the `roles` of each transition in `deskapp.workflow`); scope
says *on which cases*: department staff work the cases of their own department, frontline agents
the cases they own, and desk-wide roles (supervisor, legal, executive, admin) any case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskapp.domain import Role

if TYPE_CHECKING:
    from deskapp.workflow import ActorFacts, CaseFacts

DESK_WIDE = frozenset({Role.SUPERVISOR, Role.LEGAL, Role.EXECUTIVE, Role.ADMIN})


def in_scope(scope: str, facts: CaseFacts, actor: ActorFacts) -> bool:
    """`desk`: anyone holding the role. `department`: the case's primary department (or a
    desk-wide role). `involved`: the first owner, the assignee, or the primary department."""
    if scope == "desk" or actor.roles & DESK_WIDE:
        return True
    same_dept = actor.department_id is not None and actor.department_id == facts.primary_dept_id
    if scope == "department":
        return same_dept
    if scope == "involved":
        return same_dept or actor.staff_id in (facts.first_owner_id, facts.assignee_id)
    raise ValueError(f"unknown scope {scope!r}")

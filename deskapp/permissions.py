"""The permission matrix: who may take which action on which cases (DESIGN.md §1 roles).

`PERMISSIONS` is the one place that says it. The workflow's transitions take their roles and
scope from it, the use cases refuse through `check`, screens ask `allows` which actions to offer,
and `deskapp permissions` renders it to docs/permissions.md (`deskapp.permissions_doc`);
nothing else names roles for an action, so what is documented, offered and enforced cannot
drift apart.

Roles say *what* a person may do; scope says *on which cases*:

- `desk`: every case;
- `department`: the cases whose primary department is the person's own;
- `involved`: those, and the cases the person registered (first owner) or is assigned.

A desk-wide role (supervisor, legal, executive, admin) that an action lists reaches every case;
the scope binds the other roles it lists. A person holding several roles may do what any one of
them allows, but a desk-wide role does not widen what a *different* role of theirs allows (a
handler who is also legal counsel investigates only their own department's cases).

Guards that depend on the case's data rather than on who the person is (approval authority,
separation of duties, the revisit by someone other than the handler, no ping-pong) stay in
`deskapp.workflow`; each permission's `condition` names them so the matrix reads complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from deskapp.domain import ActorFacts, CaseFacts, Role
from deskapp.errors import PermissionDenied

R = Role

DESK_WIDE = frozenset({R.SUPERVISOR, R.LEGAL, R.EXECUTIVE, R.ADMIN})
FRONT = frozenset({R.AGENT, R.SUPERVISOR})
DEPT = frozenset({R.HANDLER, R.DEPT_MANAGER})
CASE_WORKERS = FRONT | DEPT


class Scope(StrEnum):
    DESK = "desk"
    DEPARTMENT = "department"
    INVOLVED = "involved"


@dataclass(frozen=True)
class Permission:
    action: str
    roles: frozenset[Role]
    scope: Scope = Scope.DESK
    #: Further conditions the use case checks, in words, for the rendered matrix.
    condition: str = ""
    #: False for an action that creates a case (there is no case to be in scope of yet).
    on_case: bool = True


def _p(
    action: str,
    roles: Iterable[Role],
    scope: Scope = Scope.DESK,
    condition: str = "",
    *,
    on_case: bool = True,
) -> Permission:
    return Permission(action, frozenset(roles), scope, condition, on_case)


_NOT_HANDLER = "not the case's handler (its assignee or the plan's proposer)"
_AUTHORITY = "approval authority covers the amount; not the plan's proposer"

#: Every action, in the order a case meets them; the workflow's transitions first (their order
#: in `deskapp.workflow.TRANSITIONS`), then the actions on a case that change no state.
PERMISSIONS: dict[str, Permission] = {
    p.action: p
    for p in (
        _p("intake", FRONT, on_case=False),
        _p("acknowledge", FRONT),
        _p("accept", FRONT),
        _p("reject", FRONT, condition="a written reason, told to the customer"),
        _p("classify", {*FRONT, R.DEPT_MANAGER}, condition="a written reason"),
        _p("dispatch", FRONT),
        _p(
            "transfer",
            {R.DEPT_MANAGER, R.SUPERVISOR},
            Scope.DEPARTMENT,
            "a written reason; back to a department the case already left: supervisor only",
        ),
        _p("assign", {R.DEPT_MANAGER, R.SUPERVISOR}, Scope.DEPARTMENT),
        _p("start_investigation", DEPT, Scope.DEPARTMENT),
        _p("record_contact", CASE_WORKERS, Scope.INVOLVED),
        _p("pend_customer", CASE_WORKERS, Scope.INVOLVED, "a written reason"),
        _p("customer_answered", CASE_WORKERS, Scope.INVOLVED),
        _p("submit_report", DEPT, Scope.DEPARTMENT, "the report written"),
        _p("record_root_cause", DEPT, Scope.DEPARTMENT, "a category and at least one why"),
        _p("propose_plan", DEPT, Scope.DEPARTMENT, "the root cause recorded first"),
        _p("send_to_legal", DEPT, Scope.DEPARTMENT),
        _p("legal_approve", {R.LEGAL}),
        _p("legal_return", {R.LEGAL}, condition="a written reason"),
        _p(
            "request_approval",
            DEPT,
            Scope.DEPARTMENT,
            "legal review first when the plan needs it",
        ),
        _p("approve_compensation", {R.DEPT_MANAGER, R.EXECUTIVE}, condition=_AUTHORITY),
        _p("refuse_compensation", {R.DEPT_MANAGER, R.EXECUTIVE}, condition="a written reason"),
        _p(
            "resolve",
            DEPT,
            Scope.DEPARTMENT,
            "root cause recorded; legal review and compensation approval done where required; "
            "a compensation claim decided",
        ),
        _p(
            "decline",
            DEPT,
            Scope.DEPARTMENT,
            "judged unjustified; root cause recorded; a written reason told to the customer; "
            "legal review first when the case is flagged",
        ),
        _p(
            "record_rectification",
            DEPT,
            Scope.DEPARTMENT,
            "the plan promised a rectification; what was changed",
        ),
        _p("confirm", CASE_WORKERS, Scope.INVOLVED),
        _p("give_feedback", CASE_WORKERS, Scope.INVOLVED),
        _p("revisit", {*FRONT, R.DEPT_MANAGER}, condition=_NOT_HANDLER),
        _p(
            "close",
            FRONT,
            condition="the customer confirmed the resolution; a promised rectification done",
        ),
        _p("reopen", {R.SUPERVISOR}, condition="a written reason"),
        _p("escalate", CASE_WORKERS, Scope.INVOLVED, "a written reason"),
        # Personal data is need-to-know: everyone who works the case, and the desk-wide roles
        # that step into cases (supervisor, legal, executive). Administrators keep accounts and
        # policies and never call a customer, so they do not see contact details at all.
        _p(
            "reveal_contact",
            {*CASE_WORKERS, R.LEGAL, R.EXECUTIVE},
            Scope.INVOLVED,
            "recorded as an event",
        ),
        # A note discloses nothing and is recorded, so every role that reaches the case may
        # leave one (an administrator explaining a data correction, legal commenting).
        _p("add_note", set(Role), Scope.INVOLVED, "recorded as an event"),
        # Evidence is a note with a file: whoever may leave a note may attach one.
        _p(
            "attach_evidence",
            set(Role),
            Scope.INVOLVED,
            "within the size limit and allowed types; its SHA-256 recorded as an event",
        ),
        # The written confirmation after phone contact goes to the customer's e-mail: for
        # those who work the case (and the desk-wide roles that step in), like a phone call.
        _p(
            "send_letter",
            CASE_WORKERS,
            Scope.INVOLVED,
            "a plan only once legal review and approval are done; recorded as events",
        ),
        # Bringing in another system's complaints writes many cases at once under an import
        # account: for the people who run the desk, not for those who work single cases.
        _p(
            "import",
            {R.SUPERVISOR, R.ADMIN},
            condition="from a file (deskapp import, or the import screen); recorded as events",
            on_case=False,
        ),
    )
}


def permission(action: str) -> Permission:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"no permission for the action {action!r}") from None


def reach(p: Permission, role: Role) -> Scope | None:
    """The cases one role may take `p` on: a matrix cell. None: not at all."""
    if role not in p.roles:
        return None
    return Scope.DESK if role in DESK_WIDE else p.scope


def covers(scope: Scope, facts: CaseFacts, actor: ActorFacts) -> bool:
    if scope is Scope.DESK:
        return True
    same_dept = actor.department_id is not None and actor.department_id == facts.primary_dept_id
    if scope is Scope.DEPARTMENT:
        return same_dept
    return same_dept or actor.staff_id in (facts.first_owner_id, facts.assignee_id)


def allows(action: str, actor: ActorFacts, facts: CaseFacts | None) -> bool:
    """Whether the person may take `action` on this case (`facts` None: no case, as in intake)."""
    try:
        check(action, actor, facts)
    except PermissionDenied:
        return False
    return True


def check(action: str, actor: ActorFacts, facts: CaseFacts | None) -> Permission:
    """Raise `PermissionDenied` saying why, else return the permission."""
    p = permission(action)
    scopes = [s for s in (reach(p, role) for role in actor.roles) if s is not None]
    if not scopes:
        allowed = ", ".join(sorted(r.value for r in p.roles))
        raise PermissionDenied(f"{action} needs one of the roles: {allowed}")
    if not p.on_case or Scope.DESK in scopes:
        return p
    if facts is None:
        raise ValueError(f"{action} is an action on a case; its facts are needed")
    if not any(covers(s, facts, actor) for s in scopes):
        raise PermissionDenied(f"{action}: this case is outside your {p.scope.value} scope")
    return p

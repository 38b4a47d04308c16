"""The signed-in person as the rules see them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from deskapp.domain import ActorFacts, Role, parse_roles
from store.models import Staff


@dataclass(frozen=True)
class Actor:
    staff_id: int
    login: str
    display_name: str
    roles: frozenset[Role]
    department_id: int | None
    compensation_limit: Decimal
    #: The desk's language after sign-in ("" follows the terminal).
    language: str = ""

    @classmethod
    def from_staff(cls, staff: Staff) -> Actor:
        assert staff.id is not None
        return cls(
            staff.id,
            staff.login,
            staff.display_name,
            parse_roles(staff.roles),
            staff.department_id,
            staff.compensation_limit,
            staff.language,
        )

    def facts(self) -> ActorFacts:
        return ActorFacts(self.staff_id, self.roles, self.department_id, self.compensation_limit)

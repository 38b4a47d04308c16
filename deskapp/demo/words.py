"""What one demo case says: its complaint, its cause and remedy, and every note and reason
written while it is worked, all from one story of the catalogue, in the customer's language.

One story per case is what keeps a case from contradicting itself: the cause found is one of
the causes of the complaint made, the remedy one of its remedies, the updates to the customer
those of its category.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from deskapp.demo.catalogue import EN, ZH, Cause, Phrases, Remedy, Stories, Story
from deskapp.domain import Category, ClaimType, RemedyType, RiskFlag, RootCause

#: The flag an intake note speaks of, when a case has several: the most pressing first.
FLAG_ORDER = (
    RiskFlag.REGULATOR,
    RiskFlag.LEGAL,
    RiskFlag.MEDIA,
    RiskFlag.BATCH,
    RiskFlag.REPEAT,
    RiskFlag.VIP,
)


class CaseWords:
    """The texts of one case. Every choice is drawn from the builder's random stream in a
    fixed order, so the same seed gives the same words."""

    def __init__(
        self,
        rng: random.Random,
        stories: Stories,
        category: Category,
        *,
        chinese: bool,
        order: str,
        amount: Decimal,
    ) -> None:
        self.rng = rng
        self.lang = ZH if chinese else EN
        self.common = stories.common
        self.handling = stories.handling[category]
        self.story: Story = rng.choice(stories.by_category[category])
        product = rng.choice(self.story.products)
        self.cause: Cause = rng.choice(self.story.causes)
        self.remedy: Remedy = rng.choice(self.story.remedies)
        self.sku = product.sku
        name = product.names[self.lang]
        self.fill: dict[str, Any] = {
            "p": name,
            "P": name[:1].upper() + name[1:],
            "o": order,
            "d": rng.randrange(2, 16),
            "a": amount,
        }

    def text(self, pair: tuple[str, str], **extra: Any) -> str:
        return pair[self.lang].format(**self.fill, **extra)

    def one_of(self, phrases: Phrases, **extra: Any) -> str:
        return self.rng.choice(phrases[self.lang]).format(**self.fill, **extra)

    # -- the complaint --------------------------------------------------------------------

    @property
    def department(self) -> str:
        """Where the cause lies, so who leads the case."""
        return self.cause.department

    def subject(self) -> str:
        return self.text(self.story.subject)

    def description(self) -> str:
        return self.text(self.story.description)

    def demand(self, claim: ClaimType) -> str:
        if claim is ClaimType.COMPENSATION:
            if self.story.claim is not None:
                return self.text(self.story.claim)
            return self.text(self.common.claim, demand=self.text(self.story.demand))
        if claim is ClaimType.UNJUSTIFIED:
            return self.one_of(self.common.unjustified)
        return self.text(self.story.demand)

    # -- the handling ---------------------------------------------------------------------

    def reject_reason(self, claim: ClaimType) -> str:
        if claim is ClaimType.UNJUSTIFIED:
            return self.one_of(self.common.reject_unjustified)
        own, common = self.handling.reject[self.lang], self.common.reject[self.lang]
        return self.rng.choice(own + common).format(**self.fill)

    def transfer_reason(self, department_names: tuple[str, str]) -> str:
        return self.one_of(self.common.transfer, dept=department_names[self.lang])

    def contact_outcome(self) -> str:
        return self.one_of(self.handling.contact)

    def pending_reason(self) -> str:
        return self.one_of(self.handling.pending)

    def root_cause(self) -> tuple[RootCause, str]:
        """Where the cause lies and the chain of whys, one per line."""
        whys = (w.format(**self.fill) for w in self.cause.whys[self.lang])
        return self.cause.where, "\n".join(whys)

    def plan(self, compensation: Decimal | None) -> tuple[str, list[RemedyType]]:
        """The remedy as written, and its kinds as `Desk.act` stores them for this amount."""
        text = self.text(self.remedy.text)
        kinds = set(self.remedy.kinds)
        if compensation:  # an amount is a compensation, named or not
            text += self.text(self.common.compensation, amount=_money(compensation))
            kinds.add(RemedyType.COMPENSATION)
        return text, [k for k in RemedyType if k in kinds]

    def comment(self, score: int) -> str:
        band = (
            self.common.comment_low
            if score <= 2
            else self.common.comment_mid
            if score == 3
            else self.common.comment_high
        )
        return self.one_of(band)

    # -- notes: (text, customer-facing) ----------------------------------------------------

    def note(self, step: str, flags: set[RiskFlag], remedy: str) -> tuple[str, bool]:
        h = self.handling
        if step == "note.intake":
            flag = next((f for f in FLAG_ORDER if f in flags and f in self.common.flags), None)
            if flag is not None and self.rng.random() < 0.7:
                return self.one_of(self.common.flags[flag]), False
            return self.one_of(h.intake), False
        if step == "note.investigating":
            return self.one_of(h.investigating), False
        if step == "note.update":
            return self.one_of(h.update), True
        if step == "note.reminder":
            return self.one_of(h.reminder), True
        if step == "note.legal":
            return self.one_of(self.common.legal), False
        if step == "note.plan":
            return self.one_of(self.common.plan, remedy=remedy), True
        if step == "note.done":
            return self.text(self.remedy.done), True
        raise ValueError(f"deskapp demo: no words for the step {step!r}")


def _money(amount: Decimal) -> str:
    """An amount as people write it: 1180, or 99.50 when there are cents."""
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"

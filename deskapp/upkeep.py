"""What `deskapp db upgrade` does after the schema migrations: the data a migration could not
write itself, because it needs the rules above the store (the business calendars, the audit
chain). Each step is idempotent, so running the upgrade again is always safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import audit, clock, milestones, seals, sla
from deskapp.cases import escalations
from store.engine import write_session
from store.models import CustomerMerge


@dataclass(frozen=True)
class Upkeep:
    #: Open cases whose at-risk time was filled in.
    heads_filled: int
    #: Customer merges (the same phone written two ways) now recorded as audit events.
    merges_recorded: int
    #: Cases whose provisional due times moved now that their calendar knows the holidays.
    provisional_settled: int = 0
    #: Rows sealed by the baseline when row seals began (None: they had begun before).
    rows_baselined: int | None = None
    #: Open milestones the escalation ladder began to watch (migration 0013).
    ladder_adopted: int = 0


def after_upgrade(engine: Engine, policy: sla.SlaPolicy, calendars: sla.CalendarSet) -> Upkeep:
    with write_session(engine) as s:
        filled = milestones.backfill(s, policy, calendars)
        settled = milestones.settle_provisional(s, policy, calendars)
        adopted = escalations.adopt(s, None, policy, calendars, clock.now())
        merges = s.exec(
            select(CustomerMerge)
            .where(col(CustomerMerge.event_id).is_(None))
            .order_by(col(CustomerMerge.id))
        ).all()
        for merge in merges:
            event = audit.append(
                s,
                kind="customer_merged",
                actor_id=None,
                payload={
                    "kept_id": merge.kept_id,
                    "merged_id": merge.merged_id,
                    "phone": merge.phone,
                    "merged_phone": merge.merged_phone,
                    "complaints_moved": merge.complaints_moved,
                    "why": "the same phone number written two ways (migration 0006)",
                },
            )
            merge.event_id = event.id
            s.add(merge)
    # After the steps above, whose own writes their transaction has sealed already.
    with write_session(engine) as s:
        baselined = seals.begin_sealing(s)
    return Upkeep(filled, len(merges), settled, baselined, adopted)

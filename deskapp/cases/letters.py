"""Written confirmations to the customer, from the draft to the server's acceptance.

A handler asks for a draft (`letter_draft`: the letter the case may have now, filled from it),
edits it and queues it (`queue_letter`: one transaction, one `letter_queued` event carrying the
Message-ID, the address and the text). Senders deliver what is due (`deliver_due`): every
running desk on a timer (`deskapp.outbox_watch`) and `deskapp mail --once|--watch`.

Sending is not inside a transaction: a slow server must not hold the database. So a sender
first *claims* a letter with a conditional UPDATE (the attempt count it saw, raised by one, and
the next-attempt time pushed out by a lease); only the sender whose UPDATE changed the row
sends. Two desks racing for one letter cannot both send it. A desk killed in the middle of a
send leaves the letter to be tried again when the lease runs out: then the customer may get it
twice, with the same Message-ID, which mail programs recognise as one message.

While the server is away the letter stays queued and waits longer each time (doubling from
`smtp.retry_first_seconds` up to `smtp.retry_max_seconds`); the case shows it queued with the
last error and the next try. A refusal no repeat can change (5xx for the recipient or the
message), or `smtp.give_up_hours` of trying, marks it failed with a `letter_failed` event.
Without an SMTP server the letter is written as an .eml file for sending by other means
(`letter_written`, with the file's path).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from deskapp import audit, clock, mail, permissions
from deskapp.cases.actions import CaseActions
from deskapp.cases.actor import Actor
from deskapp.cases.base import case_facts, retrying
from deskapp.domain import CustomerTier, MilestoneKind
from deskapp.errors import InvalidInput, TransitionError
from deskapp.letters import LetterFacts, LetterKind, kinds_for, letter_library
from deskapp.masking import sees_contact
from deskapp.records import LetterRecord
from deskapp.scripts import ScriptLibrary
from deskapp.validation import check_email, check_length
from store.engine import read_session, write_session
from store.models import Complaint, Customer, Department, Letter, Milestone

log = logging.getLogger("deskapp.mail")

#: How long a claimed letter is left to its sender before another may try it: well beyond a
#: try's own time (a connection, STARTTLS, login and data, each within `timeout_seconds`).
LEASE = timedelta(minutes=10)
#: Letters one look at the outbox sends at most (the rest wait for the next look).
BATCH = 50

QUEUED, SENT, FAILED, WRITTEN = "queued", "sent", "failed", "written"


@dataclass(frozen=True)
class LetterDraft:
    """A letter filled from the case, for the handler to edit before it goes."""

    kind: LetterKind
    #: The letters the case may have now (the dialog offers these).
    kinds: tuple[LetterKind, ...]
    lang: str
    recipient: str
    subject: str
    body: str


@dataclass
class Delivery:
    """What one look at the outbox did: Message-IDs sent, kept for later (with the error),
    failed for good (with the error), and letters another sender had already claimed."""

    sent: list[str] = field(default_factory=list)
    retrying: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0


def backoff(attempts: int, first: float, cap: float) -> timedelta:
    """The wait after the `attempts`-th failed try: doubling from `first`, never over `cap`."""
    return timedelta(seconds=min(cap, first * 2 ** max(0, attempts - 1)))


@lru_cache(maxsize=4)
def _scripts(dirs: tuple[Path, ...]) -> ScriptLibrary:
    """The salutations a letter opens with: the call scripts' own, so a customer is addressed
    the same way on the phone and on paper."""
    return ScriptLibrary.load(dirs)


def _outgoing(letter: Letter, sender: str, sender_name: str) -> mail.Outgoing:
    return mail.Outgoing(
        message_id=letter.message_id,
        recipient=letter.recipient,
        subject=letter.subject,
        body=letter.body,
        sender=sender,
        sender_name=sender_name,
        date=mail.date_header(letter.created_at),
    )


class Letters(CaseActions):
    @retrying
    def letter_draft(
        self, actor: Actor, number: str, kind: LetterKind | None, lang: str
    ) -> LetterDraft:
        """The letter `kind` (else the first the case may have) filled from the case in
        `lang`, with the customer's address. Someone who would see the customer masked has
        the reveal recorded, as `reveal_contact` does."""
        now = clock.now()
        dirs = tuple(self.settings.script_dirs)
        with self._acting(actor) as (s, actor):
            c = self._load(s, number)
            facts = case_facts(c)
            permissions.check("send_letter", actor.facts(), facts)
            kinds = kinds_for(facts, self.rules)
            if not kinds:
                raise TransitionError(f"no letter goes out on a case that is {c.status}")
            kind = kind or kinds[0]
            if kind not in kinds:
                raise TransitionError(f"no {kind} letter on a case that is {c.status}")
            customer = s.get(Customer, c.customer_id)
            assert customer is not None and c.id is not None  # a foreign key
            if not sees_contact(actor, c):
                audit.append(
                    s,
                    kind="reveal_contact",
                    actor_id=actor.staff_id,
                    complaint_id=c.id,
                    payload={"fields": ["name", "email"], "for": "letter"},
                    at=now,
                )
            tier = CustomerTier.VIP if customer.tier == CustomerTier.VIP.value else None
            subject, body = letter_library(dirs).compose(
                kind,
                lang,
                LetterFacts(
                    salutation=_scripts(dirs).salutation(customer.name, lang, tier),
                    customer_name=customer.name,
                    case_number=c.number,
                    remedy=c.remedy,
                    reject_reason=c.reject_reason,
                    root_cause_category=c.root_cause_category,
                    compensation=c.compensation_amount,
                    resolve_due=_resolve_due(s, c),
                    agent_name=actor.display_name,
                    department=_department(s, c, lang),
                    now=now,
                    tz=self.settings.tz,
                ),
            )
            return LetterDraft(kind, kinds, lang, customer.email, subject, body)

    @retrying
    def queue_letter(
        self,
        actor: Actor,
        number: str,
        *,
        kind: LetterKind,
        lang: str,
        recipient: str,
        subject: str,
        body: str,
    ) -> LetterRecord:
        """Put the letter in the outbox (one `letter_queued` event with its Message-ID), or,
        with no SMTP server configured, write it as an .eml file (`letter_written`, with the
        path). What the handler typed is what is sent: nothing is filled in again."""
        recipient, subject, body = recipient.strip(), " ".join(subject.split()), body.strip()
        problems = _check(recipient, subject, body)
        if problems:
            raise InvalidInput(problems)
        smtp = self.settings.smtp
        now = clock.now()
        written: Path | None = None
        try:
            with self._acting(actor) as (s, actor):
                c = self._load(s, number)
                facts = case_facts(c)
                permissions.check("send_letter", actor.facts(), facts)
                if kind not in kinds_for(facts, self.rules):
                    raise TransitionError(f"no {kind} letter on a case that is {c.status}")
                assert c.id is not None
                letter = Letter(
                    complaint_id=c.id,
                    kind=LetterKind(kind).value,
                    lang=lang,
                    recipient=recipient,
                    subject=subject,
                    body=body + "\n",
                    message_id=mail.new_message_id(smtp.sender),
                    status=QUEUED if smtp.host else WRITTEN,
                    next_attempt_at=now if smtp.host else None,
                    created_at=now,
                    created_by_id=actor.staff_id,
                )
                s.add(letter)
                s.flush()
                payload = {
                    "letter_id": letter.id,
                    "letter": letter.kind,
                    "message_id": letter.message_id,
                    "to": recipient,
                    "subject": subject,
                    "body": letter.body,
                }
                if not smtp.host:
                    outgoing = _outgoing(letter, smtp.sender, smtp.sender_name)
                    written = mail.write_eml(outgoing, smtp.outbox_dir)
                    letter.path = payload["path"] = str(written)
                kind_of_event = "letter_queued" if smtp.host else "letter_written"
                event = audit.append(
                    s,
                    kind=kind_of_event,
                    actor_id=actor.staff_id,
                    complaint_id=c.id,
                    payload=payload,
                    at=now,
                )
                letter.queued_event_id = event.id
                s.add(letter)
                s.flush()
                return LetterRecord.of(letter)
        except BaseException:
            if written is not None:  # the letter was not recorded: no file for it either
                written.unlink(missing_ok=True)
            raise

    def letters_of(self, s: Session, complaint_id: int) -> list[LetterRecord]:
        """A case's letters, newest first (read inside the caller's session)."""
        rows = s.exec(
            select(Letter)
            .where(Letter.complaint_id == complaint_id)
            .order_by(col(Letter.id).desc())
        ).all()
        return [LetterRecord.of(row) for row in rows]

    # -- the sender ---------------------------------------------------------------------------

    def deliver_due(self, *, limit: int = BATCH) -> Delivery:
        """Send the letters whose time has come, each claimed first (see the module's
        docstring). Without a server configured there is nothing to send through: queued
        letters wait for one."""
        smtp = self.settings.smtp
        done = Delivery()
        if not smtp.host:
            return done
        now = clock.now()
        with read_session(self.engine) as s:
            due = s.exec(
                select(Letter.id, Letter.attempts)
                .where(Letter.status == QUEUED, col(Letter.next_attempt_at) <= now)
                .order_by(col(Letter.next_attempt_at), col(Letter.id))
                .limit(limit)
            ).all()
        for ident, seen in due:
            assert ident is not None
            outgoing = self._claim(ident, seen, now)
            if outgoing is None:
                done.skipped += 1
                continue
            try:
                mail.send(smtp, outgoing)
            except mail.SendFailure as failure:
                permanent = self._tried(ident, seen + 1, str(failure), failure.permanent)
                said = (outgoing.message_id, str(failure))
                (done.failed if permanent else done.retrying).append(said)
                log.warning("letter %s not sent: %s", outgoing.message_id, failure)
            else:
                self._sent(ident, seen + 1)
                done.sent.append(outgoing.message_id)
        return done

    @retrying
    def _claim(self, ident: int, seen: int, now: datetime) -> mail.Outgoing | None:
        """Take the letter for one try if nobody else has since it was read; the letter
        to send, or None when another sender took it first."""
        smtp = self.settings.smtp
        with write_session(self.engine) as s:
            taken = s.connection().execute(
                update(Letter)
                .where(
                    col(Letter.id) == ident,
                    col(Letter.status) == QUEUED,
                    col(Letter.attempts) == seen,
                    col(Letter.next_attempt_at) <= now,
                )
                .values(attempts=seen + 1, next_attempt_at=now + LEASE)
            )
            if taken.rowcount != 1:
                return None
            letter = s.get(Letter, ident)
            assert letter is not None
            return _outgoing(letter, smtp.sender, smtp.sender_name)

    @retrying
    def _sent(self, ident: int, attempt: int) -> None:
        now = clock.now()
        with write_session(self.engine) as s:
            letter = self._mine(s, ident, attempt)
            if letter is None:
                return
            letter.status, letter.sent_at = SENT, now
            letter.next_attempt_at, letter.last_error = None, ""
            self._finish(s, letter, "letter_sent", {"attempts": attempt}, now)

    @retrying
    def _tried(self, ident: int, attempt: int, error: str, permanent: bool) -> bool:
        """Record a failed try: failed for good, or queued again after the backoff. Whether
        the letter failed for good."""
        smtp, now = self.settings.smtp, clock.now()
        with write_session(self.engine) as s:
            letter = self._mine(s, ident, attempt)
            if letter is None:
                return False
            letter.last_error = error[:500]
            given_up = now - letter.created_at >= timedelta(hours=smtp.give_up_hours)
            if not (permanent or given_up):
                wait = backoff(attempt, smtp.retry_first_seconds, smtp.retry_max_seconds)
                letter.next_attempt_at = now + wait
                s.add(letter)
                return False
            letter.status, letter.next_attempt_at = FAILED, None
            payload = {"attempts": attempt, "error": letter.last_error}
            self._finish(s, letter, "letter_failed", payload, now)
            return True

    def _mine(self, s: Session, ident: int, attempt: int) -> Letter | None:
        """The letter, locked, if the try this sender claimed is still the latest; None when
        its lease ran out and another sender took it meanwhile (that one records the outcome)."""
        letter = s.exec(select(Letter).where(Letter.id == ident).with_for_update()).first()
        if letter is None or letter.status != QUEUED or letter.attempts != attempt:
            log.warning("letter %s: another sender took it over; this try is not recorded", ident)
            return None
        return letter

    def _finish(
        self, s: Session, letter: Letter, kind: str, extra: dict[str, object], now: datetime
    ) -> None:
        """The outcome's event, by the desk rather than a person (actor None), linked from
        the letter."""
        payload = {"letter_id": letter.id, "letter": letter.kind, "message_id": letter.message_id}
        event = audit.append(
            s,
            kind=kind,
            actor_id=None,
            complaint_id=letter.complaint_id,
            payload={**payload, **extra},
            at=now,
        )
        letter.done_event_id = event.id
        s.add(letter)


def _check(recipient: str, subject: str, body: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not recipient:
        problems["recipient"] = "required"
    elif why := check_email(recipient) or check_length("email", recipient):
        problems["recipient"] = why
    for name, value, limit in (("subject", subject, "subject"), ("body", body, "letter_body")):
        if not value:
            problems[name] = "required"
        elif why := check_length(limit, value):
            problems[name] = why
    return problems


def _resolve_due(s: Session, c: Complaint) -> datetime | None:
    """The resolution promise's due time while it runs (a plan letter names it)."""
    row = s.exec(
        select(Milestone).where(
            Milestone.complaint_id == c.id,
            Milestone.kind == MilestoneKind.RESOLVE.value,
            col(Milestone.is_open),
        )
    ).first()
    return row.due_at if row is not None and row.paused_at is None else None


def _department(s: Session, c: Complaint, lang: str) -> str:
    dept = s.get(Department, c.primary_dept_id) if c.primary_dept_id is not None else None
    if dept is None:
        return ""
    return dept.name if lang == "zh" else dept.name_en or dept.name

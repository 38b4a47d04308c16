"""`deskapp audit verify`, the evidence files: each kept file against the SHA-256 its `attach`
event recorded.

The attachment row names the file, but a row can be edited as easily as a file can be
replaced, so the hash a file is held to is the one in the event, which the chain vouches for:
a file changed or gone, a row whose hash no longer matches its event, a row with a kept file
but no event, and an event whose row is gone are each reported with the case's number. The
row seals (`deskapp.seal_check`) say the same of an edited row from their side; this check
is the only one that reads the files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from deskapp.config import EvidenceSettings
from deskapp.evidence import FILE, INLINE, EvidenceStore
from store.models import Attachment, CaseEvent, Complaint, EvidenceBlob

#: Problems listed one by one; beyond that they are counted.
LISTED = 50


@dataclass(frozen=True)
class Recorded:
    """What an `attach` event says of its attachment."""

    event_id: int
    complaint_id: int | None
    sha256: str
    storage: str
    name: str


@dataclass(frozen=True)
class EvidenceProblem:
    number: str
    attachment_id: int
    name: str
    #: "changed", "missing", "unreadable", "row_changed", "unrecorded" or "row_missing"
    what: str
    detail: str = ""

    def describe(self) -> str:
        said = {
            "changed": "the file's content changed since it was attached",
            "missing": "the file is missing",
            "unreadable": "the file cannot be read to check it",
            "row_changed": "the attachment row's hash differs from its attach event",
            "unrecorded": "no attach event in the audit chain records this file",
            "row_missing": "the attachment row is gone",
        }[self.what]
        where = f"{self.number} attachment #{self.attachment_id}"
        name = f" ({self.name})" if self.name else ""
        return f"{where}{name}: {said}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class EvidenceReport:
    files: int = 0
    problems: list[EvidenceProblem] = field(default_factory=list)
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: EvidenceProblem) -> None:
        if len(self.problems) < LISTED:
            self.problems.append(problem)
        else:
            self.unlisted += 1


def recorded(session: Session) -> dict[int, Recorded]:
    """Every attachment the chain records, by attachment id (the latest event wins)."""
    found: dict[int, Recorded] = {}
    query = select(CaseEvent).where(CaseEvent.kind == "attach").order_by(col(CaseEvent.id))
    for event in session.exec(query.execution_options(yield_per=1000)):
        payload = json.loads(event.payload)
        found[int(payload["attachment_id"])] = Recorded(
            event.id or 0,
            event.complaint_id,
            str(payload.get("sha256", "")),
            str(payload.get("storage", "")),
            str(payload.get("name", "")),
        )
    return found


def check_evidence(session: Session, settings: EvidenceSettings) -> EvidenceReport:
    """Every kept file and inline blob against its event (the chain itself is checked by
    `audit.verify`: an event edited to match a changed file breaks the chain there)."""
    report = EvidenceReport()
    events = recorded(session)
    store = EvidenceStore(settings)
    for row, number in _rows(session):
        assert row.id is not None
        event = events.pop(row.id, None)
        if event is None:
            if row.storage in (FILE, INLINE):
                report.add(EvidenceProblem(number, row.id, row.file_name, "unrecorded"))
            continue
        report.files += 1
        if row.sha256 != event.sha256 or row.storage != event.storage:
            detail = f"row {row.sha256[:12] or '—'}, event {event.sha256[:12]}"
            report.add(EvidenceProblem(number, row.id, event.name, "row_changed", detail))
        try:
            now = _digest(session, store, event)
        except OSError as exc:
            detail = f"{store.path_of(event.sha256)}: {exc.strerror or exc}"
            report.add(EvidenceProblem(number, row.id, event.name, "unreadable", detail))
            continue
        if now is None:
            where = str(store.path_of(event.sha256)) if event.storage == FILE else "database"
            report.add(EvidenceProblem(number, row.id, event.name, "missing", where))
        elif now != event.sha256:
            detail = f"recorded {event.sha256[:12]}, now {now[:12]}"
            report.add(EvidenceProblem(number, row.id, event.name, "changed", detail))
    for attachment_id, event in sorted(events.items()):
        case = session.get(Complaint, event.complaint_id) if event.complaint_id else None
        number = case.number if case is not None else f"case {event.complaint_id}"
        detail = f"attached by event {event.event_id}"
        report.add(EvidenceProblem(number, attachment_id, event.name, "row_missing", detail))
    return report


def _rows(session: Session) -> Iterator[tuple[Attachment, str]]:
    """Every attachment with its case's number, in id order, a thousand at a time."""
    query = (
        select(Attachment, Complaint.number)
        .join(Complaint, col(Complaint.id) == col(Attachment.complaint_id))
        .order_by(col(Attachment.id))
    )
    yield from session.exec(query.execution_options(yield_per=1000))


def _digest(session: Session, store: EvidenceStore, event: Recorded) -> str | None:
    """The SHA-256 of the content kept under the event's hash now; None when it is gone."""
    if event.storage == INLINE:
        data = session.exec(
            select(EvidenceBlob.data).where(EvidenceBlob.sha256 == event.sha256)
        ).first()
        return None if data is None else hashlib.sha256(data).hexdigest()
    return store.digest_of(event.sha256)

"""Evidence files on a case: a photo, a recording or a document attached by path or as bytes.

The file is judged and put in the evidence store (`deskapp.evidence`) before the transaction,
so no database lock is held while megabytes are copied; the transaction then checks the person
again, writes the attachment row (and, for a small file, its bytes once per content) and one
`attach` event whose payload carries the SHA-256: the hash chain vouches for the content from
then on, and `deskapp audit verify` holds the file to it.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from deskapp import clock, permissions
from deskapp.cases.actions import CaseActions
from deskapp.cases.actor import Actor
from deskapp.cases.base import case_facts, retrying
from deskapp.errors import InvalidInput
from deskapp.evidence import INLINE, EvidenceStore, Kept, check_name, check_path, check_size
from deskapp.validation import check_length
from store.models import Attachment, EvidenceBlob

#: The longest provenance kept: a deeper path keeps its end, where the file's name is.
REFERENCE_LIMIT = 500
NAME_LIMIT = 255


@dataclass(frozen=True)
class Attached:
    attachment_id: int
    sha256: str
    size: int
    media_type: str
    file_name: str
    storage: str
    at: datetime
    #: The case's version after the attachment.
    version: int


def storable(text: str, limit: int) -> str:
    """A name or path as the database can keep it: bytes that are not UTF-8 written as
    escapes (a file name on Linux may hold any bytes), NUL made visible, and a text over the
    limit cut at its front, where a path is least telling."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def upload_name(name: str) -> str:
    """The last part of a name a browser sent (some send a whole Windows path)."""
    return PurePosixPath(PureWindowsPath(name).name).name.strip()


class Evidence(CaseActions):
    def attach_file(
        self,
        actor: Actor,
        number: str,
        path: Path | str,
        *,
        note: str = "",
        expected_version: int | None = None,
    ) -> Attached:
        """A file on this host, copied into the evidence store. Refused before anything is
        written when the file is missing, unreadable, too large or of a type not allowed, or
        when this person may not attach to the case."""
        text = str(path).strip()
        if not text:
            raise InvalidInput({"path": "required"})
        source = Path(os.path.expanduser(text))
        settings = self.settings.evidence
        _size, media = check_path(source, settings)
        note = _checked_note(note)
        self._may_attach(actor, number)
        try:
            with source.open("rb") as f:
                kept = EvidenceStore(settings).keep(f)
        except OSError as exc:
            raise InvalidInput({"path": f"cannot be read: {exc.strerror or exc}"}) from None
        return self._attach(
            actor,
            number,
            kept,
            name=storable(source.name, NAME_LIMIT),
            reference=storable(str(source.absolute()), REFERENCE_LIMIT),
            media_type=media,
            note=note,
            expected_version=expected_version,
        )

    def attach_bytes(
        self,
        actor: Actor,
        number: str,
        name: str,
        data: bytes | BinaryIO,
        *,
        note: str = "",
        reference: str = "",
        expected_version: int | None = None,
    ) -> Attached:
        """Content that did not come from a path on this host (a browser's upload): the same
        checks by its name and size, the same store and event. `reference` says where it came
        from (default: the name)."""
        base = upload_name(name)
        if not base:
            raise InvalidInput({"path": "required"})
        media = check_name(base, self.settings.evidence)
        if isinstance(data, bytes):
            check_size(len(data), self.settings.evidence)
            data = io.BytesIO(data)
        note = _checked_note(note)
        self._may_attach(actor, number)
        kept = EvidenceStore(self.settings.evidence).keep(data)
        return self._attach(
            actor,
            number,
            kept,
            name=storable(base, NAME_LIMIT),
            reference=storable(reference or base, REFERENCE_LIMIT),
            media_type=media,
            note=note,
            expected_version=expected_version,
        )

    def _may_attach(self, actor: Actor, number: str) -> None:
        """Refused before any file is copied (the transaction checks again)."""
        with self._acting(actor, write=False) as (s, actor):
            c = self._load(s, number)
            permissions.check("attach_evidence", actor.facts(), case_facts(c))

    @retrying
    def _attach(
        self,
        actor: Actor,
        number: str,
        kept: Kept,
        *,
        name: str,
        reference: str,
        media_type: str,
        note: str,
        expected_version: int | None,
    ) -> Attached:
        now = clock.now()
        with self._acting(actor) as (s, actor):
            c = self._load_for_change(s, number, expected_version)
            permissions.check("attach_evidence", actor.facts(), case_facts(c))
            assert c.id is not None
            same = s.exec(
                select(Attachment).where(
                    Attachment.complaint_id == c.id, Attachment.sha256 == kept.sha256
                )
            ).first()
            if same is not None:
                raise InvalidInput(
                    {"path": f"already attached to this case as {same.file_name} (#{same.id})"}
                )
            if kept.storage == INLINE:
                _keep_blob(s, kept)
            row = Attachment(
                complaint_id=c.id,
                reference=reference,
                note=note,
                added_by_id=actor.staff_id,
                at=now,
                sha256=kept.sha256,
                size=kept.size,
                media_type=media_type,
                file_name=name,
                storage=kept.storage,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            payload = {
                "attachment_id": row.id,
                "sha256": kept.sha256,
                "size": kept.size,
                "name": name,
                "media_type": media_type,
                "storage": kept.storage,
                **({"note": note} if note else {}),
            }
            self._record_change(s, c, actor, "attach", payload, now)
            return Attached(
                row.id, kept.sha256, kept.size, media_type, name, kept.storage, now, c.version
            )


def _checked_note(note: str) -> str:
    note = note.strip()
    problem = check_length("attach_note", note)
    if problem:
        raise InvalidInput({"note": problem})
    return note


def _keep_blob(s: Session, kept: Kept) -> None:
    """The bytes once per content: a second case attaching the same file adds no row."""
    dialect = s.get_bind().dialect.name
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_into(EvidenceBlob).values(sha256=kept.sha256, size=kept.size, data=kept.data)
    s.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))

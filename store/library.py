"""The case library (案例库): closed cases found again by what a new complaint says.

Chinese is written without spaces between words, and nobody should have to segment it to
search. The searchable text (`search_text`) is therefore written in one form both backends
index the same way: NFKC, lower case, every run of Chinese characters as its overlapping
character pairs, every Latin word or number whole, each token between single spaces
(" 冰箱 箱门 门边 边漏 漏水 the fridge leaks "). A query is cut the same way, and a token is
found as " 冰箱 " (a pair, exactly) or " leak" (a word starting so). Those patterns are at
least three characters long, so SQLite's FTS5 `trigram` tokenizer and PostgreSQL's `pg_trgm`
index both answer them from the index (the migration makes the index).

Ranking is the same on both backends because it is done here, not by either engine's own
score: among the newest `CANDIDATES` library cases that contain any token, those containing
more of the query's words whole come first, then those with more of its tokens, then the
happier customer, then the more recent case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.models import CaseLibrary, Complaint

#: Library cases read per search before ranking: the newest that match any token.
CANDIDATES = 400
#: Query tokens used at most (a pasted description is cut to its first ones).
MAX_TOKENS = 16

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def tokens(value: str) -> list[str]:
    """The tokens of a text in order: Chinese runs as character pairs, words whole."""
    found: list[str] = []
    for run in _TOKEN.findall(unicodedata.normalize("NFKC", value).lower()):
        if _IS_CJK.match(run):
            found += [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]
        else:
            found.append(run)
    return found


def search_text(*parts: str) -> str:
    return " " + " ".join(tokens(" ".join(parts))) + " "


def _pattern(token: str) -> str:
    return f" {token} " if _IS_CJK.match(token) else f" {token}"


def _terms(query: str) -> list[list[str]]:
    """The query's words (as typed, between spaces or punctuation), each as the patterns of
    its tokens; single Chinese characters and one-letter words say too little to search for."""
    terms: list[list[str]] = []
    for word in re.split(r"[\s,，、;；。.!！?？]+", query):
        patterns = list(dict.fromkeys(_pattern(t) for t in tokens(word) if len(t) > 1))
        if patterns and patterns not in terms:
            terms.append(patterns)
    return terms[:MAX_TOKENS]


@dataclass(frozen=True)
class LibraryMatch:
    complaint_id: int
    number: str
    closed_at: datetime
    category: str
    subject: str
    root_cause_category: str
    root_cause: str
    remedy: str
    satisfaction: int | None
    #: How many of the query's words the case contains whole, and of how many.
    matched: int
    asked: int


def similar(
    session: Session, query: str, *, limit: int = 5, exclude: int | None = None
) -> list[LibraryMatch]:
    """The library cases most like `query` (see the module's ranking rule)."""
    terms = _terms(query)
    patterns = list(dict.fromkeys(p for term in terms for p in term))[: MAX_TOKENS * 2]
    if not patterns:
        return []
    rows = _candidates(session, patterns)
    scored = []
    for row in rows:
        if row.complaint_id == exclude:
            continue
        words = sum(1 for term in terms if all(p in row.body for p in term))
        parts = sum(1 for p in patterns if p in row.body)
        scored.append((words, parts, row.satisfaction or 0, row.closed_at, row.complaint_id, row))
    scored.sort(key=lambda s: s[:5], reverse=True)
    best = [s for s in scored if s[1] > 0][:limit]
    numbers = dict(
        session.exec(
            select(col(Complaint.id), col(Complaint.number)).where(
                col(Complaint.id).in_([s[5].complaint_id for s in best])
            )
        ).all()
    )
    return [
        LibraryMatch(
            r.complaint_id,
            numbers.get(r.complaint_id, ""),
            r.closed_at,
            r.category,
            r.subject,
            r.root_cause_category,
            r.root_cause,
            r.remedy,
            r.satisfaction,
            words,
            len(terms),
        )
        for words, _parts, _sat, _at, _id, r in best
    ]


def _candidates(session: Session, patterns: Sequence[str]) -> Sequence[CaseLibrary]:
    if session.get_bind().dialect.name == "sqlite":
        # Each pattern as an FTS5 phrase; the trigram tokenizer keeps the spaces in it.
        match = " OR ".join('"' + p.replace('"', '""') + '"' for p in patterns)
        ids = text(
            "SELECT rowid FROM case_library_fts WHERE case_library_fts MATCH :match"
        ).bindparams(match=match)
        query = select(CaseLibrary).where(col(CaseLibrary.complaint_id).in_(ids))
    else:
        likes = [col(CaseLibrary.body).like(_like(p)) for p in patterns]
        query = select(CaseLibrary).where(or_(*likes))
    query = query.order_by(col(CaseLibrary.closed_at).desc()).limit(CANDIDATES)
    return session.exec(query).all()


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def entry(c: Complaint, closed_at: datetime) -> CaseLibrary:
    assert c.id is not None
    return CaseLibrary(
        complaint_id=c.id,
        closed_at=closed_at,
        category=c.category,
        subject=c.subject,
        root_cause_category=c.root_cause_category,
        root_cause=c.root_cause,
        remedy=c.remedy,
        satisfaction=c.satisfaction,
        body=search_text(c.subject, c.description, c.root_cause, c.remedy),
    )


def put(session: Session, c: Complaint, closed_at: datetime) -> None:
    """Enter a case closed now (again, after a reopen: its newest outcome replaces the old)."""
    drop(session, [c.id or 0])
    session.add(entry(c, closed_at))


def drop(session: Session, complaint_ids: Iterable[int]) -> None:
    ids = list(complaint_ids)
    if ids:
        session.execute(delete(CaseLibrary).where(col(CaseLibrary.complaint_id).in_(ids)))


def rebuild(session: Session, batch: int = 5000) -> int:
    """Every closed case, entered afresh (after the demo, which writes cases in bulk, and by
    the migration that made the library): returns how many."""
    session.execute(delete(CaseLibrary))
    return enter_closed(session, batch=batch)


def enter_closed(session: Session, ids: Sequence[int] | None = None, batch: int = 5000) -> int:
    """Enter the closed cases among `ids` (all, when None) that are not in the library yet:
    an import writes its closed cases this way. The close time is the case's last change.
    Reads only the columns it needs, so an older schema (a migration's) will do."""
    c = Complaint.__table__.c  # type: ignore[attr-defined]
    entered = sa_select(CaseLibrary.__table__.c.complaint_id)  # type: ignore[attr-defined]
    done, last = 0, 0
    while True:
        query = (
            sa_select(
                c.id,
                c.updated_at,
                c.category,
                c.subject,
                c.description,
                c.root_cause_category,
                c.root_cause,
                c.remedy,
                c.satisfaction,
            )
            .where(c.status == "closed", c.id > last, c.id.not_in(entered))
            .order_by(c.id)
            .limit(batch)
        )
        if ids is not None:
            query = query.where(c.id.in_(list(ids)))
        rows = session.execute(query).all()
        if not rows:
            return done
        session.execute(
            insert(CaseLibrary),
            [
                {
                    "complaint_id": r.id,
                    "closed_at": r.updated_at,
                    "category": r.category,
                    "subject": r.subject,
                    "root_cause_category": r.root_cause_category,
                    "root_cause": r.root_cause,
                    "remedy": r.remedy,
                    "satisfaction": r.satisfaction,
                    "body": search_text(r.subject, r.description, r.root_cause, r.remedy),
                }
                for r in rows
            ],
        )
        done += len(rows)
        last = rows[-1].id

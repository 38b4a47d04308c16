"""From a file to the cases it describes, without touching the database: each record is
either a `Case` (mapped to our fields) or a `BadRow` naming its first line and what is wrong.

Everything here is decided before anything is written, so `--dry-run` and `--all-or-nothing`
see exactly what an import would do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from deskapp.importing import dates
from deskapp.importing.mapping import Bound, Mapping, MappingError, choose_mapping
from deskapp.importing.reading import Record, Source, first_bad_byte, read_source

#: The longest field an import takes, in characters. Real narratives run to about 20,000; a
#: field far beyond it is a damaged record (an unclosed quote swallowing the file), reported.
MAX_FIELD = 100_000
#: Column widths of what the desk stores (store.models); derived text is cut to fit, an id
#: that does not fit is refused (cutting it would merge two cases).
SUBJECT, PLACE, PRODUCT, NAME, EXTERNAL_ID = 200, 200, 64, 100, 128
ANONYMOUS = "匿名 Anonymous"
#: How an external id made from a record's content starts.
HASHED = "sha256:"


class ImportFailed(ValueError):
    """The file as a whole cannot be imported; the message says why and what to give."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class Case:
    """One record mapped to the desk's fields; instants are aware UTC."""

    line: int
    external_id: str
    received_at: datetime
    closed_at: datetime | None
    channel: str
    category: str
    subject: str
    description: str
    product_ref: str
    place: str
    evidence: str
    customer_name: str
    customer_phone: str
    customer_email: str

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class ImportOptions:
    mapping: str = "auto"
    encoding: str = "auto"
    #: A name from `deskapp.importing.dates.FORMATS`; None detects it.
    date_format: str | None = None
    #: What a file without a status column holds ("open" or "closed"); None: the mapping's.
    default_status: str | None = None
    all_or_nothing: bool = False
    dry_run: bool = False
    #: The staff login that becomes each case's first owner; None: the `import` account.
    owner: str | None = None
    #: Cases written per transaction (all of them in one with `all_or_nothing`).
    batch: int = 1000


@dataclass
class Plan:
    source: Source
    mapping: Mapping
    date_format: str | None
    default_status: str
    records: int = 0
    cases: list[Case] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    #: Records whose external id an earlier record of the same file already has: (line, first).
    duplicates: list[tuple[int, int]] = field(default_factory=list)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_hash(fields: list[str]) -> str:
    """The external id of a record whose source gives none: the same record, the same id, so
    importing the file again adds nothing."""
    digest = hashlib.sha256("\x1f".join(f.strip() for f in fields).encode("utf-8", "replace"))
    return HASHED + digest.hexdigest()[:40]


def plan_import(
    path: Path,
    options: ImportOptions,
    zone: tzinfo,
    *,
    today: datetime,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read and map the whole file. Raises `ImportFailed` for what stops the whole file (no
    mapping fits, the dates are ambiguous, the encoding is unknown)."""
    from deskapp.importing.reading import ReadError

    try:
        source = read_source(path, options.encoding)
        mapping = choose_mapping(options.mapping, source.header)
        bound = mapping.bind(source.header)
    except (ReadError, MappingError, OSError) as exc:
        raise ImportFailed(str(exc)) from None
    records = list(source.records())
    width = len(source.header)
    pivot = today.year % 100
    fmt = _date_format(bound, records, width, options.date_format, pivot)
    status_default = options.default_status or mapping.default_status
    plan = Plan(source, mapping, fmt.name if fmt else None, status_default, len(records))
    seen: dict[str, int] = {}
    hashed: dict[str, int] = {}
    for n, record in enumerate(records):
        if progress is not None and n % 1000 == 0:
            progress(n)
        result = map_record(record, bound, width, fmt, zone, pivot, status_default)
        if isinstance(result, Case) and result.external_id.startswith(HASHED):
            # Two identical records without an id are two complaints that read alike (same
            # day, product, issue, state): the n-th of them gets the n-th id, the same on
            # every import of the file.
            count = hashed[result.external_id] = hashed.get(result.external_id, 0) + 1
            if count > 1:
                result = replace(result, external_id=f"{result.external_id}#{count}")
        if isinstance(result, BadRow):
            plan.bad.append(result)
        elif result.external_id in seen:
            plan.duplicates.append((record.line, seen[result.external_id]))
        else:
            seen[result.external_id] = record.line
            plan.cases.append(result)
    return plan


def _date_format(
    bound: Bound, records: list[Record], width: int, named: str | None, pivot: int
) -> dates.DateFormat | None:
    if named is not None:
        if named not in dates.FORMATS:
            raise ImportFailed(f"unknown date format {named!r}; known: {', '.join(dates.FORMATS)}")
        return dates.FORMATS[named]
    columns = [i for name in ("received", "closed") for _, i in bound.where.get(name, [])]
    values = (r.fields[i] for r in records if len(r.fields) == width for i in columns)
    try:
        return dates.detect(values, century_pivot=pivot)
    except (dates.AmbiguousDates, dates.NoDateFormat) as exc:
        raise ImportFailed(str(exc)) from None


def map_record(
    record: Record,
    bound: Bound,
    width: int,
    fmt: dates.DateFormat | None,
    zone: tzinfo,
    pivot: int,
    default_status: str,
) -> Case | BadRow:
    """One record as a case, or why it cannot be one (the first problem found)."""
    fields, line, mapping = record.fields, record.line, bound.mapping
    if len(fields) != width:
        return BadRow(line, f"{len(fields)} fields where the header has {width}")
    bad = first_bad_byte(fields)
    if bad is not None:
        column, byte = bad
        return BadRow(
            line, f"byte 0x{byte:02X} in column {bound_label(bound, column)} is not valid text"
        )
    for i, value in enumerate(fields):
        if len(value) > MAX_FIELD:
            return BadRow(
                line,
                f"column {bound_label(bound, i)} has {len(value):,} characters "
                f"(at most {MAX_FIELD:,})",
            )
        if "\x00" in value:
            return BadRow(line, f"column {bound_label(bound, i)} holds a NUL character")

    received = _date(bound, "received", fields, fmt, zone, pivot)
    if isinstance(received, BadRow | None):
        return BadRow(line, received.reason if received else "no date received")
    closed_date = _date(bound, "closed", fields, fmt, zone, pivot)
    if isinstance(closed_date, BadRow):
        return BadRow(line, closed_date.reason)

    status = default_status
    if bound.has("status"):
        raw = bound.one("status", fields) or ""
        found = mapping.status.get(raw)
        if found is None:
            label = bound.where["status"][0][0]
            return BadRow(line, f"unknown status {raw!r} in column {label}")
        status = found
    channel = mapping.default_channel
    if bound.has("channel"):
        raw = bound.one("channel", fields) or ""
        mapped = mapping.channel.get(raw)
        if mapped is None:
            return BadRow(line, f"unknown channel {raw!r} in column {bound.where['channel'][0][0]}")
        channel = mapped
    category = "other"
    if bound.has("category"):
        raw = bound.one("category", fields) or ""
        mapped = mapping.category.get(raw)
        if mapped is None:
            label = bound.where["category"][0][0]
            return BadRow(line, f"unknown category {raw!r} in column {label}")
        category = mapped

    external_id = bound.one("external_id", fields) or row_hash(fields)
    if len(external_id) > EXTERNAL_ID:
        return BadRow(line, f"the complaint id is {len(external_id)} characters (at most 128)")
    description = bound.one("description", fields) or ""
    subject = " — ".join(v for _, v in bound.many("subject", fields) if v)
    if not subject:
        subject = description.splitlines()[0] if description.strip() else ""
    subject = _fit(" ".join(subject.split()) or f"{mapping.source} {external_id}", SUBJECT)
    place = " ".join(v for _, v in bound.many("place", fields) if v)
    notes = [f"{label}: {v}" for label, v in bound.many("notes", fields) if v]
    evidence = "\n".join([f"{mapping.source} {external_id} (line {line})", *notes])
    name = bound.one("customer_name", fields) or ""
    if not name:
        said = " ".join(v for _, v in bound.many("customer", fields) if v)
        name = f"{ANONYMOUS} · {said}" if said else ANONYMOUS
    closed_at: datetime | None = None
    if status == "closed":
        closed_at = max(received, closed_date) if closed_date else received
    return Case(
        line=line,
        external_id=external_id,
        received_at=received,
        closed_at=closed_at,
        channel=channel,
        category=category,
        subject=subject,
        description=description,
        product_ref=_fit(bound.one("product_ref", fields) or "", PRODUCT),
        place=_fit(place, PLACE),
        evidence=evidence,
        customer_name=_fit(name, NAME),
        customer_phone=bound.one("customer_phone", fields) or "",
        customer_email=_fit(bound.one("customer_email", fields) or "", 200),
    )


def bound_label(bound: Bound, index: int) -> str:
    """A column's name for a message: the file's own header."""
    name = bound.header[index] if index < bound.width else ""
    return repr(name) if name else f"#{index + 1}"


def _date(
    bound: Bound,
    name: str,
    fields: list[str],
    fmt: dates.DateFormat | None,
    zone: tzinfo,
    pivot: int,
) -> datetime | BadRow | None:
    raw = bound.one(name, fields)
    if not raw:
        return None
    label = bound.where[name][0][0]
    naive = fmt.parse(raw, century_pivot=pivot) if fmt else None
    if naive is None:
        expected = fmt.name if fmt else "a date"
        return BadRow(0, f"{label} {raw!r} is not a date in the file's format {expected}")
    return dates.to_instant(naive, zone).astimezone(UTC)

"""Importing the complaints an organisation already has (issue 12; docs/import.md).

`run_import` reads a file (`reading`), decides its date format (`dates`), maps its records
with a mapping (`mapping`, `plan`) and writes the cases (`writer`). It is what `deskapp import`
and the import screen call; the screen runs it in a worker and passes `progress`.

History stays history: a record the source reports closed is imported closed, with its
milestones met on its own dates, so it never enters the live queue, the breach board or
anyone's alerts; an open one gets the milestones the live desk would have given it on the day
it was received.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from deskapp import clock, permissions, sla
from deskapp.cases import Actor, Desk
from deskapp.config import Settings
from deskapp.importing.plan import BadRow, Case, ImportFailed, ImportOptions, Plan, plan_import
from deskapp.importing.writer import BatchInfo, Who, Writer, existing_ids, import_owner

__all__ = [
    "BadRow",
    "Case",
    "ImportFailed",
    "ImportOptions",
    "ImportReport",
    "Plan",
    "Progress",
    "import_as",
    "os_user",
    "run_import",
]

#: Told (phase, done, total) as the import goes: "reading", then "writing".
Progress = Callable[[str, int, int], None]
#: Mapped cases shown by a dry run.
SAMPLE = 3


@dataclass(frozen=True)
class ImportReport:
    file: str
    encoding: str
    delimiter: str
    mapping: str
    source: str
    date_format: str | None
    records: int
    #: Cases written by this run (0 on a dry run or a refused all-or-nothing run).
    imported: int
    #: Cases a dry run would write.
    would_import: int
    #: Records whose case the desk already had (an earlier import of the same rows).
    already: int
    #: Records repeating an external id met earlier in the same file: (line, first line).
    duplicates: list[tuple[int, int]]
    bad: list[BadRow]
    open_cases: int
    closed_cases: int
    sample: list[Case]
    dry_run: bool
    refused: bool
    seconds: float
    default_status: str
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad and not self.refused


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_import(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    *,
    settings: Settings,
    policy: sla.SlaPolicy,
    calendars: sla.CalendarSet,
    os_user: str,
    staff_id: int | None = None,
    staff_login: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Import `path` (or, with `options.dry_run`, say what an import would do).

    Raises `ImportFailed` when the file as a whole cannot be imported. Bad records never
    stop the others unless `options.all_or_nothing`, which then writes nothing at all.
    `os_user` (and `staff_login` from the desk) are recorded in the batch events.
    """
    started = time.perf_counter()  # a duration for the report, not a time of day
    plan = plan_import(
        path,
        options,
        settings.tz,
        today=clock.now(),
        progress=(lambda n: progress("reading", n, 0)) if progress else None,
    )
    source = plan.mapping.source
    ids = [c.external_id for c in plan.cases]
    already = existing_ids(engine, source, ids)
    fresh = [c for c in plan.cases if c.external_id not in already]
    refused = options.all_or_nothing and bool(plan.bad)
    imported = 0
    if not options.dry_run and not refused and fresh:
        owner = import_owner(engine, options.owner)
        who = Who(os_user, owner, staff_login, staff_id)
        info = BatchInfo(
            path.name,
            _file_hash(path),
            plan.mapping.name,
            source,
            plan.source.encoding,
            plan.date_format,
        )
        writer = Writer(engine, policy, calendars, settings.tz, who, info)
        done = 0
        # In received order: each day's numbers follow the order complaints came in, and a
        # batch spans few days (one counter update per day and batch).
        fresh = sorted(fresh, key=lambda c: (c.received_at, c.line))

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress("writing", done, len(fresh))

        if options.all_or_nothing:
            imported = writer.write_all(fresh, step)
        else:
            imported = writer.write(fresh, max(1, options.batch), step)
    return _report(plan, path, options, already, fresh, imported, refused, started)


def _report(
    plan: Plan,
    path: Path,
    options: ImportOptions,
    already: set[str],
    fresh: list[Case],
    imported: int,
    refused: bool,
    started: float,
) -> ImportReport:
    closed = sum(1 for c in fresh if c.closed)
    notes = []
    if (
        not plan.mapping.columns.get("status")
        or "status" not in plan.mapping.bind(plan.source.header).where
    ):
        notes.append(f"no status column: every case imported {plan.default_status}")
    return ImportReport(
        file=str(path),
        encoding=plan.source.encoding + (" (BOM)" if plan.source.bom else ""),
        delimiter={"\t": "tab", ",": "comma"}.get(plan.source.delimiter, plan.source.delimiter),
        mapping=plan.mapping.name,
        source=plan.mapping.source,
        date_format=plan.date_format,
        records=plan.records,
        imported=imported,
        would_import=len(fresh) if not refused else 0,
        already=sum(1 for c in plan.cases if c.external_id in already),
        duplicates=plan.duplicates,
        bad=plan.bad,
        open_cases=len(fresh) - closed,
        closed_cases=closed,
        sample=fresh[:SAMPLE],
        dry_run=options.dry_run,
        refused=refused,
        seconds=time.perf_counter() - started,
        default_status=plan.default_status,
        notes=notes,
    )


def os_user() -> str:
    """The operating-system user running this process, recorded in every import's events
    (whoever runs the desk with the database URL holds the database's rights)."""
    import os
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def import_as(
    desk: Desk,
    actor: Actor,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """An import run from the desk by a signed-in person, who must hold the `import`
    permission (supervisor, admin); the batch events name them and the OS user."""
    permissions.check("import", actor.facts(), None)
    return run_import(
        desk.engine,
        path,
        options,
        settings=desk.settings,
        policy=desk.policy,
        calendars=desk.calendars,
        os_user=os_user(),
        staff_id=actor.staff_id,
        staff_login=actor.login,
        progress=progress,
    )

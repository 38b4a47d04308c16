"""How fast `deskapp import` takes a real export: a 10,000-record CFPB-style file (the fixture
rows of `tests/deskapp/data/cfpb/v2-public.csv` repeated with fresh ids and dates) imported
into a fresh SQLite desk, and the same file only read and mapped (a dry run), each beside
Python's `csv` module reading the same file into lists of fields in the same run: the floor
any importer of that file stands on.

    python -m benchmarks.bench_import        # this figure alone
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from deskapp.cases import Desk
from deskapp.importing import ImportOptions, run_import
from store.engine import make_engine
from store.migrate import upgrade

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "deskapp" / "data" / "cfpb"


@dataclass(frozen=True)
class ImportResult:
    records: int
    imported: int
    import_seconds: float
    dry_seconds: float
    csv_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.records / self.import_seconds

    @property
    def dry_rows_per_second(self) -> float:
        return self.records / self.dry_seconds

    @property
    def csv_rows_per_second(self) -> float:
        return self.records / self.csv_seconds


def make_file(path: Path, records: int) -> Path:
    """`records` rows in the public CFPB layout: the fixture's rows in turn, each with a new
    complaint id and a received date spread over 2019-2020 (dates as the export writes them)."""
    with (FIXTURE / "v2-public.csv").open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    first = date(2019, 1, 1)
    for n in range(records):
        row = list(rows[n % len(rows)])
        day = first + timedelta(days=n % 700)
        row[0] = f"{day.month}/{day.day}/{day.year % 100:02d}"
        row[13] = row[0]
        row[17] = str(5_000_000 + n)
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _csv_read(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        for _ in csv.reader(f):
            pass
    return time.perf_counter() - started


def bench_import(workdir: Path, *, records: int = 10_000, repeats: int = 3) -> ImportResult:
    source = make_file(workdir / "cfpb-10k.csv", records)
    csv_seconds = min(_csv_read(source) for _ in range(repeats))
    db = workdir / "import.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    desk = Desk(engine)

    def run(options: ImportOptions) -> tuple[float, int]:
        started = time.perf_counter()
        report = run_import(
            engine,
            source,
            options,
            settings=desk.settings,
            policy=desk.policy,
            calendars=desk.calendars,
            os_user="bench",
        )
        return time.perf_counter() - started, report.imported

    dry_seconds = min(run(ImportOptions(dry_run=True))[0] for _ in range(repeats))
    import_seconds, imported = run(ImportOptions())
    engine.dispose()
    if imported != records:
        raise RuntimeError(f"bench_import: imported {imported} of {records} records")
    return ImportResult(records, imported, import_seconds, dry_seconds, csv_seconds)


if __name__ == "__main__":
    import tempfile

    from deskapp import clock

    clock.freeze_from_env()
    with tempfile.TemporaryDirectory(prefix="deskapp-bench-") as tmp:
        r = bench_import(Path(tmp))
    print(
        f"import, {r.records:,} CFPB records into SQLite: {r.rows_per_second:,.0f} rows/s; "
        f"dry run (read + map): {r.dry_rows_per_second:,.0f} rows/s; "
        f"csv.reader of the same file: {r.csv_rows_per_second:,.0f} rows/s; "
        f"ratio {r.csv_rows_per_second / r.rows_per_second:.1f}× "
        f"(dry run {r.csv_rows_per_second / r.dry_rows_per_second:.1f}×)"
    )

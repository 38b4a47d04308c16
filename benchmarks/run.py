"""Run every benchmark, print the table and write it to docs/benchmarks.md.

Every figure stands beside a baseline measured in the same run on the same machine, because an
absolute number means little across machines while "four times the cost of a bare sqlite3
commit" does. To add a figure, write a function that takes `Options` and returns `Row`s, and
append it to `BENCHES`.

    python -m benchmarks.run            # the full run (about two minutes)
    python -m benchmarks.run --quick    # smaller sizes, for a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskapp import clock
from deskapp.config import load_settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Options:
    quick: bool
    workdir: Path


@dataclass(frozen=True)
class Row:
    figure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    #: True for rates (more is better), False for times (less is better).
    rate: bool

    @property
    def ratio(self) -> float:
        """How many times the baseline's cost ours is: 1.0 is as cheap as the baseline."""
        if self.rate:
            return self.baseline_value / self.value if self.value else float("inf")
        return self.value / self.baseline_value if self.baseline_value else float("inf")


Bench = Callable[[Options], list[Row]]


# -- the benchmarks ----------------------------------------------------------------------------


def intake_rows(opts: Options) -> list[Row]:
    from benchmarks.bench_store import bench_intake

    count = 200 if opts.quick else 500
    result = bench_intake(opts.workdir, count=count)
    raw = (
        f"raw sqlite3 writing the same {result.rows} rows in one transaction (customer upsert, "
        "day sequence, complaint, milestones, hashed events, audit head), interleaved, same "
        f"file and pragmas (n={count})"
    )
    return [
        Row(
            f"intake commit latency p50 (Desk.intake, n={count})",
            result.intake.p50_ms,
            "ms",
            raw,
            result.raw.p50_ms,
            rate=False,
        ),
        Row(
            f"intake commit latency p99 (Desk.intake, n={count})",
            result.intake.p99_ms,
            "ms",
            raw,
            result.raw.p99_ms,
            rate=False,
        ),
    ]


def demo_rows(opts: Options) -> list[Row]:
    from benchmarks.bench_demo import bench_demo

    cases = 10_000 if opts.quick else 100_000
    result = bench_demo(opts.workdir, cases=cases)
    return [
        Row(
            f"demo generation, {cases:,} cases ({result.events:,} events) on SQLite",
            result.cases / result.seconds,
            "cases/s",
            f"raw sqlite3 executemany of the same {result.rows:,} rows, one transaction",
            result.cases / result.raw_seconds,
            rate=True,
        )
    ]


def sla_rows(opts: Options) -> list[Row]:
    try:
        from benchmarks.bench_sla import bench_due
    except ImportError:  # pragma: no cover - until the SLA benchmark lands
        return [
            Row(
                "SLA due computations (TODO: benchmarks.bench_sla.bench_due missing)",
                float("nan"),
                "due/s",
                "datetime + timedelta",
                float("nan"),
                rate=True,
            )
        ]
    n = 10_000
    ours = bench_due(n)
    return [
        Row(
            "SLA due computations, office calendar (China holidays)",
            ours["due_per_second"],
            "due/s",
            f"the same {n:,} starts + timedelta on a plain datetime (a 24x7 due)",
            _plain_additions(n),
            rate=True,
        )
    ]


def _plain_additions(n: int) -> float:
    import random

    rng = random.Random(20261001)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [
        (first + timedelta(seconds=rng.randrange(300 * 86400)), rng.uniform(0, 30 * 450))
        for _ in range(n)
    ]
    started = time.perf_counter()
    for start, minutes in cases:
        start + timedelta(minutes=minutes)
    seconds = time.perf_counter() - started
    return n / seconds if seconds else float("inf")


#: Timed calls per database read (full run, quick run); the median is reported.
READS = (5, 3)


def queue_rows(opts: Options) -> list[Row]:
    """The live queue from 1 k to 1 M open cases: the database reads that grow with the desk
    (in process, beside their SQL replayed raw), then the desk in a pseudo-terminal beside bare
    Textual apps in the same one."""
    from benchmarks.bench_queue import bench_reads, build, desk_path
    from benchmarks.bench_wire import FULL, HOT, QUICK, bench_wire

    sizes = (1_000, 20_000) if opts.quick else (1_000, 100_000, 1_000_000)
    urls, reads = {}, []
    for size in sizes:
        path = desk_path(opts.workdir, size)
        urls[size] = build(path, size)
        reads.append(bench_reads(path, size, repeats=READS[1] if opts.quick else READS[0]))
    runs, base = bench_wire(urls, QUICK if opts.quick else FULL)
    big = runs[-1]
    table = (
        f"DataTable over the first {base.table_rows:,} rows of the same queue, changed "
        f"countdowns set by update_cell; tick → frame, same pty (n={base.table_ticks})"
    )
    raw = "the same SQL and parameters replayed by raw sqlite3, same file"
    rows = [
        Row(
            f"queue tick → frame at the terminal (QueueList.tick, 120x40, {HOT} countdowns "
            f"changing), {r.open_cases:,} open cases (n={r.ticks})",
            r.tick_ms,
            "ms",
            table,
            base.table_tick_ms,
            rate=False,
        )
        for r in runs
    ]
    rows += [
        Row(
            f"count_open on a change, desk-wide view, {r.open_cases:,} open cases",
            r.count_open.ms,
            "ms",
            raw,
            r.count_open.raw_ms,
            rate=False,
        )
        for r in reads
    ]
    rows += [
        Row(
            f"count_before on a change, key at the middle of the queue, {r.open_cases:,} open "
            "cases",
            r.count_before.ms,
            "ms",
            raw,
            r.count_before.raw_ms,
            rate=False,
        )
        for r in reads
    ]
    rows += [
        Row(
            f"breach board refresh (page, count, tally by department, header counts; "
            f"{r.board_rows:,} listed), {r.open_cases:,} open cases",
            r.board.ms,
            "ms",
            f"the same {r.board.statements} statements replayed by raw sqlite3, same file",
            r.board.raw_ms,
            rate=False,
        )
        for r in reads
    ]
    rows.append(
        Row(
            f"start-up: exec → sign-in form at the terminal (deskapp run), {big.open_cases:,} "
            "open cases",
            big.startup_s * 1000,
            "ms",
            "bare Textual app: exec → its first frame at the terminal, same pty",
            base.bare_startup_s * 1000,
            rate=False,
        )
    )
    rows += [
        Row(
            "sign-in: enter → first queue frame at the terminal (password check included), "
            f"{r.open_cases:,} open cases",
            r.sign_in_s * 1000,
            "ms",
            "bare Textual app: a key → the frame that shows it, same pty",
            base.bare_key_ms,
            rate=False,
        )
        for r in runs
    ]
    idle = (
        f"idle bytes/s on the queue, 120x40, {HOT} countdowns in their last hour, "
        f"{big.open_cases:,} cases"
    )
    small = runs[0]
    rss = f"resident memory, queue painted, {big.open_cases:,} open cases"
    pairs = [
        (
            idle,
            big.bytes_s,
            "B/s",
            "bare Textual app showing a clock, same pty",
            base.clock_bytes_s,
        ),
        (
            idle,
            big.bytes_s,
            "B/s",
            "reference only: htop, same pty (its output follows the host's activity)",
            base.htop_bytes_s,
        ),
        (rss, big.rss_mb, "MB", "bare Textual app (the clock)", base.bare_rss_mb),
        (rss, big.rss_mb, "MB", "the clock with the store's libraries", base.libs_rss_mb),
        (rss, big.rss_mb, "MB", f"the desk with {small.open_cases:,} open cases", small.rss_mb),
    ]
    rows += [Row(*pair, rate=False) for pair in pairs]
    return rows


def key_rows(opts: Options) -> list[Row]:
    from benchmarks.bench_keys import TEXT, bench_keys

    r = bench_keys(opts.workdir)
    bare = f"bare Textual Input (an app with three Inputs), same {len(TEXT)} keys, same harness"
    return [
        Row(
            "one keystroke on the intake form, name field (key in → app quiet, median)",
            r.intake_name_ms,
            "ms",
            bare,
            r.bare_ms,
            rate=False,
        ),
        Row(
            "one keystroke on the intake form, description (triage waits for a pause)",
            r.intake_description_ms,
            "ms",
            bare,
            r.bare_ms,
            rate=False,
        ),
        Row(
            "triage after a pause, 20,000-character description (in a worker)",
            r.triage_long_ms,
            "ms",
            "one keystroke in the bare Input",
            r.bare_ms,
            rate=False,
        ),
    ]


BENCHES: list[Bench] = [intake_rows, demo_rows, sla_rows, key_rows, queue_rows]


# -- the report --------------------------------------------------------------------------------

HEADER = ("figure", "value", "unit", "baseline", "baseline value", "ratio")


def _number(value: float) -> str:
    if value != value:  # NaN: not measured
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def _cells(row: Row) -> tuple[str, ...]:
    ratio = "–" if row.ratio != row.ratio else f"{row.ratio:.2f}×"
    return (
        row.figure,
        _number(row.value),
        row.unit,
        row.baseline,
        _number(row.baseline_value),
        ratio,
    )


def text_table(rows: list[Row]) -> str:
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    right = {1, 4, 5}
    lines = []
    for n, line in enumerate(table):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[Row], opts: Options, seconds: float) -> str:
    now = clock.now()
    machine = f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs"
    body = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks.run"
        + (" --quick" if opts.quick else "")
        + "`); do not edit by hand.",
        "",
        f"- date: {now:%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}",
        f"- python {platform.python_version()}, sqlite {sqlite3.sqlite_version}",
        f"- run: {'quick' if opts.quick else 'full'}, {seconds:.0f} s",
        "",
        "Each figure is measured beside its baseline in the same run. The ratio is our cost as "
        "a multiple of the baseline's: time divided by the baseline's time, or the baseline's "
        "rate divided by ours, so 1.00× means as cheap as the baseline and 4.00× means four "
        "times its cost. Compare ratios across machines, not raw values.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---", "---:", "---", "---", "---:", "---:"]) + "|",
    ]
    body += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks; write docs/benchmarks.md.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (10,000 demo cases)")
    parser.add_argument("--output", type=Path, default=DOC, help=f"default: {DOC}")
    args = parser.parse_args(argv)
    # Measure the shipped defaults, not whatever the developer configured.
    for key in [k for k in os.environ if k.startswith("DESKAPP_")]:
        del os.environ[key]
    os.environ["DESKAPP_CONFIG"] = os.devnull
    load_settings.cache_clear()
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="deskapp-bench-") as tmp:
        opts = Options(args.quick, Path(tmp))
        for bench in BENCHES:
            print(f"running {bench.__name__} …", file=sys.stderr, flush=True)
            rows += bench(opts)
    seconds = time.perf_counter() - started
    print(text_table(rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(rows, opts, seconds), encoding="utf-8")
    print(f"\nwritten to {args.output} ({seconds:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

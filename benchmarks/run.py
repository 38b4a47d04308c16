"""Run every benchmark, print the table and write it to docs/benchmarks.md.

Every figure stands beside a baseline measured in the same run on the same machine, because an
absolute number means little across machines while "four times the cost of a bare sqlite3
commit" does. To add a figure, write a function that takes `Options` and returns `Row`s, and
append it to `BENCHES`.

    python -m benchmarks.run            # the full run (several minutes: the 1 M desk)
    python -m benchmarks.run --quick    # smaller sizes, for a quick look
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
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
    #: (series, open cases) when the figure is a point on the chart against open cases.
    chart: tuple[str, int] | None = None

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
    rows = []
    for all_open, desk in ((False, "a working day"), (True, "all open")):
        result = bench_demo(opts.workdir, cases=cases, all_open=all_open)
        rows.append(
            Row(
                f"demo generation, {desk}, {cases:,} cases ({result.events:,} events) on SQLite",
                result.cases / result.seconds,
                "cases/s",
                f"raw sqlite3 executemany of the same {result.rows:,} rows, one transaction",
                result.cases / result.raw_seconds,
                rate=True,
            )
        )
    return rows


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
    from benchmarks.bench_wire import FULL, HOT, OPEN_WAIT, QUICK, bench_wire

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
            chart=(TICK_SERIES, r.open_cases),
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
            f"breach board refresh (list page and count, the wall, header counts; "
            f"{r.board_rows:,} listed), {r.open_cases:,} open cases",
            r.board.ms,
            "ms",
            f"the same {r.board.statements} statements replayed by raw sqlite3, same file",
            r.board.raw_ms,
            rate=False,
            chart=(BOARD_SERIES, r.open_cases),
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
    for r in runs:
        rows += [
            Row(
                f"sign-in{label}: enter → first queue frame at the terminal (password check "
                f"included), {r.open_cases:,} open cases",
                seconds * 1000,
                "ms",
                "bare Textual app: a key → the frame that shows it, same pty",
                base.bare_key_ms,
                rate=False,
            )
            for label, seconds in (
                (", typed as the form shows", r.sign_in_s),
                (f", typed {OPEN_WAIT:g} s later", r.sign_in_open_s),
            )
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


def board_rows(opts: Options) -> list[Row]:
    """The breach board on the desk issue 11 names: 1,000,000 cases, 100,000 open."""
    from benchmarks.bench_board import bench_board

    cases, open_cases = (100_000, 10_000) if opts.quick else (1_000_000, 100_000)
    r = bench_board(
        opts.workdir / "board.db", cases, open_cases, READS[1] if opts.quick else READS[0]
    )
    where = f"{r.cases:,} cases, {r.open_cases:,} open, {r.listed:,} listed"
    return [
        Row(
            f"breach board refresh (list page and count, the wall, header counts), {where}",
            r.refresh.ms,
            "ms",
            f"the same {r.refresh.statements} statements replayed by raw sqlite3, same file",
            r.refresh.raw_ms,
            rate=False,
        ),
        Row(
            f"breach board refresh, {where}",
            r.refresh.ms,
            "ms",
            "the old board's at-risk and breached count per department over the open cases, "
            "same file (what each refresh read before the tally and the covering indexes)",
            r.old_tally.ms,
            rate=False,
        ),
    ]


def report_rows(opts: Options) -> list[Row]:
    """The monthly analysis on a desk of 1,000,000 cases (issue 11: at most 3 s)."""
    from benchmarks.bench_report import bench_report

    cases = 100_000 if opts.quick else 1_000_000
    r = bench_report(opts.workdir / "report.db", cases, READS[1] if opts.quick else READS[0])
    return [
        Row(
            f"monthly analysis, every figure (deskapp.report.build), {r.month_cases:,} cases "
            f"that month of {r.cases:,}",
            r.report_ms,
            "ms",
            "a plain SELECT count(*) of the same month's cases, same file",
            r.count_ms,
            rate=False,
        )
    ]


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


def import_rows(opts: Options) -> list[Row]:
    from benchmarks.bench_import import bench_import

    records = 2_000 if opts.quick else 10_000
    r = bench_import(opts.workdir, records=records)
    baseline = "Python's csv.reader reading the same file into lists of fields (best of 3)"
    return [
        Row(
            f"deskapp import, {records:,} CFPB records into SQLite (read, map, write, audit)",
            r.rows_per_second,
            "rows/s",
            baseline,
            r.csv_rows_per_second,
            rate=True,
        ),
        Row(
            f"deskapp import --dry-run, {records:,} CFPB records (read, detect, map)",
            r.dry_rows_per_second,
            "rows/s",
            baseline,
            r.csv_rows_per_second,
            rate=True,
        ),
    ]


def load_rows(opts: Options) -> list[Row]:
    """Many desks on one SQLite file (`make loadtest` runs the long version): the mix's rate and
    latencies beside a small desk doing the same mix in the same harness, and each desk
    process's memory beside a bare Python with the same imports."""
    from benchmarks.load import bench_load, percentile

    workers, seconds = (8, 10.0) if opts.quick else (20, 20.0)
    run = bench_load(opts.workdir / "load", workers=workers, seconds=seconds, small=4)
    problems = run.result.problems + (run.small.problems if run.small else [])
    if problems:
        raise RuntimeError("the load run's checks failed: " + "; ".join(problems))
    ours, small = run.result, run.small
    assert small is not None
    every = [v for vs in ours.ops.values() for v in vs]
    small_every = [v for vs in small.ops.values() for v in vs]
    same = f"{small.workers} desks, same mix and harness, {small.seconds:g} s"
    rows = [
        Row(
            f"{workers} desks on one SQLite file, the mix (intake, accept, dispatch, transfer, "
            f"notes, wait for customer and resume, plan, resolve), {seconds:g} s",
            len(every) / ours.seconds,
            "ops/s",
            same,
            len(small_every) / small.seconds,
            rate=True,
        )
    ]
    for kind in ("intake", "transfer", "note", "pend_customer", "customer_answered", "resolve"):
        values, base = ours.ops.get(kind, []), small.ops.get(kind, [])
        for q in (50, 99):
            rows.append(
                Row(
                    f"{workers} desks on one SQLite file: {kind} latency p{q} (n={len(values):,})",
                    percentile(values, q),
                    "ms",
                    f"{same} (n={len(base):,})",
                    percentile(base, q),
                    rate=False,
                )
            )
    rss = sorted(ours.rss_kb)
    rows.append(
        Row(
            f"resident memory per desk process after the load run, median of {workers}",
            rss[len(rss) // 2] / 1024 if rss else float("nan"),
            "MB",
            "a bare Python process that imported the same libraries",
            run.base_kb / 1024,
            rate=False,
        )
    )
    return rows


BENCHES: list[Bench] = [
    intake_rows,
    demo_rows,
    sla_rows,
    key_rows,
    import_rows,
    load_rows,
    board_rows,
    report_rows,
    queue_rows,
]


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


TICK_SERIES = "queue tick → frame"
BOARD_SERIES = "breach board refresh"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _ms(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def chart(rows: list[Row]) -> list[str]:
    """The chart rows' series against open cases, log on both axes, as plain text: the
    Markdown keeps it in a code block, so no colour codes."""
    series: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        if row.chart is not None and row.value == row.value:
            series.setdefault(row.chart[0], []).append((row.chart[1], row.value))
    if not series:
        return []
    try:
        import plotext as plt
    except ImportError:
        return ["(no chart: plotext is not installed; `pip install -e '.[dev]'`)"]
    # Logarithms plotted on linear axes, labelled in plain units: plotext's own log scale
    # mislays the axis limits.
    plt.clear_figure()
    plt.plot_size(96, 24)
    plt.theme("clear")
    for (name, points), marker in zip(series.items(), "*o+x", strict=False):
        points.sort()
        xs = [math.log10(x) for x, _ in points]
        plt.plot(xs, [math.log10(y) for _, y in points], label=name, marker=marker)
    sizes = sorted({x for points in series.values() for x, _ in points})
    plt.xticks([math.log10(x) for x in sizes], [_size(x) for x in sizes])
    values = [y for points in series.values() for _, y in points]
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    plt.ylim(low, high)
    plt.yticks(list(range(low, high + 1)), [_ms(10.0**k) for k in range(low, high + 1)])
    plt.xlabel("open cases")
    text = _ANSI.sub("", plt.build())
    return ["```text", *(line.rstrip() for line in text.splitlines()), "```"]


def method() -> list[str]:
    """How each interval is measured, and what changed in the method (issue 16)."""
    from benchmarks.bench_wire import BURST_GAP, FULL, OPEN_WAIT, QUICK, SETTLE

    gap = f"{BURST_GAP * 1000:g} ms"
    return [
        "## Method",
        "",
        "**At the terminal** (queue tick, start-up, sign-in, idle bytes, memory). Each program "
        "runs on the slave side of its own 120×40 pseudo-terminal; a thread on the master side "
        "reads what arrives and notes when each chunk came, on the monotonic clock every "
        "process shares. An interval ends when its *frame* has arrived: the burst of chunks "
        f"less than {gap} apart that holds what the interval waits for (a frame's chunks "
        "come microseconds apart, frames milliseconds apart). The same rule ends the desk's "
        "interval and its baseline's.",
        "",
        "- *Queue tick*: from the start of `QueueList.tick`, which the desk process reports on a "
        "pipe (`benchmarks/pty_apps.py` wraps the method from outside; the desk is otherwise "
        "`deskapp run` as shipped), to the first frame after it. The baseline is a Textual "
        "DataTable showing the first rows of the same queue in the same columns; each second "
        "it recomputes the countdowns on screen with the desk's own countdown function and "
        "calls `update_cell` on the cells that changed (the least its API allows), timed from "
        "the start of its tick to its frame the same way. Both signed in or filled, left "
        f"{SETTLE:g} s, then every tick of {FULL.measure:g} s ({QUICK.measure:g} s quick) "
        "counted; medians.",
        "- *Start-up*: from just before the process is started (fork and exec of "
        "`python -m deskapp.cli run`) to the frame with the sign-in form, beside `python -m "
        "benchmarks.pty_apps bare` (one Static) to the frame with its text. Medians of "
        f"{FULL.sign_ins} ({QUICK.sign_ins} quick). Both run from compiled byte-code "
        "(`make bench` runs `make compiled`, as a regular `pip install` would have): an "
        "editable install under PYTHONDONTWRITEBYTECODE compiled the desk's ~40 modules on "
        "every start while Textual's came compiled. The desk's entry point holds the garbage "
        "collector until the desk is open (`deskapp.startup`); the bare app runs with "
        "Python's defaults.",
        "- *Sign-in*: from writing enter on the filled-in form to the frame with the first case "
        "number: the password check (Argon2id, slow on purpose), the names read and the first "
        "page of the queue. Timed twice: typed (a key every 50 ms) as soon as the form shows, "
        "when Enter may wait for the store still being opened behind the form, and typed "
        f"{OPEN_WAIT:g} s later, once it is open, as a person who reads the form first finds "
        "it. Beside it, the bare app: from writing a key to the frame that shows it — the "
        "floor of any key's effect in this terminal.",
        "- *Idle bytes*: bytes read over the same stretch as the ticks, the desk on its queue "
        "with a dozen countdowns in their last hour. The judge is a bare Textual clock in the "
        "same pty; htop stays as a reference row, since its output follows what the host is "
        "doing.",
        "",
        "**In the database** (count_open, count_before, the breach board's refresh). Each read "
        "is timed in process through the desk's own function, from the call to the answer, "
        f"median of {READS[0]} ({READS[1]} quick) after a warm-up. Its baseline is the "
        "statements that call sent to sqlite3 (caught by a SQLAlchemy event hook) replayed "
        "with the same parameters by plain `sqlite3` on the same file, after the same "
        "warm-up: the work the database must do, so the value shows how the read grows and "
        "the ratio what the desk adds. "
        "`count_before` places the queue's middle row. The board refresh is what the breach "
        "board reads every few seconds: `QueueReader.reload` of its view (the first page, the "
        "count of cases at risk or breached), `tally_by_department` and the header's "
        "`state_counts` of the supervisor's own cases. These run on the desks as built (copies "
        "of the demo's open cases in the demo's mix of states), before the terminal runs "
        "re-time the open cases.",
        "",
        "**Intake**: `Desk.intake` from the call to the commit; then the rows it wrote are read "
        "back (untimed) and written again for a new caller by plain `sqlite3` in one "
        "transaction — the customer upsert and its id, the day-sequence bump, the complaint, "
        "its milestones, the events with their chained hashes and the audit head — "
        "interleaved with the intakes on one file with the same pragmas. "
        "`tests/benchmarks/test_bench_store.py` holds that copy to the same tables, rows and "
        "values and checks that the chain it writes verifies.",
        "",
        "**Import**: `deskapp.importing.run_import` on a 10,000-record file in the public CFPB "
        "layout (the fixture rows with fresh ids and dates over two years), into a freshly "
        "migrated SQLite desk: decoding, date detection, mapping, the cases with their "
        "milestones and customers, and the hash-chained events, timed from the call to the "
        "last commit. The dry run (read and map only) is the best of 3. Both stand beside "
        "`csv.reader` reading the same file into lists (best of 3): what any importer of the "
        "file must at least do.",
        "",
        "**Many desks**: 20 desk processes (8 quick), each its own interpreter signed in as "
        "a different person (agents, handlers, department managers), work cases through "
        "`deskapp.cases.Desk` on one fresh SQLite file for 20 s (10 s quick) with no think "
        "time; each use case's call is timed to its return, the commit. The baseline is 4 desks "
        "(an agent, a manager, two handlers) doing the same mix in the same harness for 5 s. "
        "Memory is each desk process's VmRSS at the end of its run beside a bare Python "
        "process that imported the same libraries. The run's checker must pass (see "
        "`docs/load.md`; `make loadtest` runs the 60 s version and PostgreSQL).",
        "",
        "**Elsewhere** unchanged: demo generation beside `executemany` of the same rows; SLA "
        "due times beside plain datetime additions; keystrokes timed in Textual's headless "
        "pilot, the intake form beside a bare Input in the same harness.",
        "",
        "### What changed in the method (issue 16, like with like)",
        "",
        "- Queue tick: it was `QueueList.tick` alone in the headless pilot (which renders no "
        "terminal output), its repaint untimed, beside DataTable's `update_cell` plus the "
        "pilot's pause. Both are now timed from the tick to the frame at the terminal, in the "
        "same pty; the DataTable shows the same queue and sets only the cells that changed.",
        "- Sign-in: enter → queue was set against a bare app's construction → first paint. "
        "Start-up (exec → first frame) and sign-in (enter → queue frame) are now separate "
        "rows, each beside a bare app over the same interval in the same pty.",
        "- Idle bytes: judged against the bare Textual clock; htop kept as a reference row.",
        "- Intake: the baseline was one raw INSERT of one complaint row; it now writes all the "
        "rows an intake writes, in one transaction.",
        "- New: count_open, count_before and the breach board's refresh at each size, beside "
        "their own SQL replayed raw, and the chart.",
        "",
    ]


def markdown(rows: list[Row], opts: Options, seconds: float, loads: tuple[str, str]) -> str:
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
        f"- load average (1, 5, 15 min): {loads[0]} at the start, {loads[1]} at the end",
        "",
        "Each figure is measured beside its baseline in the same run, over the same interval "
        "and in the same harness (see Method). The ratio is our cost as a multiple of the "
        "baseline's: time divided by the baseline's time, or the baseline's rate divided by "
        "ours, so 1.00× means as cheap as the baseline and 4.00× means four times its cost. "
        "Compare ratios across machines, not raw values.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---", "---:", "---", "---", "---:", "---:"]) + "|",
    ]
    body += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    drawn = chart(rows)
    if drawn:
        body += [
            "",
            "## Against open cases",
            "",
            "The queue tick (from the tick to its frame at the terminal, the median of each "
            "desk's ticks) and the breach board's refresh (its database reads), by open cases; "
            "both axes logarithmic.",
            "",
            *drawn,
        ]
    body += ["", *method()]
    return "\n".join(body).rstrip() + "\n"


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


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
    load_before = _load()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="deskapp-bench-") as tmp:
        opts = Options(args.quick, Path(tmp))
        for bench in BENCHES:
            print(f"running {bench.__name__} …", file=sys.stderr, flush=True)
            rows += bench(opts)
    seconds = time.perf_counter() - started
    print(text_table(rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    loads = (load_before, _load())
    args.output.write_text(markdown(rows, opts, seconds, loads), encoding="utf-8")
    print(f"\nwritten to {args.output} ({seconds:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The monthly and quarterly analysis: what the process's targets are judged by.

Every figure is defined here, once, for a period [start, end) of the desk's calendar days:

- **received**: cases registered (or imported) in the period, by channel, category, primary
  department, severity and claim type;
- **on time**: the promises decided in the period (met in it, kept when met by their due
  instant; or due in it and still not met at its end, broken), per milestone, against
  `on_time_target` (98 %). A promise paused at the end, or cancelled, is not decided; a
  period still running ends now (a promise due later this month is not broken yet);
- **resolution rate**: of the cases received in the period and not rejected, the share whose
  resolution was met by the end of the period, against `resolution_target` (90 %);
- **time to resolve**: for the cases resolved in the period, from registration to resolution;
- **satisfaction**: the revisits made in the period (1–5), and what the unsatisfied (1–2) said;
- **repeats**: received cases flagged repeat; the same issue again (二次投诉): received cases
  whose customer complained about the same category before, within the repeat window;
  reopens: reopen events in the period per case closed in it;
- **root causes, remedies, compensation**: of the cases resolved in the period;
- **breaches and escalations** per department: broken promises, and rungs reached;
- **per department and per person** (the assignee): resolved, on-time rate of their
  promises, average satisfaction, and the share of their resolved cases revisited by the end.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from deskapp import clock
from deskapp.display import one_line
from deskapp.domain import MilestoneKind
from store import report as sql
from store.engine import read_session

if TYPE_CHECKING:
    from deskapp.cases import Desk

#: Hours-to-resolve buckets (upper bounds; the last is open).
RESOLVE_BUCKETS = (24, 72, 120, 240)
#: The promises in the order a case meets them (the case-specific ones last).
KINDS = tuple(k.value for k in MilestoneKind)
TERMINAL_REJECTED = "rejected"
#: The unsatisfied customers' comments the Markdown shows (CSV and JSON carry them all).
SHOWN_COMMENTS = 100


@dataclass(frozen=True)
class Period:
    label: str  # "2026-11" or "2026Q4"
    first: date
    after: date  # the first day after the period

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), tzinfo=tz)
        end = datetime.combine(self.after, time(0), tzinfo=tz)
        return start, end


def parse_period(text: str) -> Period:
    """ "2026-11" (a month) or "2026Q4" (a quarter); anything else is refused, saying so."""
    value = text.strip().upper()
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if month:
        year, m = int(month.group(1)), int(month.group(2))
        if not 1 <= m <= 12:
            raise ValueError(f"no month {m} in {text!r}")
        after = date(year + (m == 12), m % 12 + 1, 1)
        return Period(f"{year}-{m:02d}", date(year, m, 1), after)
    quarter = re.fullmatch(r"(\d{4})Q([1-4])", value)
    if quarter:
        year, q = int(quarter.group(1)), int(quarter.group(2))
        first = date(year, 3 * q - 2, 1)
        after = date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return Period(f"{year}Q{q}", first, after)
    raise ValueError(f"{text!r} is neither a month (2026-11) nor a quarter (2026Q4)")


@dataclass
class Rate:
    good: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.good / self.total if self.total else None


@dataclass
class Person:
    """One department's or one person's line."""

    resolved: int = 0
    on_time: Rate = field(default_factory=Rate)
    satisfaction: list[int] = field(default_factory=list)
    revisited: int = 0

    @property
    def average_satisfaction(self) -> float | None:
        return statistics.fmean(self.satisfaction) if self.satisfaction else None

    @property
    def revisit_rate(self) -> float | None:
        return self.revisited / self.resolved if self.resolved else None


@dataclass
class Report:
    period: Period
    department: str  # "" for the whole desk
    on_time_target: float
    resolution_target: float
    received: int = 0
    by: dict[str, dict[str, int]] = field(default_factory=dict)
    on_time: dict[str, Rate] = field(default_factory=dict)
    resolution: Rate = field(default_factory=Rate)
    resolve_hours: list[float] = field(default_factory=list)
    satisfaction: dict[int, int] = field(default_factory=dict)
    unsatisfied: list[tuple[str, int, str]] = field(default_factory=list)
    repeats: int = 0
    again: int = 0
    reopens: int = 0
    closed: int = 0
    root_causes: list[tuple[str, int, str]] = field(default_factory=list)
    remedies: dict[str, int] = field(default_factory=dict)
    compensation: Decimal = Decimal("0")
    compensated: int = 0
    breaches: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, dict[int, int]] = field(default_factory=dict)
    departments: dict[str, Person] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    per_day: dict[str, int] = field(default_factory=dict)
    #: Promises decided per day (kept, decided): the report screen's weekly on-time line.
    on_time_per_day: dict[str, Rate] = field(default_factory=dict)

    @property
    def on_time_all(self) -> Rate:
        return Rate(
            sum(r.good for r in self.on_time.values()), sum(r.total for r in self.on_time.values())
        )

    def resolve_buckets(self) -> list[tuple[str, int]]:
        """(label, cases) per bucket of hours to resolve."""
        edges = [0, *RESOLVE_BUCKETS]
        out = []
        for low, high in zip(edges, [*RESOLVE_BUCKETS, None], strict=True):
            n = sum(1 for h in self.resolve_hours if h > low and (high is None or h <= high))
            if low == 0:
                n += sum(1 for h in self.resolve_hours if h == 0)
            out.append((f"≤{high} h" if high is not None else f">{low} h", n))
        return out


def build(desk: Desk, period: Period, department: int | None = None) -> Report:
    """Every figure of the period (for one primary department, or the whole desk)."""
    tz = desk.settings.tz
    start, end = period.bounds(tz)
    names = desk_names(desk)
    dept_name = names["depts"].get(department, "") if department is not None else ""
    r = Report(
        period,
        dept_name,
        desk.settings.on_time_target,
        desk.settings.resolution_target,
    )
    with read_session(desk.engine) as s:
        for column in ("channel", "category", "primary_dept_id", "severity", "claim_type"):
            counts = sql.volume(s, start, end, department, column)
            if column == "primary_dept_id":
                counts = {names["depts"].get(int(k), "") if k else "": n for k, n in counts.items()}
                column = "department"
            r.by[column] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        received = sql.received_rows(s, start, end, department)
        r.received = len(received)
        for _id, _cust, _cat, _flags, _status, at in received:
            day = at.astimezone(tz).date().isoformat()
            r.per_day[day] = r.per_day.get(day, 0) + 1
        r.repeats = sum(1 for row in received if "repeat" in str(row[3]).split())
        window = timedelta(days=desk.settings.repeat_window_days)
        pairs = [(int(row[1]), str(row[2]), row[5]) for row in received]
        r.again = len(sql.earlier_same_category(s, pairs, start - window))
        countable = [int(row[0]) for row in received if row[4] != TERMINAL_REJECTED]
        r.resolution = Rate(len(sql.resolved_by(s, countable, end)), len(countable))

        # A period still running is judged as of now: a promise due later is not broken yet.
        cut = min(end, clock.now())
        for kind, dept, who, kept, when in sql.promises(s, start, cut, department):
            rate = r.on_time.setdefault(kind, Rate())
            rate.good += kept
            rate.total += 1
            day = r.on_time_per_day.setdefault(when.astimezone(tz).date().isoformat(), Rate())
            day.good += kept
            day.total += 1
            dname = names["depts"].get(dept, "") if dept else ""
            d = r.departments.setdefault(dname, Person())
            d.on_time.good += kept
            d.on_time.total += 1
            if not kept:
                r.breaches[dname] = r.breaches.get(dname, 0) + 1
            if who is not None:
                p = r.people.setdefault(names["staff"].get(who, str(who)), Person())
                p.on_time.good += kept
                p.on_time.total += 1
        r.on_time = {k: r.on_time[k] for k in KINDS if k in r.on_time}

        causes: dict[str, list[str]] = {}
        remedies: Counter[str] = Counter()
        for row in sql.resolved(s, start, end, department):
            (_i, number, dept, who, created, met, cause, kinds, approved, amount, sat, rv) = row
            r.resolve_hours.append(max(0.0, (met - created).total_seconds() / 3600))
            causes.setdefault(cause or "", []).append(number)
            remedies.update(kinds.split())
            if approved and amount is not None:
                r.compensation += Decimal(amount)
                r.compensated += 1
            for line in (
                r.departments.setdefault(names["depts"].get(dept, "") if dept else "", Person()),
                *(
                    [r.people.setdefault(names["staff"].get(who, str(who)), Person())]
                    if who is not None
                    else []
                ),
            ):
                line.resolved += 1
                line.revisited += int(rv > 0)
        r.root_causes = sorted(
            ((c, len(ns), min(ns)) for c, ns in causes.items() if c),
            key=lambda x: (-x[1], x[0]),
        )
        r.remedies = dict(sorted(remedies.items(), key=lambda kv: (-kv[1], kv[0])))
        for number, dept, who, sat, comment in sql.revisits(s, start, end, department):
            r.satisfaction[int(sat)] = r.satisfaction.get(int(sat), 0) + 1
            if int(sat) <= 2:
                r.unsatisfied.append((number, int(sat), comment or ""))
            r.departments.setdefault(
                names["depts"].get(dept, "") if dept else "", Person()
            ).satisfaction.append(int(sat))
            if who is not None:
                r.people.setdefault(
                    names["staff"].get(who, str(who)), Person()
                ).satisfaction.append(int(sat))
        r.unsatisfied.sort()
        events = sql.event_counts(s, start, end, department, ("reopen", "close"))
        r.reopens, r.closed = events.get("reopen", 0), events.get("close", 0)
        for (dept, level), n in sql.escalations(s, start, end, department).items():
            dname = names["depts"].get(dept, "") if dept else ""
            r.escalations.setdefault(dname, {})[level] = n
    return r


def desk_names(desk: Desk) -> dict[str, dict[int, str]]:
    return {
        "depts": {d.id: d.name for d in desk.departments()},
        "staff": desk.staff_names(),
    }


# -- rendering -----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def figures(r: Report) -> dict[str, Any]:
    """Every number of the report, named: what CSV and JSON carry (and Markdown shows)."""
    out: dict[str, Any] = {
        "period": r.period.label,
        "department": r.department,
        "received": r.received,
        "on_time_target": r.on_time_target,
        "resolution_target": r.resolution_target,
        "on_time_rate": r.on_time_all.value,
        "resolution_rate": r.resolution.value,
        "resolved_of_received": [r.resolution.good, r.resolution.total],
        "average_hours_to_resolve": statistics.fmean(r.resolve_hours) if r.resolve_hours else None,
        "median_hours_to_resolve": statistics.median(r.resolve_hours) if r.resolve_hours else None,
        "repeat_rate": r.repeats / r.received if r.received else None,
        "same_issue_again_rate": r.again / r.received if r.received else None,
        "reopen_rate": r.reopens / r.closed if r.closed else None,
        "compensation_total": str(r.compensation),
        "compensated_cases": r.compensated,
    }
    for column, counts in r.by.items():
        out[f"received_by_{column}"] = counts
    out["on_time_by_milestone"] = {k: [v.good, v.total, v.value] for k, v in r.on_time.items()}
    out["resolve_time_distribution"] = dict(r.resolve_buckets())
    out["satisfaction"] = {str(k): r.satisfaction.get(k, 0) for k in range(1, 6)}
    out["unsatisfied_comments"] = [list(u) for u in r.unsatisfied]
    out["root_causes"] = [list(c) for c in r.root_causes]
    out["remedies"] = r.remedies
    out["broken_promises_by_department"] = r.breaches
    out["escalations_by_department"] = {
        d: {str(k): v for k, v in lv.items()} for d, lv in r.escalations.items()
    }
    out["departments"] = {d: _line(p) for d, p in sorted(r.departments.items())}
    out["people"] = {d: _line(p) for d, p in sorted(r.people.items())}
    out["received_per_day"] = r.per_day
    return out


def _line(p: Person) -> dict[str, Any]:
    return {
        "resolved": p.resolved,
        "on_time_rate": p.on_time.value,
        "promises": p.on_time.total,
        "average_satisfaction": p.average_satisfaction,
        "revisit_rate": p.revisit_rate,
    }


def to_json(r: Report) -> str:
    return json.dumps(figures(r), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def to_csv(r: Report) -> str:
    """One row per figure: section, item, value (nested figures flattened)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "item", "value"])
    for name, value in figures(r).items():
        if isinstance(value, dict):
            for item, v in value.items():
                writer.writerow(
                    [
                        name,
                        item,
                        json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v,
                    ]
                )
        elif isinstance(value, list):
            for n, v in enumerate(value):
                writer.writerow([name, n, json.dumps(v, ensure_ascii=False)])
        else:
            writer.writerow([name, "", "" if value is None else value])
    return out.getvalue()


def to_markdown(r: Report) -> str:
    """The report for reading on its own: headings, tables, no colour codes."""
    f = figures(r)
    scope = f" — {r.department}" if r.department else ""
    lines = [f"# Complaint analysis {r.period.label}{scope}", ""]
    on_time, resolution = r.on_time_all.value, r.resolution.value

    def judged(value: float | None, target: float) -> str:
        if value is None:
            return "—"
        return f"{_pct(value)} ({'meets' if value >= target else 'below'} the {target:.0%} target)"

    lines += [
        "| figure | value |",
        "|---|---:|",
        f"| complaints received | {r.received} |",
        f"| promises kept on time | {judged(on_time, r.on_time_target)} |",
        f"| resolution rate | {judged(resolution, r.resolution_target)} |",
        "| average / median time to resolve | "
        f"{_hours(f['average_hours_to_resolve'])} / {_hours(f['median_hours_to_resolve'])} |",
        f"| repeat rate | {_pct(f['repeat_rate'])} |",
        f"| same issue again (二次投诉) | {_pct(f['same_issue_again_rate'])} |",
        f"| reopen rate | {_pct(f['reopen_rate'])} ({r.reopens} reopened, {r.closed} closed) |",
        f"| compensation approved | {r.compensation} over {r.compensated} cases |",
        "",
    ]
    for column, counts in r.by.items():
        lines += _table(
            f"Received by {column.replace('_', ' ')}",
            ("", "cases"),
            [(k or "—", n) for k, n in counts.items()],
        )
    lines += _table(
        "On time per milestone",
        ("milestone", "kept", "decided", "rate"),
        [(k, v.good, v.total, _pct(v.value)) for k, v in r.on_time.items()],
    )
    lines += _table("Time to resolve", ("hours", "cases"), r.resolve_buckets())
    lines += _table(
        "Satisfaction", ("score", "revisits"), [(k, r.satisfaction.get(k, 0)) for k in range(1, 6)]
    )
    said: list[tuple[str, int | str, str]] = [(n, sc, c or "—") for n, sc, c in r.unsatisfied]
    if len(said) > SHOWN_COMMENTS:
        more = len(said) - SHOWN_COMMENTS
        said = [*said[:SHOWN_COMMENTS], ("…", "", f"{more} more in the CSV and JSON")]
    lines += _table("What the unsatisfied said", ("case", "score", "comment"), said)
    lines += _table("Top root causes", ("cause", "cases", "example"), r.root_causes[:10])
    lines += _table("Remedies", ("remedy", "cases"), list(r.remedies.items()))
    lines += _table(
        "Breaches and escalations by department",
        ("department", "broken promises", "warned", "manager", "executive"),
        [
            (
                d or "not dispatched",
                r.breaches.get(d, 0),
                *(r.escalations.get(d, {}).get(lv, 0) for lv in (1, 2, 3)),
            )
            for d in sorted(set(r.breaches) | set(r.escalations))
        ],
    )
    for title, group in (("Per department", r.departments), ("Per person", r.people)):
        lines += _table(
            title,
            ("", "resolved", "on time", "satisfaction", "revisited"),
            [
                (name or "not dispatched", p.resolved, _pct(p.on_time.value),
                 "—" if p.average_satisfaction is None else f"{p.average_satisfaction:.2f}",
                 _pct(p.revisit_rate))
                for name, p in sorted(group.items())
            ],
        )  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _table(title: str, head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    """A Markdown table: numbers right-aligned, text left; every cell one line of plain text
    (customer words with control characters shown, never passed to a terminal as such)."""
    out = [f"## {title}", ""]
    if not rows:
        return [*out, "none", ""]
    numeric = [
        all(isinstance(row[i], int | float | Decimal) for row in rows) for i in range(len(head))
    ]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in rows:
        cells = (one_line(str(c)).replace("|", "\\|") for c in row)
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]

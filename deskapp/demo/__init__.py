"""A realistic demo desk, generated fast enough to double as a load test.

Training, screenshots, snapshot tests and the benchmarks all need a desk that looks lived in:
cases in every state, promises kept, broken and still running, customers who keep calling back,
and an audit trail that verifies. The package draws each case's story (`story`), replays it
through the desk's own rules into rows (`builder`, with words from the data files that
`catalogue` reads), and writes everything in one transaction (`writer`).

What it writes must be indistinguishable from what the use cases write: milestones planned with
the deployment's policy and calendars and moved by `deskapp.milestones`, `next_due_at` equal to
the earliest running promise, numbers `TS-YYYYMMDD-NNNN` by the desk's own day with the day
counters advanced past them, and one event per action hashed by `deskapp.audit`, so
`deskapp audit verify` passes.
"""

from __future__ import annotations

from deskapp.demo.people import DEMO_PASSWORD
from deskapp.demo.writer import DemoStats, default_workers, generate, has_staff

__all__ = ["DEMO_PASSWORD", "DemoStats", "default_workers", "generate", "has_staff"]

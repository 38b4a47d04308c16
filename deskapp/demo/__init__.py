"""A realistic demo desk, generated fast enough to double as a load test.

`make run` opens on the demo desk, so it is the first impression: it must look like a working
day. Most cases closed over the past weeks, a modest open set from the last days, a few promises
at risk or broken, customers who keep calling back, and cases that read true: the cause found
fits the complaint made, the notes and the updates to the customer fit both. Load tests want
the opposite, every case open, which `all_open` gives.

The package draws each case's fate and timeline (`story`), chooses what it says from one story
of the catalogue (`words`, over the data files `catalogue` reads), replays it through the desk's
own rules into rows (`builder`, `rows`), and writes everything in one transaction (`writer`).

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

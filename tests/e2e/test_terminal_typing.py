"""In a real terminal (tmux): a fast typist's keys land in the field they were typed for, and a
complaint full of escape sequences cannot drive the terminal that shows it.

The keys go in one `tmux send-keys` each, 10 ms apart — faster than anyone types, the speed of
a paste without bracketed paste or of an SSH link delivering keys in lumps.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from deskapp.cases import Desk, IntakeForm
from tests.conftest import case_rows
from tests.e2e.conftest import Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

#: tmux names for the keys that are not characters.
NAMED = {"tab": "Tab", "enter": "Enter", "down": "Down", "home": "Home", "end": "End"}


def type_fast(t: Terminal, *parts: str | list[str], interval: float = 0.01) -> int:
    """Strings go in character by character, lists are key names; one key every `interval`
    seconds. Returns how many keys were sent."""
    sent = 0
    for part in parts:
        keys = [(k, False) for k in part] if isinstance(part, str) else [(k, True) for k in part]
        for key, named in keys:
            started = time.monotonic()
            if named:
                command = t.tmux("send-keys", "-t", t.name, NAMED.get(key, key))
            else:
                command = t.tmux("send-keys", "-t", t.name, "-l", key)
            subprocess.run(command, check=True)
            sent += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return sent


def test_every_intake_field_typed_at_10_ms_a_key_is_stored_exactly(
    desk_terminal: Callable[[], Terminal], sqlite_engine: Engine
) -> None:
    t = desk_terminal()
    t.wait_for("Sign in")
    type_fast(t, "agent", ["tab"], "demo", ["enter"])
    t.wait_for("My open")
    TAB, ENTER, DOWN = ["tab"], ["enter"], ["down"]
    # fmt: off
    sent = type_fast(
        t,
        ["F2"],
        "13912345678", TAB,
        "Wang Fang", TAB,
        "Fridge not cooling", TAB,
        "Bought in May.", ENTER, "Stopped cooling on Friday.", TAB,
        "Repair or a new fridge", TAB,
        [*ENTER, "Down", "Down", *ENTER, *TAB],  # channel: phone → email
        "wang.fang@example.com", TAB,
        "2026-11-20 09:30", TAB,
        "Pudong store", TAB,
        "SO-2026-778", TAB,
        "FR-300", TAB,
        "invoice 778", TAB,
        [*ENTER, "Home", *ENTER, *TAB],  # category: quality
        [*ENTER, *DOWN, *ENTER, *TAB],  # claim type: general → compensation
        [*ENTER, "Home", *ENTER, *TAB],  # severity: A
        [*DOWN, "Space", *TAB],  # flags: media
        [*ENTER, "End", *ENTER],  # department: the last, Quality
        ["C-s"],
    )
    # fmt: on
    assert sent > 200
    t.wait_for("Reply promised")  # the read-back
    type_fast(t, ["C-s"])
    shown = t.wait_for("Registered as TS-20261123-0001")
    assert "Traceback" not in shown
    desk = Desk(sqlite_engine)
    c = case_rows(desk, "TS-20261123-0001")[0]
    customer = desk.lookup_customer(desk.actor("agent"), "13912345678")
    assert customer is not None
    assert (customer.name, customer.email) == ("Wang Fang", "wang.fang@example.com")
    assert (c.subject, c.demand) == ("Fridge not cooling", "Repair or a new fridge")
    assert c.description == "Bought in May.\nStopped cooling on Friday."
    assert (c.channel, c.place, c.order_ref, c.product_ref, c.evidence) == (
        "email",
        "Pudong store",
        "SO-2026-778",
        "FR-300",
        "invoice 778",
    )
    assert c.occurred_at is not None and c.occurred_at.strftime("%m-%d %H:%M") == "11-20 01:30"
    assert (c.category, c.claim_type, c.severity) == ("quality", "compensation", "A")
    assert "media" in c.flags.split()
    assert c.primary_dept_id == next(d.id for d in desk.departments() if d.code == "QA")


def test_escape_sequences_in_a_complaint_cannot_drive_the_terminal(
    desk_terminal: Callable[[], Terminal], sqlite_engine: Engine
) -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b]52;c;aGk=\x07 leak"
    desk = Desk(sqlite_engine)
    number = desk.intake(
        desk.actor("agent"),
        IntakeForm(
            phone="13800138000", name=hostile, subject=hostile, description=hostile, demand="x"
        ),
    ).number
    t = desk_terminal()
    title_before = _pane_title(t)
    t.wait_for("Sign in")
    type_fast(t, "agent", ["tab"], "demo", ["enter"], interval=0.03)
    shown = t.wait_for("␛]0;pwned␇")  # the queue shows the subject, its escapes made visible
    assert number in shown
    type_fast(t, ["enter"])
    shown = t.wait_for(f"Case {number}")
    assert "␛[2J" in shown and "leak" in shown
    assert _pane_title(t) == title_before != "pwned"
    assert case_rows(desk, number)[0].subject == hostile  # stored exactly as it came


def _pane_title(t: Terminal) -> str:
    return subprocess.run(
        t.tmux("display-message", "-p", "-t", t.name, "#{pane_title}"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

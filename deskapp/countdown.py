"""What a queue's countdown cell says at one instant (DESIGN.md §4: "time is derived").

Nothing is stored per tick: the cell is a pure function of the row's stored head promise and
the clock. Precision adapts to distance: days and hours far out, hours and minutes closer, and
mm:ss only in the last hour, so a screen full of distant promises changes once a minute and
the terminal stays quiet. A business-hours promise does not tick outside its hours; the cell
then says so instead of pretending time is running out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from deskapp import sla
from deskapp.calendar import BUILTIN_24X7
from store.queue import PAUSED_STATUS


class Tone(StrEnum):
    """How a countdown is coloured; the widget maps each to a theme style."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    AFTER_HOURS = "after_hours"
    NONE = "none"


@dataclass(frozen=True)
class Countdown:
    tone: Tone
    #: Compact text for the cell (at most 9 cells wide).
    text: str
    #: Working seconds left (negative: real seconds overdue); None when nothing is running.
    remaining: float | None
    #: For after-hours and paused cells: when the clock starts again (None if unknown).
    resumes_at: datetime | None = None


#: Units per language: day, hour, minute.
_UNITS = {"zh": ("天", "时", "分"), "en": ("d", "h", "m")}
HOUR = 3600
DAY = 86400


def span(seconds: float, lang: str) -> str:
    """A duration in the adaptive precision: `2d 04h`, `3h 07m`, `47:09`."""
    d, h, m = _UNITS.get(lang, _UNITS["en"])
    whole = int(seconds)
    if whole >= DAY:
        days, rest = divmod(whole, DAY)
        return (
            f"{days}{d}{rest // HOUR:02d}{h}"
            if lang == "zh"
            else f"{days}{d} {rest // HOUR:02d}{h}"
        )
    if whole >= HOUR:
        hours, rest = divmod(whole, HOUR)
        return (
            f"{hours}{h}{rest // 60:02d}{m}" if lang == "zh" else f"{hours}{h} {rest // 60:02d}{m}"
        )
    minutes, secs = divmod(whole, 60)
    return f"{minutes:02d}:{secs:02d}"


def head_state(status: str, due: datetime | None, warn: datetime | None, now: datetime) -> str:
    """The head promise's state at `now` — on_track, at_risk, breached or paused — judged
    exactly like the store's state filter (`store.queue`), from the same stored columns."""
    if status == PAUSED_STATUS:
        return "paused"
    if due is not None and due <= now:
        return "breached"
    if warn is not None and warn <= now:
        return "at_risk"
    return "on_track"


def countdown(
    *,
    due_at: datetime | None,
    warn_at: datetime | None,
    calendar: str,
    status: str,
    now: datetime,
    calendars: sla.CalendarSet,
    lang: str,
    paused_word: str,
) -> Countdown:
    """The cell for one row. Remaining time is working time in the promise's calendar, rounded
    down (a promise never looks further away than it is); overdue time is real time."""
    if due_at is None:
        return Countdown(Tone.NONE, "—", None)
    now = now.astimezone(UTC)
    state = head_state(status, due_at, warn_at, now)
    if state == "paused":
        return Countdown(Tone.PAUSED, paused_word, None)
    if state == "breached":
        overdue = (now - due_at).total_seconds()
        return Countdown(Tone.BREACHED, "-" + span(overdue, lang), -overdue)
    if not calendar or calendar == BUILTIN_24X7:
        remaining = (due_at - now).total_seconds()
        resumes = None
    else:
        cal = calendars.get(calendar)
        remaining = cal.elapsed_us(now, due_at) / 1_000_000
        resumes = None if cal.is_working(now) else cal.next_working(now)
    text = span(remaining, lang)
    if calendar and calendars.get(calendar).is_provisional(due_at):
        text = "~" + text  # worked out from the weekly hours: the year's holidays are unknown
    if resumes is not None:
        return Countdown(Tone.AFTER_HOURS, text + "⏸", remaining, resumes)
    tone = Tone.AT_RISK if state == "at_risk" else Tone.ON_TRACK
    return Countdown(tone, text, remaining)

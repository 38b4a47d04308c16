"""Times said to a customer, and countdowns shown to an agent, in plain words.

A promised reply time is read out on the phone and written into messages, so it has to be
unambiguous on its own: 24-hour clock times, "today"/"tomorrow" only for the next two calendar
days in the desk's time zone, and a full date with its weekday beyond that. Times are cut down to
the minute, never rounded up: a promise of "by 15:30" for an internal due time of 15:30:40 is
kept early rather than broken by forty seconds. All words come from the message catalog.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from deskapp.i18n import Catalog, default_catalog

__all__ = ["duration_words", "promise_words"]

#: Up to this far ahead a promise is said as "within N minutes" rather than a clock time.
MINUTES_HORIZON = 60


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment!r}")
    return moment


def promise_words(
    due: datetime, now: datetime, tz: ZoneInfo, lang: str, catalog: Catalog | None = None
) -> str:
    """When the customer will hear from us: "今天 15:30 前" / "by 15:30 today" and so on.

    Within the hour it is a number of minutes (rounded up: the promise is "within", and 29m10s
    is not "within 29 minutes"); a due time already passed is "right away".
    """
    cat = catalog or default_catalog()
    due, now = _aware(due, "due"), _aware(now, "now")
    remaining = (due - now).total_seconds()
    if remaining <= 0:
        return cat.text("wording.immediately", lang)
    if remaining <= MINUTES_HORIZON * 60:
        minutes = math.ceil(remaining / 60)
        if minutes == 1:
            return cat.text("wording.within_one_minute", lang)
        return cat.text("wording.within_minutes", lang, minutes=minutes)
    local_due, local_now = due.astimezone(tz), now.astimezone(tz)
    time_text = f"{local_due.hour:02d}:{local_due.minute:02d}"
    days = (local_due.date() - local_now.date()).days
    if days == 0:
        return cat.text("wording.today", lang, time=time_text)
    if days == 1:
        return cat.text("wording.tomorrow", lang, time=time_text)
    values = {
        "year": local_due.year,
        "month": cat.text(f"wording.month.{local_due.month}", lang),
        "day": local_due.day,
        "weekday": cat.text(f"wording.weekday.{local_due.weekday()}", lang),
    }
    if local_due.year == local_now.year:
        del values["year"]
        date_text = cat.text("wording.date", lang, **values)
    else:
        date_text = cat.text("wording.date_with_year", lang, **values)
    return cat.text("wording.on_date", lang, date=date_text, time=time_text)


def duration_words(seconds: float, lang: str, catalog: Catalog | None = None) -> str:
    """A length of time at the precision a person needs: "2 小时 5 分" / "2 h 5 min".

    Two units at most (days and hours, hours and minutes, or seconds alone under a minute), cut
    down rather than rounded so a countdown never shows more time than is left. The sign is the
    caller's to say ("overdue by …"): a negative duration is worded by its size.
    """
    cat = catalog or default_catalog()
    total = int(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts: list[tuple[str, int]]
    if days:
        parts = [("days", days), ("hours", hours)]
    elif hours:
        parts = [("hours", hours), ("minutes", minutes)]
    elif minutes:
        parts = [("minutes", minutes)]
    else:
        parts = [("seconds", secs)]
    shown = [parts[0]] + [(unit, n) for unit, n in parts[1:] if n]
    return " ".join(cat.text(f"wording.{unit}", lang, n=n) for unit, n in shown)

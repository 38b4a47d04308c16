"""Dates as exports write them, one format per file.

`9/10/19` is the 10th of September in an American export and the 9th of October in a British
one; nothing in the value says which. So the format is decided for the whole file from all its
date values: the format that reads the most of them wins; when two formats read equally many
(every day in the file is 12 or less), the file is refused and the person running the import
names the format with `--date-format`. A value the chosen format cannot read is a bad row.

Every format may carry a time after the date (`2019-09-24 14:30`, `…T14:30:05`). A date with
no time is the start of that day in the desk's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

_TIME = r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"


@dataclass(frozen=True)
class DateFormat:
    name: str
    pattern: re.Pattern[str]

    def parse(self, value: str, *, century_pivot: int) -> datetime | None:
        """The naive date and time of `value`, or None when it is not in this format."""
        m = self.pattern.fullmatch(value.strip())
        if m is None:
            return None
        year = int(m["y"])
        if len(m["y"]) == 2:
            year += 2000 if year <= century_pivot else 1900
        try:
            day = date(year, int(m["m"]), int(m["d"]))
            at = time(int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
        except ValueError:
            return None
        return datetime.combine(day, at)


def _format(name: str, date_pattern: str) -> DateFormat:
    return DateFormat(name, re.compile(date_pattern + _TIME))


#: The formats a file may use, by the name `--date-format` takes.
FORMATS: dict[str, DateFormat] = {
    f.name: f
    for f in (
        _format("YYYY-MM-DD", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
        _format("YYYY/MM/DD", r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
        _format("M/D/YY", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2})"),
        _format("M/D/YYYY", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"),
        _format("D/M/YY", r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{2})"),
        _format("D/M/YYYY", r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),
        _format("DD-MM-YYYY", r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})"),
        _format("MM-DD-YYYY", r"(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d{4})"),
        _format("DD.MM.YYYY", r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    )
}


class AmbiguousDates(ValueError):
    """Two or more formats read the file's dates equally well."""

    def __init__(self, formats: list[str], sample: list[str]) -> None:
        self.formats = formats
        self.sample = sample
        super().__init__(
            f"the dates could be {' or '.join(formats)} (e.g. {', '.join(sample)}); "
            f"give --date-format {formats[0]} (or another)"
        )


class NoDateFormat(ValueError):
    """No known format reads any of the file's dates."""


def detect(values: Iterable[str], *, century_pivot: int) -> DateFormat | None:
    """The one format that reads the most of these values; None when there are no values.
    Raises `AmbiguousDates` on a tie and `NoDateFormat` when none reads any."""
    seen = [v.strip() for v in values if v.strip()]
    if not seen:
        return None
    scores = {
        name: sum(1 for v in seen if f.parse(v, century_pivot=century_pivot) is not None)
        for name, f in FORMATS.items()
    }
    best = max(scores.values())
    if best == 0:
        raise NoDateFormat(
            f"no known date format reads values such as {', '.join(seen[:3])}; "
            f"known: {', '.join(FORMATS)}"
        )
    winners = [name for name, score in scores.items() if score == best]
    if len(winners) > 1:
        raise AmbiguousDates(winners, seen[:3])
    return FORMATS[winners[0]]


def to_instant(naive: datetime, zone: tzinfo) -> datetime:
    """A date and time read from the file, in the desk's zone."""
    return naive.replace(tzinfo=zone)

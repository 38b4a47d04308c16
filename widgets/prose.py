"""Paragraphs wrapped the way Chinese (and English) is set: never inside a number, a case
number, a phone number or a time, never with closing punctuation at the start of a line.

Rich and Textual wrap at white space and fold a longer "word" by cells. Chinese has no spaces,
so a whole sentence is one word and was folded anywhere: "编号TS-20261123-0 / 001", or a line
starting with "。". `Prose` breaks where Chinese typesetting allows instead (a pragmatic subset
of Unicode's line-breaking rules, UAX #14, tailored for the desk):

- between two CJK characters, and at white space;
- never inside a run of letters and digits, including the joiners inside it ("-", ":", ".",
  "/", "@", …), so "TS-20261123-0001", "138-0013-8000", "14:30" and e-mail addresses stay
  whole; digit groups separated by single spaces ("138 0013 8000") stay together too;
- never before closing punctuation (。，、；：！？）」』】》” …) or after opening punctuation
  (（「『【《“ …);
- a number stays with its unit of measure ("60分钟", "3个工作日", "11月"), or else with the
  CJK character that follows it.

A unit wider than the line is folded by cells, as before. The library made for this, uniseg,
was measured at about 77 µs a character (1.3 s for a 17,000-character description, on the
event loop): this tokenizer is one regular expression and a linear pass.

Text from outside the desk is made `visible` (deskapp.display) before it is wrapped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import StyleType
from rich.text import Text

from deskapp.display import one_line, visible

_OPENING = "([{（［｛「『【〔〖《〈“‘"
_CLOSING = (
    ")]}）］｝」』】〕〗》〉”’。，、；：！？!?,.;:%％…‥·・"  # closing brackets and punctuation
    "ー々〃ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"  # marks that never start a line
)
_WORD = r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]"
#: Units of measure that stay with the number before them ("60分钟", "3个工作日", "5元").
_MEASURE = "个工作日|工作日|分钟|小时|个月|毫秒|天|日|月|年|时|点|分|秒|元|件|个|次|周|号|台|%"
_ATOM = re.compile(
    r"[^\S\n]+"  # blanks: a break may follow them
    rf"|{_WORD}(?:{_WORD}|['’]|[-:./_+@#%&=~](?={_WORD}))*"  # a word or number, joiners inside
    rf"(?:(?<=\d)(?:{_MEASURE}))?"  # …and a number's unit of measure
    r"|.",  # anything else is a unit of its own (a CJK character, a symbol)
    re.DOTALL,
)
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def _joins_previous(atom: str, previous: str) -> bool:
    """`atom` may not start a line after `previous`."""
    first = atom[0]
    if first in _CLOSING or _is_mark(first) or previous.endswith("\u200d"):
        return True
    if previous[-1] in _OPENING:
        return True
    if previous[-1].isdigit() and _CJK.match(first):
        return True  # 60分钟, 11月
    if atom[0].isdigit() and re.search(r"\d [^\S\n]*\Z", previous) and atom.isdigit():
        return True  # 138 0013 8000
    return atom.isspace()


def _is_mark(ch: str) -> bool:
    """Combining marks, variation selectors and joiners belong to the character before."""
    return ch in "\u200d\ufe0f\ufe0e" or unicodedata.category(ch).startswith("M")


def break_units(text: str) -> list[str]:
    """`text` cut where a line may break: each unit ends at a break opportunity."""
    units: list[str] = []
    for match in _ATOM.finditer(text):
        atom = match.group()
        if units and _joins_previous(atom, units[-1]):
            units[-1] += atom
        else:
            units.append(atom)
    return units


def wrap_offsets(text: str, width: int) -> list[int]:
    """Character offsets at which to break `text` (one paragraph) to fit `width` cells."""
    width = max(1, width)
    offsets: list[int] = []
    used = position = 0
    for unit in break_units(text):
        size = cell_len(unit.rstrip())
        if used and used + size > width:
            offsets.append(position)
            used = 0
        if size > width:  # longer than any line: fold it by cells
            start = position
            for ch in unit:
                w = cell_len(ch)
                if used and used + w > width:
                    offsets.append(start)
                    used = 0
                used += w
                start += 1
        else:
            used += cell_len(unit)
        position += len(unit)
    return offsets


class Prose:
    """A Rich renderable: `text` (a string from anywhere, or a styled `Text` already made
    safe) wrapped by `wrap_offsets`, each line's trailing blanks dropped."""

    def __init__(self, text: str | Text, style: StyleType = "") -> None:
        self.text = Text(visible(text), style=style) if isinstance(text, str) else text

    def _lines(self, width: int) -> Iterable[Text]:
        for paragraph in self.text.split("\n", allow_blank=True):
            for line in paragraph.divide(wrap_offsets(paragraph.plain, width)):
                line.rstrip()
                yield line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self._lines(options.max_width):
            yield from line.render(console)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        longest = max((cell_len(p) for p in plain.split("\n")), default=0)
        widest_unit = max((cell_len(u.rstrip()) for u in break_units(plain)), default=0)
        low = min(widest_unit, 20, longest)
        return Measurement(low, longest).clamp(max_width=options.max_width)


def safe_text(text: str, style: StyleType = "", **kwargs: object) -> Text:
    """A `Text` of outside text, made visible (its line breaks kept), never parsed as markup."""
    return Text(visible(text), style=style, **kwargs)  # type: ignore[arg-type]


def safe_line(text: str, style: StyleType = "", **kwargs: object) -> Text:
    """The same on one row: each line break becomes a space."""
    return Text(one_line(text), style=style, **kwargs)  # type: ignore[arg-type]

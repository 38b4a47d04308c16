"""Reading an export file into records, as real exports come: comma or tab separated, CRLF or
LF, with or without a byte-order mark, multi-line quoted fields, UTF-8 or GBK/GB18030.

A file is decoded once, whole, with undecodable bytes kept as lone surrogates
(`surrogateescape`), so one bad byte spoils only the record it sits in: that record is
reported with its line number and the rest still import. Each record carries the physical line
it starts on, which is what a person looks for in an editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer

#: The encodings `--encoding` accepts besides `auto`.
ENCODINGS = ("utf-8", "gb18030")
#: The csv module's own limit is 128 KiB a field; a real narrative can be larger, and a field
#: over our own limit must become a reported bad row, not a parser error that stops the file.
CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
#: The share of lines that may fail to decode as UTF-8 in a file still read as UTF-8 (a few
#: damaged rows); beyond it the file is in another encoding.
UTF8_DAMAGE = 0.05
UTF8_DAMAGED_LINES = 3
#: Separators a file may use; the header line decides.
DELIMITERS = (",", "\t", ";", "|")
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "big5"}


class ReadError(ValueError):
    """The file as a whole cannot be read (no header, unknown encoding…)."""


@dataclass(frozen=True)
class Record:
    """One record of the file: the physical line it starts on and its fields as read."""

    line: int
    fields: list[str]


@dataclass(frozen=True)
class Source:
    """A decoded export: what it was read as, its header and its records."""

    path: Path
    encoding: str
    delimiter: str
    bom: bool
    header: list[str]
    text: str

    def records(self) -> Iterator[Record]:
        """The records after the header, blank lines skipped, each with its first line."""
        reader = _reader(self.text, self.delimiter)
        next(reader, None)  # the header, however many lines its quoted names take
        consumed = reader.line_num
        for fields in reader:
            start = consumed + 1
            consumed = reader.line_num
            if not fields or fields == [""]:
                continue
            yield Record(start, fields)


def _reader(text: str, delimiter: str) -> Any:  # csv's reader type is private
    # newline="" keeps "\r\n" inside quoted fields as typed and splits lines only at
    # \n, \r\n and \r (str.splitlines would also split at \x1c, \u2028 …).
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)


def _allow_large_fields() -> None:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


def detect_encoding(data: bytes) -> str:
    """UTF-8 when the file is UTF-8 but for a few damaged lines (they become bad rows); then
    GB18030 when the whole file is valid in it (a superset of GB2312 and GBK, so a GBK file
    never fails on a rarer character); otherwise what charset-normalizer finds."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.splitlines()
    bad = 0
    for n, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            if n == 0:  # the header is not UTF-8: the file is in another encoding
                bad = len(lines)
                break
            bad += 1
    if bad <= max(UTF8_DAMAGED_LINES, UTF8_DAMAGE * len(lines)):
        return "utf-8"
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ReadError("cannot tell the file's encoding; give --encoding utf-8 or gb18030")
    name = codecs.lookup(best.encoding).name
    return "gb18030" if name in _GB_FAMILY or name.startswith("gb") else name


def sniff_delimiter(header_line: str) -> str:
    """The separator that splits the header line into the most columns (quotes respected)."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        count = len(next(_reader(header_line, delimiter), []))
        if count > most:
            best, most = delimiter, count
    return best


def read_source(path: Path, encoding: str = "auto") -> Source:
    """Decode `path` (encoding `auto` detects it) and find its separator and header."""
    _allow_large_fields()
    data = path.read_bytes()
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8" if encoding == "auto" else encoding
    if encoding == "auto":
        encoding = detect_encoding(data)
    try:
        text = data.decode(encoding, errors="surrogateescape")
    except LookupError:
        raise ReadError(f"unknown encoding {encoding!r}") from None
    first = next(iter(io.StringIO(text, newline="")), "")
    if not first.strip():
        raise ReadError("the file is empty or its first line is blank (a header is needed)")
    delimiter = sniff_delimiter(first)
    reader = _reader(text, delimiter)
    header: list[str] = next(reader, [])
    if has_bad_bytes(header):
        raise ReadError(f"the header is not valid {encoding}; give --encoding")
    return Source(path, encoding, delimiter, bom, [h.strip() for h in header], text)


#: An undecodable byte, as `surrogateescape` keeps it.
_BAD_BYTE = re.compile("[\udc80-\udcff]")


def has_bad_bytes(fields: list[str]) -> bool:
    """Bytes the encoding could not decode sit in the text as lone surrogates."""
    return first_bad_byte(fields) is not None


def first_bad_byte(fields: list[str]) -> tuple[int, int] | None:
    """(field index, byte value) of the first undecodable byte in a record, if any."""
    for i, f in enumerate(fields):
        found = _BAD_BYTE.search(f)
        if found is not None:
            return i, ord(found.group()) - 0xDC00
    return None

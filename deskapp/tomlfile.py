"""Reading the desk's TOML files (calendars, SLA policy, messages, scripts, triage rules).

Every loader wants the same thing: the file's text (for line numbers in later errors) and its
data, or one error of the loader's own type that names the file and says what went wrong.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: type[Exception], what: str) -> tuple[str, dict[str, Any]]:
    """`(text, data)` of a TOML file; an unreadable or malformed file raises `error`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None

"""The desk's log file: what failed, with its traceback, for whoever looks after the desk.

The screen says in one line what went wrong; the log keeps the whole story, in the user's
state directory (`~/.local/state/deskapp/deskapp.log` on Linux), rotated at 1 MB with three old
files kept. Until `to_file` is called (the `deskapp run` command does) nothing is written
anywhere: a stray warning on standard error would tear a full-screen terminal application.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

log = logging.getLogger("deskapp")
log.addHandler(logging.NullHandler())
log.propagate = False


def default_path() -> Path:
    return platformdirs.user_state_path("deskapp", appauthor=False) / "deskapp.log"


def to_file(path: Path | None = None) -> Path:
    """Send the desk's log to `path` (made if missing); returns where it goes."""
    path = path or default_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for handler in list(log.handlers):
        if isinstance(handler, RotatingFileHandler):
            log.removeHandler(handler)
            handler.close()
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path

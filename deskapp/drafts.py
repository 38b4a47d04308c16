"""Drafts that survive anything: a crash, `kill -9`, a dropped SSH connection, a dead database.

A draft is a small JSON file per desk, person and form in the user data directory, replaced
atomically (write a temporary file, fsync, rename), so a kill at any instant leaves either the
old draft or the new one, never half of one. It lives outside the database on purpose: the
moment the database is unreachable is exactly when the typed text must not be lost. Drafts
are filed under the database's own id (`desk_info`), so a draft typed on one desk is never
offered on another.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from deskapp import clock

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def default_root() -> Path:
    return platformdirs.user_data_path("deskapp", appauthor=False) / "drafts"


@dataclass(frozen=True)
class Draft:
    kind: str
    values: dict[str, Any]
    saved_at: datetime


class DraftStore:
    def __init__(self, root: Path | None = None, desk_id: str = "") -> None:
        self.root = root or default_root()
        self.desk_id = desk_id

    def for_desk(self, desk_id: str) -> DraftStore:
        """The drafts of one database (the same store when it is already that desk's)."""
        return self if desk_id == self.desk_id else DraftStore(self.root, desk_id)

    def _path(self, login: str, kind: str) -> Path:
        desk = self.root / _SAFE.sub("_", self.desk_id) if self.desk_id else self.root
        return desk / _SAFE.sub("_", login) / f"{_SAFE.sub('_', kind)}.json"

    def save(self, login: str, kind: str, values: dict[str, Any]) -> Path:
        path = self._path(login, kind)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.parent.chmod(0o700)
        body = json.dumps(
            {"kind": kind, "saved_at": clock.now().isoformat(), "values": values},
            ensure_ascii=False,
            default=str,
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def load(self, login: str, kind: str) -> Draft | None:
        """The saved draft, or None; an unreadable file is kept aside, not deleted."""
        path = self._path(login, kind)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Draft(
                data["kind"], dict(data["values"]), datetime.fromisoformat(data["saved_at"])
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            path.replace(path.with_suffix(".corrupt"))
            return None

    def discard(self, login: str, kind: str) -> None:
        self._path(login, kind).unlink(missing_ok=True)

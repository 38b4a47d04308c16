"""Anchors: the audit chain's head, signed with a key the database never sees.

The hash chain alone proves that the log is self-consistent, not that it is the log that was
written: anyone who can write to the database can change an event and recompute every hash
after it. An anchor closes that gap. `deskapp audit anchor` writes the current head (last event
id and hash) with an HMAC-SHA256 over it, keyed by a secret kept in a file outside the database
(`audit_key_file` in the config); the admin keeps the anchors elsewhere (another host, paper, a
ticket). `deskapp audit verify --anchor FILE` then proves that the log still holds that event
with that hash on an intact chain, so it extends the anchored head: a recomputed chain changes
the anchored event's hash and is found.

HMAC rather than a public-key signature: the verifier is the same organisation that anchors,
and the standard library has it. Whoever holds the key can forge anchors; keep it readable only
by the admin account (the file is created 0600). Rotating: make a new key (`audit keygen
--key NEW`), anchor with it from then on, and keep the old key to check the old anchors
(`verify --anchor OLD.json --key OLD.key`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from deskapp import audit
from deskapp.errors import DeskError
from store.models import AuditHead, CaseEvent

#: The anchor file's format; a change to what is signed gets a new number.
VERSION = 1


class AnchorError(DeskError):
    """The key or the anchor file cannot be used (missing, malformed, wrong key)."""


def new_key(path: Path) -> None:
    """A fresh 256-bit key, readable only by its owner. Never overwrites one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AnchorError(f"{path} exists; a new key goes to a new file (--key)") from None
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")


def load_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise AnchorError(f"no audit key at {path}; make one with `deskapp audit keygen`") from None
    except (OSError, ValueError) as exc:
        raise AnchorError(f"{path} is not an audit key: {exc}") from None
    if len(key) < 32:
        raise AnchorError(f"{path} holds a key of {len(key)} bytes; 32 are needed")
    return key


def _signed_text(event_id: int, event_hash: str, at: str) -> bytes:
    return json.dumps(
        {"version": VERSION, "event_id": event_id, "hash": event_hash, "at": at},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """Names the key an anchor was made with (not secret: a hash of a hash of the key)."""
    return hashlib.sha256(hashlib.sha256(key).digest()).hexdigest()[:16]


def make_anchor(session: Session, key: bytes, now: datetime) -> dict[str, Any]:
    """The head as it is now, signed. An empty log is anchored too (event 0)."""
    head = session.get(AuditHead, 1)
    event_id = head.last_event_id if head is not None else 0
    event_hash = head.last_hash if head is not None and event_id else audit.GENESIS
    at = audit.instant_text(now)
    body = _signed_text(event_id, event_hash, at)
    return {
        "version": VERSION,
        "event_id": event_id,
        "hash": event_hash,
        "at": at,
        "key_id": key_id(key),
        "hmac": _mac(key, body),
    }


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    reason: str = ""


def check_anchor(session: Session, anchor: dict[str, Any], key: bytes) -> AnchorCheck:
    """Does the log still extend the anchored head? The chain itself is checked by
    `audit.verify`; here: the anchor is genuine, and its event is in the log with its hash."""
    try:
        event_id = int(anchor["event_id"])
        event_hash = str(anchor["hash"])
        at = str(anchor["at"])
        given = str(anchor["hmac"])
        if int(anchor["version"]) != VERSION:
            return AnchorCheck(False, f"anchor format {anchor['version']} is not known here")
    except (KeyError, TypeError, ValueError):
        return AnchorCheck(False, "the anchor file is not an anchor")
    if not hmac.compare_digest(_mac(key, _signed_text(event_id, event_hash, at)), given):
        return AnchorCheck(False, "the anchor's signature does not match this key")
    if event_id == 0:
        return AnchorCheck(True)
    event = session.get(CaseEvent, event_id)
    if event is None:
        return AnchorCheck(False, f"event {event_id}, anchored at {at}, is gone from the log")
    if event.hash != event_hash:
        return AnchorCheck(
            False,
            f"event {event_id} no longer has the hash anchored at {at}: the chain was rewritten",
        )
    return AnchorCheck(True)

"""Files uploaded from the browser, for a desk served by `deskapp serve`.

A desk in a browser runs on the server: a path in the attach dialog names a file on the
server, not on the person's computer. So `deskapp serve` adds an upload page beside the
terminal page, and each desk session it starts gets an inbox of its own: a folder named by a
random token under the server's upload root, which the desk makes when its attach dialog first
asks for it and removes when it exits. The dialog shows the page's address (xterm.js makes it a
link) and lists what arrived; nothing is attached until the signed-in person picks a file there,
so the page only ever fills one session's inbox.

The server checks what it can before keeping an upload (the type by its name, the size as it
streams in, never more than `evidence.max_bytes` on disk); the attach use case checks again.
The token is the only key to an inbox: the page belongs behind the same authenticating proxy as
the desk itself (docs/browser.md).
"""

from __future__ import annotations

import atexit
import contextlib
import html
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from deskapp.config import EvidenceSettings
from deskapp.errors import InvalidInput
from deskapp.evidence import check_name, human_size

if TYPE_CHECKING:
    from aiohttp import web

#: Set by `deskapp serve` for the desks it starts: where inboxes go, and the page's address.
ROOT_ENV = "DESKAPP_UPLOAD_ROOT"
URL_ENV = "DESKAPP_UPLOAD_URL"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
#: Uploads being received are named so; the dialog never lists them.
PARTIAL = ".part-"


@dataclass(frozen=True)
class InboxFile:
    name: str
    size: int
    path: Path


@dataclass(frozen=True)
class Inbox:
    """One desk session's uploads: its folder and the page that fills it."""

    path: Path
    url: str

    def files(self) -> list[InboxFile]:
        """What has arrived, newest first (uploads still streaming in are left out)."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.path):
                if entry.is_file() and not entry.name.startswith(PARTIAL):
                    info = entry.stat()
                    found.append(
                        (info.st_mtime_ns, InboxFile(entry.name, info.st_size, Path(entry)))
                    )
        return [f for _, f in sorted(found, key=lambda pair: pair[0], reverse=True)]

    def holds(self, path: Path) -> bool:
        return path.parent == self.path


@lru_cache(maxsize=1)
def session_inbox() -> Inbox | None:
    """This desk's inbox, made on first use; None when the desk is not served to a browser."""
    root, base = os.environ.get(ROOT_ENV), os.environ.get(URL_ENV)
    if not root or not base:
        return None
    token = secrets.token_urlsafe(24)
    path = Path(root) / token
    path.mkdir(mode=0o700)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return Inbox(path, f"{base.rstrip('/')}/upload/{token}")


def make_root() -> Path:
    """The server's upload root (0700), removed when the server exits."""
    root = Path(tempfile.mkdtemp(prefix="deskapp-uploads-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


# -- the server side --------------------------------------------------------------------------


def inbox_of(root: Path, token: str) -> Path | None:
    """The inbox a token names, if a desk made it (a guessed token finds nothing)."""
    if not TOKEN.match(token):
        return None
    path = root / token
    return path if path.is_dir() else None


def free_name(inbox: Path, name: str) -> Path:
    """`name` in the inbox, or `name (2)`, `name (3)` … beside one already there."""
    target = inbox / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists():
        target = inbox / f"{stem} ({n}){suffix}"
        n += 1
    return target


def _both(key: str, **values: object) -> str:
    """The page is read before anyone signs in to anything: it says everything in both."""
    from deskapp.i18n import text

    return " · ".join(text(f"upload.{key}", lang, **values) for lang in ("zh", "en"))


def _refusal(why: str) -> str:
    from deskapp.i18n import localise_problem

    return " · ".join(localise_problem("path", why, lang) for lang in ("zh", "en"))


def routes(root: Path, settings: EvidenceSettings) -> list[web.RouteDef]:
    """GET /upload/{token} (the form and what arrived) and POST (the files)."""
    from aiohttp import BodyPartReader, web

    from deskapp.cases.evidence import upload_name

    def page(inbox: Path, said: str = "", status: int = 200) -> web.Response:
        files = "".join(
            f"<li>{html.escape(f.name)} ({human_size(f.size)})</li>"
            for f in Inbox(inbox, "").files()
        )
        body = _PAGE.format(
            title=html.escape(_both("title")),
            intro=html.escape(_both("intro")),
            send=html.escape(_both("send")),
            limit=html.escape(_both("limit", limit=human_size(settings.max_bytes))),
            said=f"<p class=said>{html.escape(said)}</p>" if said else "",
            files=f"<ul>{files}</ul>" if files else "",
        )
        return web.Response(text=body, content_type="text/html", status=status)

    async def show(request: web.Request) -> web.Response:
        inbox = inbox_of(root, request.match_info["token"])
        if inbox is None:
            raise web.HTTPNotFound(text=_both("gone"))
        return page(inbox)

    async def receive(request: web.Request) -> web.Response:
        inbox = inbox_of(root, request.match_info["token"])
        if inbox is None:
            raise web.HTTPNotFound(text=_both("gone"))
        received: list[str] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.filename:
                continue
            name = upload_name(part.filename)
            try:
                check_name(name, settings)
                await _stream(part, inbox, name, settings.max_bytes)
            except InvalidInput as exc:
                why = next(iter(exc.problems.values()))
                too_big = why.startswith("larger than")
                return page(inbox, f"{name}: {_refusal(why)}", status=413 if too_big else 415)
            received.append(name)
        said = _both("received", names=", ".join(received)) if received else ""
        return page(inbox, said)

    return [web.get("/upload/{token}", show), web.post("/upload/{token}", receive)]


async def _stream(part: object, inbox: Path, name: str, limit: int) -> None:
    """Write one uploaded file under a partial name, then give it its own; refused (and
    removed) as soon as it passes the limit."""
    from aiohttp import BodyPartReader

    assert isinstance(part, BodyPartReader)
    handle, temp_name = tempfile.mkstemp(prefix=PARTIAL, dir=inbox)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await part.read_chunk(256 * 1024):
                size += len(chunk)
                if size > limit:
                    over = f"{human_size(limit)} ({human_size(size)}+)"
                    raise InvalidInput({"path": f"larger than the limit of {over}"})
                out.write(chunk)
        if size == 0:
            raise InvalidInput({"path": "the file is empty"})
        os.replace(temp_name, free_name(inbox, name))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
.said{{font-weight:bold}}</style></head>
<body><h1>{title}</h1><p>{intro}</p><p>{limit}</p>{said}
<form method="post" enctype="multipart/form-data">
<input type="file" name="file" multiple required> <button type="submit">{send}</button>
</form>{files}</body></html>
"""

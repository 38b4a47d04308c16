"""The browser's upload page (issue 15): `deskapp serve`'s own server (textual-serve with two
more routes) takes files into the inbox a desk session made, refuses a type not taken, a file
over the limit (streamed, never kept whole) and a token no session made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from deskapp import uploads
from deskapp.cli.serve import desk_server
from deskapp.config import load_settings


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKAPP_EVIDENCE__MAX_BYTES", "5000")
    load_settings.cache_clear()
    where = tmp_path / "uploads"
    where.mkdir()
    monkeypatch.setenv(uploads.ROOT_ENV, str(where))
    monkeypatch.setenv(uploads.URL_ENV, "http://desk.example:8000/")
    uploads.session_inbox.cache_clear()
    return where


@pytest.fixture
async def client(
    root: Path,
) -> AsyncIterator[TestClient[aiohttp.web.Request, aiohttp.web.Application]]:
    server = desk_server("true", upload_root=root, host="127.0.0.1", port=0)
    app = await server._make_app()  # what server.serve() runs, with the upload routes
    async with TestClient(TestServer(app)) as made:
        yield made
    uploads.session_inbox.cache_clear()


def form(*files: tuple[str, bytes]) -> aiohttp.FormData:
    data = aiohttp.FormData(quote_fields=False)  # as browsers send names: UTF-8, unquoted
    for name, content in files:
        data.add_field("file", content, filename=name, content_type="application/octet-stream")
    return data


async def test_files_arrive_in_the_sessions_inbox(
    client: TestClient[aiohttp.web.Request, aiohttp.web.Application], root: Path
) -> None:
    inbox = uploads.session_inbox()
    assert inbox is not None and inbox.path.parent == root
    assert inbox.url.startswith("http://desk.example:8000/upload/")
    path = "/upload/" + inbox.path.name
    page = await client.get(path)
    assert page.status == 200
    shown = await page.text()
    assert "上传证据文件 · Upload evidence files" in shown and "5 KB" in shown
    sent = await client.post(path, data=form(("照片.jpg", b"jpeg" * 100), ("C:\\a\\b.pdf", b"%P")))
    assert sent.status == 200
    assert "已收到：照片.jpg, b.pdf" in await sent.text()
    again = await client.post(path, data=form(("照片.jpg", b"other")))
    assert again.status == 200
    assert {f.name: f.size for f in inbox.files()} == {
        "照片.jpg": 400,
        "b.pdf": 2,
        "照片 (2).jpg": 5,
    }
    assert "照片 (2).jpg" in await (await client.get(path)).text()


async def test_what_the_page_refuses(
    client: TestClient[aiohttp.web.Request, aiohttp.web.Application], root: Path
) -> None:
    inbox = uploads.session_inbox()
    assert inbox is not None
    path = "/upload/" + inbox.path.name
    big = await client.post(path, data=form(("big.mp4", b"x" * 5001)))
    assert big.status == 413
    assert "Larger than the limit of 5 KB" in await big.text()
    tool = await client.post(path, data=form(("tool.exe", b"MZ")))
    assert tool.status == 415 and "不接受 .exe" in await tool.text()
    assert inbox.files() == [] and list(inbox.path.iterdir()) == []
    for guess in ("/upload/" + "a" * 32, "/upload/..%2F..%2Fetc", "/upload/short"):
        assert (await client.get(guess)).status == 404
        assert (await client.post(guess, data=form(("a.jpg", b"j")))).status == 404

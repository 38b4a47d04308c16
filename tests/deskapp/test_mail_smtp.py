"""Letters through a real SMTP server (issue 15): aiosmtpd on localhost, started by the test,
with STARTTLS (a throwaway self-signed certificate the client verifies) and AUTH required. The
message arrives as queued; the server down means queued with backoff, then sent exactly once
when it is up; a 5xx refusal fails the letter; the password comes from the environment or a
file; two desks sending at once send each letter once. Both backends."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from deskapp import clock, mail
from deskapp.cases import Desk
from deskapp.letters import LetterKind
from deskapp.records import LetterRecord
from store.engine import make_engine, read_session
from store.models import CaseEvent, Letter
from tests.deskapp.test_letters import register, to_plan

LOGIN, PASSWORD = "desk", "s3cret-pass"


@dataclass
class Inbox:
    """What the server accepted, and how to refuse."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Seconds the server takes over each message (to make two senders overlap).
    slow: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.slow:
            await asyncio.sleep(self.slow)
        content = envelope.original_content or b""
        with self.lock:
            self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = [content for _, _, content in self.received]
        parsed = [email.message_from_bytes(r, policy=email.policy.default) for r in raw]
        return [m for m in parsed if isinstance(m, EmailMessage)]


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        LOGIN.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (the client trusts it as its CA)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """An aiosmtpd server on a fixed port that a test starts and stops."""

    def __init__(self, certificate: tuple[Path, Path], port: int) -> None:
        self.inbox = Inbox()
        self.port = port
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        self._context = context
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self._context,
            require_starttls=True,
            authenticator=_authenticate,
            auth_require_tls=True,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    made = Server(certificate, free_port())
    yield made
    made.stop()


@pytest.fixture
def desk(
    engine: Engine,
    staffed: dict[str, int],
    server: Server,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Desk:
    made = Desk(engine)
    smtp = made.settings.smtp
    smtp.host, smtp.port, smtp.cafile = "127.0.0.1", server.port, certificate[0]
    smtp.username, smtp.sender, smtp.sender_name = LOGIN, "service@desk.example", "客服中心"
    smtp.timeout_seconds = 5
    monkeypatch.setenv(mail.PASSWORD_ENV, PASSWORD)
    return made


def queue(desk: Desk, number: str, to: str = "wang@example.com") -> LetterRecord:
    draft = desk.letter_draft(desk.actor("handler"), number, LetterKind.PLAN, "zh")
    return desk.queue_letter(
        desk.actor("handler"),
        number,
        kind=draft.kind,
        lang="zh",
        recipient=to,
        subject=draft.subject,
        body=draft.body + "\n（经办人已核对）",
    )


@pytest.fixture
def planned(desk: Desk, staffed: dict[str, int]) -> str:
    number = register(desk)
    to_plan(desk, number, staffed["dept:QA"])
    return number


def row(desk: Desk, message_id: str) -> Letter:
    with read_session(desk.engine) as s:
        return s.exec(select(Letter).where(Letter.message_id == message_id)).one()


def events(desk: Desk, kind: str) -> list[dict[str, Any]]:
    with read_session(desk.engine) as s:
        found = s.exec(
            select(CaseEvent).where(CaseEvent.kind == kind).order_by(col(CaseEvent.id))
        ).all()
        return [json.loads(e.payload) for e in found]


def test_a_letter_arrives_over_starttls_with_auth(desk: Desk, server: Server, planned: str) -> None:
    server.start()
    letter = queue(desk, planned)
    done = desk.deliver_due()
    assert done.sent == [letter.message_id] and not done.retrying and not done.failed
    [(sender, recipients, _)] = server.inbox.received
    assert (sender, recipients) == ("service@desk.example", ["wang@example.com"])
    [message] = server.inbox.messages()
    assert message["Message-ID"] == letter.message_id
    assert message["To"] == "wang@example.com"
    assert message["Subject"] == f"关于您的投诉（{planned}）的处理方案"
    assert message["From"] == "客服中心 <service@desk.example>"
    body = message.get_body()
    assert body is not None
    assert "处理方案：上门更换密封圈" in body.get_content()
    assert "（经办人已核对）" in body.get_content()  # what the handler edited is what went
    stored = row(desk, letter.message_id)
    assert (stored.status, stored.attempts, stored.sent_at) == ("sent", 1, clock.now())
    [sent] = events(desk, "letter_sent")
    assert sent["message_id"] == letter.message_id and stored.done_event_id is not None
    assert desk.deliver_due().sent == []  # sent once, never again


def test_the_server_down_then_up_sends_exactly_once(
    desk: Desk, server: Server, planned: str
) -> None:
    letter = queue(desk, planned)  # the server is not running yet
    first = desk.deliver_due()
    assert first.sent == [] and [m for m, _ in first.retrying] == [letter.message_id]
    stored = row(desk, letter.message_id)
    assert (stored.status, stored.attempts) == ("queued", 1)
    assert stored.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert "Connection" in stored.last_error or "refused" in stored.last_error
    assert desk.deliver_due().retrying == []  # not due yet: nothing tried
    clock.advance(timedelta(seconds=61))
    assert len(desk.deliver_due().retrying) == 1
    stored = row(desk, letter.message_id)
    assert stored.attempts == 2
    assert stored.next_attempt_at == clock.now() + timedelta(seconds=120)  # doubled
    server.start()
    clock.advance(timedelta(seconds=60))
    assert desk.deliver_due().sent == []  # still waiting out its backoff
    clock.advance(timedelta(seconds=61))
    assert desk.deliver_due().sent == [letter.message_id]
    clock.advance(timedelta(hours=1))
    assert desk.deliver_due().sent == []
    assert [m["Message-ID"] for m in server.inbox.messages()] == [letter.message_id]
    stored = row(desk, letter.message_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 3, "")
    assert len(events(desk, "letter_sent")) == 1 and events(desk, "letter_failed") == []


def test_the_backoff_is_capped_and_trying_gives_up(desk: Desk, planned: str) -> None:
    smtp = desk.settings.smtp
    smtp.retry_first_seconds, smtp.retry_max_seconds, smtp.give_up_hours = 60, 300, 1
    letter = queue(desk, planned)
    waits = []
    for _ in range(6):
        desk.deliver_due()
        stored = row(desk, letter.message_id)
        if stored.next_attempt_at is None:
            break
        waits.append((stored.next_attempt_at - clock.now()).total_seconds())
        clock.advance(stored.next_attempt_at - clock.now())
    assert waits[:4] == [60, 120, 240, 300]
    clock.advance(timedelta(hours=1))
    desk.deliver_due()
    stored = row(desk, letter.message_id)
    assert stored.status == "failed" and stored.next_attempt_at is None
    assert events(desk, "letter_failed")[0]["message_id"] == letter.message_id


def test_a_refused_recipient_fails_the_letter_for_good(
    desk: Desk, server: Server, planned: str
) -> None:
    server.start()
    letter = queue(desk, planned, to="nobody@refused.example")
    done = desk.deliver_due()
    assert [m for m, _ in done.failed] == [letter.message_id]
    stored = row(desk, letter.message_id)
    assert stored.status == "failed" and "550" in stored.last_error
    [failed] = events(desk, "letter_failed")
    assert "550" in failed["error"] and server.inbox.received == []
    clock.advance(timedelta(days=1))
    assert desk.deliver_due().sent == []


def test_the_password_comes_from_a_file_when_the_environment_has_none(
    desk: Desk,
    server: Server,
    planned: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.start()
    monkeypatch.delenv(mail.PASSWORD_ENV)
    secret = tmp_path / "smtp.password"
    secret.write_text("wrong\n", encoding="utf-8")
    desk.settings.smtp.password_file = secret
    letter = queue(desk, planned)
    done = desk.deliver_due()
    assert done.retrying and "login refused: 535" in done.retrying[0][1]
    assert row(desk, letter.message_id).status == "queued"  # fixed by an admin, not failed
    assert PASSWORD not in row(desk, letter.message_id).last_error
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    clock.advance(timedelta(minutes=1))
    assert desk.deliver_due().sent == [letter.message_id]
    desk.settings.smtp.password_file = None
    other = queue(desk, planned)
    refused = desk.deliver_due().retrying
    assert refused and "no password" in refused[0][1] and refused[0][0] == other.message_id


def test_two_desks_sending_at_once_send_each_letter_once(
    desk: Desk, server: Server, planned: str, db_url: str
) -> None:
    server.inbox.slow = 0.02
    server.start()
    queued = {queue(desk, planned).message_id for _ in range(8)}
    other_engine = make_engine(db_url)
    other = Desk(other_engine, desk.settings)
    start = threading.Barrier(2)
    results: dict[str, list[str]] = {}

    def send(name: str, sender: Desk) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            results[name] = sender.deliver_due().sent

        return run

    threads = [threading.Thread(target=send(n, d)) for n, d in (("a", desk), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    other_engine.dispose()
    sent = results["a"] + results["b"]
    assert sorted(sent) == sorted(queued)  # each once, between them
    assert sorted(m["Message-ID"] for m in server.inbox.messages()) == sorted(queued)
    assert len(events(desk, "letter_sent")) == 8


def test_a_claim_is_won_once(desk: Desk, planned: str, db_url: str) -> None:
    """The race decided without threads: both senders read the letter as due with 0 tries;
    the first conditional UPDATE takes it, the second finds it changed and leaves it."""
    letter = queue(desk, planned)
    other_engine = make_engine(db_url)
    other = Desk(other_engine, desk.settings)
    now = clock.now()
    assert desk._claim(letter.id, 0, now) is not None
    assert other._claim(letter.id, 0, now) is None
    other_engine.dispose()
    stored = row(desk, letter.message_id)
    assert stored.attempts == 1 and stored.next_attempt_at == now + timedelta(minutes=10)


def test_deskapp_mail_once_sends_what_is_due(
    desk: Desk,
    server: Server,
    planned: str,
    db_url: str,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from deskapp.cli import main
    from deskapp.config import load_settings

    letter = queue(desk, planned)
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(server.port),
        "CAFILE": str(certificate[0]),
        "USERNAME": LOGIN,
        "SENDER": "service@desk.example",
    }.items():
        monkeypatch.setenv(f"DESKAPP_SMTP__{name}", value)
    load_settings.cache_clear()
    result = CliRunner().invoke(main, ["mail", "--once", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "0 sent, 1 still queued" in result.output  # the server is not up yet
    server.start()
    clock.advance(timedelta(minutes=2))
    result = CliRunner().invoke(main, ["mail", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert f"sent {letter.message_id}" in result.output
    assert [m["Message-ID"] for m in server.inbox.messages()] == [letter.message_id]


def test_a_running_desk_sends_by_itself(desk: Desk, server: Server, planned: str) -> None:
    import time

    from deskapp.context import DeskContext

    server.start()
    letter = queue(desk, planned)
    desk.settings.smtp.send_every_seconds = 0.1
    ctx = DeskContext(lang="en", desk=desk)
    ctx.watch_outbox()
    ctx.watch_outbox()  # once per desk
    deadline = time.monotonic() + 15
    while row(desk, letter.message_id).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)
    ctx.close()
    assert row(desk, letter.message_id).status == "sent"
    assert len(server.inbox.received) == 1

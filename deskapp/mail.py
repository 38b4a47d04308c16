"""Putting a letter on the wire: the message, the SMTP conversation, and what a failure means.

The standard library does the work (`email.message.EmailMessage`, `smtplib`): the desk sends a
few letters an hour, and a relay in the deployment does the rest. The connection is upgraded
with STARTTLS (the certificate checked against the system's authorities, or `smtp.cafile`)
before any login, so a password never crosses the network in the clear.

The password is looked up at the moment of sending, from `DESKAPP_SMTP_PASSWORD` or else the
file named by `smtp.password_file`: it is never a setting saved with the others, never in the
database, never in an error message.

A failure is judged by what a try later could change. The server away, slow, busy (4xx), the
login or the TLS refused: the next try may go through once someone fixes it, so the letter
stays queued. The server refusing the recipient or the message itself with a 5xx answer: no
repeat will change that, so the letter fails and the handler is told.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from deskapp.config import SmtpSettings

__all__ = [
    "PASSWORD_ENV",
    "Outgoing",
    "SendFailure",
    "build_message",
    "date_header",
    "new_message_id",
    "password",
    "send",
    "write_eml",
]

PASSWORD_ENV = "DESKAPP_SMTP_PASSWORD"


@dataclass(frozen=True)
class Outgoing:
    """One letter as it goes out; the Message-ID was made when it was queued."""

    message_id: str
    recipient: str
    subject: str
    body: str
    sender: str
    sender_name: str
    #: When it was queued (the Date header: the same on every try).
    date: str


class SendFailure(Exception):
    """A try that did not deliver; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain (the host's name when no sender is configured)."""
    domain = sender.rpartition("@")[2] if "@" in sender else None
    return make_msgid(idstring="deskapp", domain=domain or None)


def build_message(letter: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = letter.message_id
    message["Date"] = letter.date
    message["From"] = formataddr((letter.sender_name, letter.sender)) if letter.sender else ""
    message["To"] = letter.recipient
    message["Subject"] = letter.subject
    message.set_content(letter.body)  # UTF-8, encoded for the wire as needed
    if not letter.sender:
        del message["From"]
    return message


def write_eml(letter: Outgoing, folder: Path) -> Path:
    """The letter as an .eml file in `folder`, to send by other means; named by its
    Message-ID so a second write of the same letter replaces rather than doubles it. Written
    to a temporary name first: a reader never sees half a letter."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in letter.message_id)
    path = folder / f"{stem.strip('_')}.eml"
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(build_message(letter).as_bytes())
    partial.replace(path)
    return path


def password(settings: SmtpSettings) -> str | None:
    """The login password: the environment first, then the file; None when neither."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if settings.password_file is not None:
        try:
            return settings.password_file.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise SendFailure(
                f"cannot read smtp.password_file {settings.password_file}: "
                f"{exc.strerror or type(exc).__name__}",
                permanent=False,
            ) from None
    return None


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _said(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return f"{code} {' '.join(text.split())}"[:400]


def send(settings: SmtpSettings, letter: Outgoing) -> None:
    """Deliver one letter to the configured server, or raise `SendFailure` saying why."""
    secret: str | None = None
    if settings.username:
        secret = password(settings)
        if secret is None:
            raise SendFailure(
                f"smtp.username is set but there is no password ({PASSWORD_ENV} or "
                "smtp.password_file)",
                permanent=False,
            )
    message = build_message(letter)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as server:
            server.ehlo()
            if settings.starttls:
                context = ssl.create_default_context(
                    cafile=str(settings.cafile) if settings.cafile else None
                )
                server.starttls(context=context)
                server.ehlo()
            if settings.username:
                assert secret is not None
                server.login(settings.username, secret)
            server.send_message(
                message, from_addr=letter.sender or None, to_addrs=[letter.recipient]
            )
    except smtplib.SMTPRecipientsRefused as exc:
        answers = list(exc.recipients.values())
        said = "; ".join(_said(code, text) for code, text in answers)
        raise SendFailure(
            f"recipient refused: {said}", permanent=all(_permanent(c) for c, _ in answers)
        ) from None
    except smtplib.SMTPDataError as exc:
        raise SendFailure(
            f"message refused: {_said(exc.smtp_code, exc.smtp_error)}",
            permanent=_permanent(exc.smtp_code),
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendFailure(
            f"login refused: {_said(exc.smtp_code, exc.smtp_error)}", permanent=False
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendFailure(f"the server does not offer it: {exc}", permanent=False) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailure(_said(exc.smtp_code, exc.smtp_error), permanent=False) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        said = str(exc) or type(exc).__name__
        raise SendFailure(f"{type(exc).__name__}: {said}"[:400], permanent=False) from None


def date_header(moment: datetime) -> str:
    """The Date header for an aware instant (kept with the letter: each try sends the same)."""
    return format_datetime(moment)

"""The case's written confirmations, one line each (and a second for a letter still waiting):
which letter, where it stands, to whom, its Message-ID and how many tries. A queued letter says
its last error and when it is tried next, so the handler sees at once that the mail server is
down rather than wondering whether the customer was told."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from deskapp.context import DeskContext
from deskapp.export import mask_email
from deskapp.records import LetterRecord
from widgets.prose import safe_line

#: How each status is drawn: a failure must catch the eye, a queued letter too.
STATUS_STYLE = {"queued": "bold yellow", "sent": "green", "written": "cyan", "failed": "bold red"}


class LetterList(Static):
    def show(
        self,
        letters: Sequence[LetterRecord],
        ctx: DeskContext,
        *,
        masked: bool,
    ) -> None:
        """The letters newest first; the address masked for someone who would see the
        customer masked. Hidden (with its heading, by the screen) when there are none."""
        t, tz = ctx.t, ctx.desk.settings.tz
        text = Text()
        for n, letter in enumerate(letters):
            if n:
                text.append("\n")
            status = Text(
                t(f"letter.status.{letter.status}"), style=STATUS_STYLE.get(letter.status, "")
            )
            line = t(
                "letter.line",
                kind=t(f"letter.kind.{letter.kind}"),
                status="\0",
                to=mask_email(letter.recipient) if masked else letter.recipient,
                message_id=letter.message_id,
                attempts=letter.attempts,
            )
            before, _, after = line.partition("\0")
            text.append_text(safe_line(before))
            text.append_text(status)
            text.append_text(safe_line(after))
            said = []
            if letter.status == "sent" and letter.sent_at is not None:
                said.append(
                    t("letter.sent_at", time=f"{letter.sent_at.astimezone(tz):%m-%d %H:%M}")
                )
            if letter.status == "queued" and letter.next_attempt_at is not None:
                when = f"{letter.next_attempt_at.astimezone(tz):%m-%d %H:%M}"
                said.append(t("letter.next_try", time=when))
            if letter.last_error and letter.status in ("queued", "failed"):
                said.append(t("letter.last_error", error=letter.last_error))
            if letter.path:
                said.append(letter.path)
            if said:
                text.append("\n  ")
                text.append_text(safe_line(" · ".join(said), style="dim"))
        self.update(text)

"""The letter from the case screen (issue 15): `s` opens the plan letter filled from the case,
the handler corrects the address and edits the text, ctrl+s sends it; the case lists the letter
with its status and Message-ID. Without a mail server it is written as a file; with one that
is down, the case shows it queued (已排队) with the last error and the next try."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from pathlib import Path

from textual.widgets import Select, Static

from deskapp.cases import Desk
from screens.case import CaseScreen
from screens.dialogs.letter import LetterDialog
from tests.conftest import case_rows
from tests.deskapp.test_letters import register, to_plan
from tests.screens.conftest import MakeApp, plain, settle, wait_until
from tests.screens.test_case import on_case


def planned(desk: Desk) -> str:
    number = register(desk)
    qa = next(d.id for d in desk.departments() if d.code == "QA")
    assert qa is not None
    to_plan(desk, number, qa)
    return number


async def test_the_handler_edits_and_sends_the_plan_letter(
    make_app: MakeApp, desk: Desk, tmp_path: Path
) -> None:
    desk.settings.smtp.outbox_dir = tmp_path / "outbox"
    number = planned(desk)
    async with on_case(make_app, "handler", number) as (pilot, app):
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        assert not screen.query_one("#case-letters").display  # no letters yet, no panel
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LetterDialog)
        await wait_until(pilot, lambda: dialog.filled is not None)
        typed = dialog.typed()
        assert typed["recipient"] == "wang@example.com"
        assert typed["subject"] == f"Your complaint {number}: what we will do"
        assert "Our plan: 上门更换密封圈" in typed["body"]
        # The handler switches to Chinese: the letter is filled again in that language.
        dialog.query_one("#letter-lang", Select).value = "zh"
        await wait_until(pilot, lambda: dialog.filled == ("plan", "zh"))
        assert dialog.typed()["body"].startswith("尊敬的王小明：")
        # A mistyped address is refused in the dialog, nothing lost.
        dialog.query_one("#letter-recipient").value = "wang.example.com"  # type: ignore[attr-defined]
        dialog.query_one("#letter-body").load_text("尊敬的王小明：\n\n手写的确认函。")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "e-mail address looks wrong" in plain(dialog.query_one("#letter-error", Static))
        dialog.query_one("#letter-recipient").value = "wang.xm@example.com"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        on_top: object = app.screen  # mypy still holds it to be the dialog
        assert on_top is screen
        await wait_until(pilot, lambda: screen.query_one("#case-letters").display)
        shown = plain(screen.query_one("#case-letters", Static))
        assert "Plan letter · written · wang.xm@example.com" in shown
        assert str(tmp_path / "outbox") in shown
        timeline = plain(screen.query_one("#case-timeline", Static))
        assert "Letter written to a file" in timeline
    [eml] = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage) and message["To"] == "wang.xm@example.com"
    body = message.get_body()
    assert body is not None and "手写的确认函。" in body.get_content()
    assert [e.kind for e in case_rows(desk, number)[2]][-1] == "letter_written"


async def test_a_letter_waiting_for_the_server_shows_queued_with_the_error(
    make_app: MakeApp, desk: Desk
) -> None:
    with socket.socket() as s:  # a port nobody listens on: the server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    desk.settings.smtp.host, desk.settings.smtp.port = "127.0.0.1", port
    number = planned(desk)
    handler = desk.actor("handler")
    draft = desk.letter_draft(handler, number, None, "zh")
    desk.queue_letter(
        handler,
        number,
        kind=draft.kind,
        lang="zh",
        recipient=draft.recipient,
        subject=draft.subject,
        body=draft.body,
    )
    assert desk.deliver_due().retrying
    async with on_case(make_app, "handler", number, lang="zh") as (_pilot, app):
        shown = plain(app.screen.query_one("#case-letters", Static))
        assert "处理方案函 · 已排队 · wang@example.com" in shown and "尝试 1 次" in shown
        assert "下次尝试 11-23 10:01" in shown and "上次错误：" in shown
    async with on_case(make_app, "agent2", number) as (_pilot, app):  # not on the case
        shown = plain(app.screen.query_one("#case-letters", Static))
        assert "queued" in shown and "wang@example.com" not in shown  # address masked

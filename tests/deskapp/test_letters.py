"""Written confirmations (issue 15): which letter a case may have, the letter filled from the
case, queuing it with its Message-ID in the timeline, and the .eml file written when no SMTP
server is configured. Both backends; the SMTP path itself is tests/deskapp/test_mail_smtp.py."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import replace
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp.cases import Desk, IntakeForm, case_facts
from deskapp.domain import Status
from deskapp.errors import InvalidInput, PermissionDenied, TransitionError
from deskapp.letters import LetterError, LetterKind, LetterLibrary, kinds_for
from store.engine import read_session
from store.models import Letter
from tests.conftest import case_rows


def register(desk: Desk, **extra: object) -> str:
    form = IntakeForm(
        phone="13800138000",
        name="王小明",
        email="wang@example.com",
        subject="洗衣机漏水",
        description="新买的洗衣机第一次使用就漏水",
        demand="换新机",
        **extra,  # type: ignore[arg-type]
    )
    return desk.intake(desk.actor("agent"), form).number


def to_plan(desk: Desk, number: str, qa: int, **plan: object) -> None:
    """Accept, dispatch, investigate, find the cause and propose a plan."""
    for login, action, params in (
        ("agent", "accept", {}),
        ("agent", "dispatch", {"department_id": qa}),
        ("handler", "start_investigation", {}),
        ("handler", "record_root_cause", {"root_cause_category": "supplier", "whys": ["密封圈"]}),
        ("handler", "propose_plan", {"remedy": "上门更换密封圈", **plan}),
    ):
        desk.act(desk.actor(login), number, action, expected_version=None, **params)


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int], tmp_path: Path) -> Desk:
    made = Desk(engine)
    made.settings.smtp.outbox_dir = tmp_path / "outbox"
    return made


def test_the_letter_a_case_may_have_follows_its_state_and_checks(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk)
    c = case_rows(desk, number)[0]
    facts = case_facts(c)
    assert kinds_for(facts) == ()
    assert kinds_for(replace(facts, status=Status.REJECTED)) == (LetterKind.REJECTION,)
    for status in (Status.RESOLVED, Status.FEEDBACK_GIVEN, Status.REVISITED, Status.CLOSED):
        assert kinds_for(replace(facts, status=status)) == (LetterKind.RESOLUTION,)
    plan = replace(facts, status=Status.PLAN_PROPOSED)
    assert kinds_for(plan) == (LetterKind.PLAN,)
    # Not before legal review where the case needs it, nor before the compensation's approval.
    money = replace(plan, compensation_amount=Decimal("800"))
    assert kinds_for(money) == ()
    assert kinds_for(replace(money, compensation_approved=True)) == (LetterKind.PLAN,)
    big = replace(plan, compensation_amount=Decimal("9000"), compensation_approved=True)
    assert kinds_for(big) == ()
    assert kinds_for(replace(big, legal_cleared=True)) == (LetterKind.PLAN,)


def test_the_draft_is_filled_from_the_case_in_either_language(
    desk: Desk, staffed: dict[str, int]
) -> None:
    number = register(desk)
    to_plan(desk, number, staffed["dept:QA"])
    handler = desk.actor("handler")
    zh = desk.letter_draft(handler, number, None, "zh")
    assert (zh.kind, zh.kinds, zh.recipient) == ("plan", (LetterKind.PLAN,), "wang@example.com")
    assert zh.subject == f"关于您的投诉（{number}）的处理方案"
    assert zh.body.startswith("尊敬的王小明：")
    assert "处理方案：上门更换密封圈" in zh.body
    assert "部分零部件存在质量问题" in zh.body  # the cause as a customer is told it…
    assert "密封圈\n" not in zh.body.split("处理方案")[0]  # …not the investigation's whys
    assert "赔偿" not in zh.body  # no compensation, no line about it
    assert "11月30日（周一）" in zh.body  # the resolution promise (B: 5 business days)
    assert "品质部" in zh.body and "Hal Handler" in zh.body and "2026年11月23日" in zh.body
    en = desk.letter_draft(handler, number, LetterKind.PLAN, "en")
    assert en.subject == f"Your complaint {number}: what we will do"
    assert en.body.startswith("Dear 王小明,") and "Quality" in en.body
    with pytest.raises(TransitionError, match="no rejection letter"):
        desk.letter_draft(handler, number, LetterKind.REJECTION, "en")
    with pytest.raises(PermissionDenied):
        desk.letter_draft(desk.actor("loghandler"), number, None, "en")


def test_a_letter_without_a_server_is_written_as_an_eml_file(
    desk: Desk, staffed: dict[str, int], tmp_path: Path
) -> None:
    number = register(desk)
    to_plan(desk, number, staffed["dept:QA"], compensation_amount="300")
    desk.act(desk.actor("manager"), number, "request_approval", expected_version=None)
    desk.act(desk.actor("manager"), number, "approve_compensation", expected_version=None)
    draft = desk.letter_draft(desk.actor("handler"), number, None, "en")
    assert "compensation of CNY 300.00" in draft.body
    before = case_rows(desk, number)[0].version
    letter = desk.queue_letter(
        desk.actor("handler"),
        number,
        kind=draft.kind,
        lang="en",
        recipient="wang.xm@example.com",  # corrected by the handler
        subject=draft.subject,
        body=draft.body + "\nP.S. edited by hand",
    )
    assert letter.status == "written" and letter.attempts == 0
    path = Path(letter.path)
    assert path.parent == tmp_path / "outbox" and path.suffix == ".eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == letter.message_id
    assert parsed["To"] == "wang.xm@example.com" and parsed["Subject"] == draft.subject
    body = parsed.get_body()
    assert body is not None and "P.S. edited by hand" in body.get_content()
    c, _, events = case_rows(desk, number)
    assert c.version == before  # a letter changes nothing on the case itself
    event = events[-1]
    payload = json.loads(event.payload)
    assert event.kind == "letter_written" and event.actor_id == staffed["handler"]
    assert payload["message_id"] == letter.message_id and payload["path"] == str(path)
    assert payload["to"] == "wang.xm@example.com" and "P.S." in payload["body"]
    with read_session(desk.engine) as s:
        row = s.exec(select(Letter)).one()
        assert row.queued_event_id == event.id and row.status == "written"


def test_a_letter_with_a_server_is_queued_with_its_message_id(
    desk: Desk, staffed: dict[str, int], tmp_path: Path
) -> None:
    desk.settings.smtp.host = "127.0.0.1"  # not contacted: queuing only
    desk.settings.smtp.sender = "service@desk.example"
    number = register(desk)
    desk.act(desk.actor("agent"), number, "reject", expected_version=None, reason="非产品问题")
    draft = desk.letter_draft(desk.actor("agent"), number, None, "zh")
    assert draft.kind == "rejection" and "非产品问题" in draft.body
    letter = desk.queue_letter(
        desk.actor("agent"),
        number,
        kind=draft.kind,
        lang="zh",
        recipient=draft.recipient,
        subject=draft.subject,
        body=draft.body,
    )
    assert letter.status == "queued" and letter.next_attempt_at is not None
    assert letter.message_id.startswith("<") and letter.message_id.endswith("@desk.example>")
    event = case_rows(desk, number)[2][-1]
    assert event.kind == "letter_queued"
    assert json.loads(event.payload)["message_id"] == letter.message_id
    assert not (tmp_path / "outbox").exists()  # nothing written when there is a server


def test_bad_letters_are_refused_field_by_field(desk: Desk, staffed: dict[str, int]) -> None:
    number = register(desk)
    desk.act(desk.actor("agent"), number, "reject", expected_version=None, reason="重复")
    agent = desk.actor("agent")
    with pytest.raises(InvalidInput) as info:
        desk.queue_letter(
            agent,
            number,
            kind=LetterKind.REJECTION,
            lang="zh",
            recipient="wang at example",
            subject=" ",
            body="x" * 20_001,
        )
    assert set(info.value.problems) == {"recipient", "subject", "body"}
    with pytest.raises(InvalidInput, match="recipient"):
        desk.queue_letter(
            agent,
            number,
            kind=LetterKind.REJECTION,
            lang="zh",
            recipient="a@b.com\nBcc: x@y.com",
            subject="s",
            body="b",
        )
    with pytest.raises(TransitionError, match="no plan letter"):
        desk.queue_letter(
            agent,
            number,
            kind=LetterKind.PLAN,
            lang="zh",
            recipient="a@b.com",
            subject="s",
            body="b",
        )
    assert [e.kind for e in case_rows(desk, number)[2]] == ["intake", "reject"]


def test_a_replacement_letter_file_is_checked_when_loaded(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "deskapp" / "data" / "letters"
    for lang in ("zh", "en"):
        (tmp_path / f"{lang}.toml").write_text(
            (shipped / f"{lang}.toml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    assert LetterLibrary.load([tmp_path])
    text = (tmp_path / "en.toml").read_text(encoding="utf-8")
    (tmp_path / "en.toml").write_text(text.replace("{reason}", "{why}"), encoding="utf-8")
    with pytest.raises(LetterError, match=r"unknown placeholder \{why\}"):
        LetterLibrary.load([tmp_path])
    (tmp_path / "en.toml").write_text(text.replace("\n{reason}\n", "\n"), encoding="utf-8")
    with pytest.raises(LetterError, match=r"rejection letter must say \{reason\}"):
        LetterLibrary.load([tmp_path])

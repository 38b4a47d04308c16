"""Triage fills, people decide: the form follows the rules until the agent sets a field, and
going below the rules is caught."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deskapp import triage
from deskapp.domain import RiskFlag
from deskapp.triage_review import Choice, follow, hand_set, needs_reason, removed_flags

THREAT = "我要去12315投诉并找媒体曝光，还要找律师起诉你们"


def found(description: str) -> triage.Suggestions:
    return triage.suggest("冰箱不制冷", description, "换新", None)


def test_an_untouched_form_takes_every_suggestion() -> None:
    start = Choice()
    after = follow(found(THREAT), start, start)
    shown = after.shown
    assert shown == after.filled == Choice.suggested(found(THREAT))
    assert shown.severity == "A" and {"legal", "media", "regulator"} <= shown.flags


def test_a_field_the_agent_set_keeps_the_agents_value() -> None:
    filled = follow(found("冰箱不制冷"), Choice(), Choice()).filled
    by_hand = Choice(**{**filled.__dict__, "category": "delivery", "flags": frozenset({"vip"})})
    assert hand_set(by_hand, filled) == {"category", "flag:vip"}
    followed = follow(found(THREAT), by_hand, filled)
    later = followed.shown
    assert hand_set(later, followed.filled) == {"category", "flag:vip"}  # still the agent's
    assert later.category == "delivery"  # set by hand: kept
    assert later.severity == "A"  # untouched: follows the text
    assert later.flags == {"vip", "legal", "media", "regulator"}


def test_a_flag_the_agent_took_off_stays_off_and_needs_a_reason() -> None:
    filled = follow(found(THREAT), Choice(), Choice()).filled
    taken_off = Choice(**{**filled.__dict__, "flags": filled.flags - {"legal"}})
    again = follow(found(THREAT + "。"), taken_off, filled).shown
    assert "legal" not in again.flags
    assert needs_reason(found(THREAT), again) == ("flags",)
    assert removed_flags(found(THREAT), again) == {RiskFlag.LEGAL}


def test_only_going_below_needs_a_reason() -> None:
    suggested = Choice.suggested(found(THREAT))
    assert needs_reason(found(THREAT), suggested) == ()
    lower = Choice(**{**suggested.__dict__, "severity": "B"})
    assert needs_reason(found(THREAT), lower) == ("severity",)
    other_category = Choice(
        **{**suggested.__dict__, "category": "billing", "flags": suggested.flags | {"vip"}}
    )
    assert needs_reason(found(THREAT), other_category) == ()
    plain = found("冰箱不制冷")
    assert (
        needs_reason(plain, Choice(**{**Choice.suggested(plain).__dict__, "severity": "A"})) == ()
    )


def test_a_choice_survives_a_draft() -> None:
    choice = Choice("quality", "compensation", "B", "QA", frozenset({"media", "legal"}))
    assert Choice.from_json(choice.as_json()) == choice
    assert Choice.from_json({}) == Choice()


TEXTS = st.sampled_from(["", "冰箱不制冷", THREAT, "快递一直没到，我要退款", "服务员态度恶劣"])
VALUES = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["quality", "delivery", "other", "billing"]),
        "claim_type": st.sampled_from(["general", "compensation"]),
        "severity": st.sampled_from(["A", "B", "C"]),
        "department": st.sampled_from(["", "QA", "LOG"]),
        "flags": st.frozensets(st.sampled_from(["legal", "media", "regulator", "vip"])),
    }
)


@given(TEXTS, VALUES, VALUES)
def test_follow_changes_exactly_the_fields_the_agent_left_alone(
    text: str, shown_values: dict[str, object], filled_values: dict[str, object]
) -> None:
    shown, filled = Choice(**shown_values), Choice(**filled_values)  # type: ignore[arg-type]
    wanted = Choice.suggested(found(text))
    followed = follow(found(text), shown, filled)
    after = followed.shown
    by_hand = hand_set(shown, filled)
    assert hand_set(after, followed.filled) == by_hand  # the agent's fields stay theirs
    for name in ("category", "claim_type", "severity", "department"):
        expected = getattr(shown if name in by_hand else wanted, name)
        assert getattr(after, name) == expected
    for flag in shown.flags | wanted.flags | after.flags:
        source = shown if f"flag:{flag}" in by_hand else wanted
        assert (flag in after.flags) == (flag in source.flags)

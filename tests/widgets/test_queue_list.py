"""The queue's columns share the line by what they hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from widgets.queue_list import COLUMNS, DROP_ORDER, MIN_SUBJECT, _fit, layout

KEYS = [key for key, _least, _most in COLUMNS]
LEAST = {key: least for key, least, _most in COLUMNS}
MOST = {key: most for key, _least, most in COLUMNS}


def widths(width: int, wanted: dict[str, int]) -> dict[str, int]:
    shown = layout(width, wanted)
    assert sum(w for _k, w in shown) + len(shown) - 1 == width  # the line, exactly
    return dict(shown)


def test_short_columns_get_all_they_hold_and_long_ones_share_the_rest() -> None:
    wanted = {"milestone": 7, "customer": 9, "department": 16, "assignee": 12, "status": 21}
    w = widths(120, wanted)
    assert w["milestone"] == 7 and w["customer"] == 9  # small needs met in full
    assert w["subject"] >= 120 // 5
    assert w["department"] == w["assignee"] == w["status"] or max(
        w["department"], w["assignee"], w["status"]
    ) - min(w["department"], w["assignee"], w["status"]) <= 1 + abs(16 - 12)
    roomy = widths(200, wanted)
    assert roomy["department"] == 16 and roomy["status"] == MOST["status"]  # capped
    assert roomy["subject"] > w["subject"]


def test_narrow_lines_drop_columns_in_order_and_keep_the_subject() -> None:
    w = widths(80, {"department": 16, "status": 14})
    assert "department" not in w and "status" not in w
    assert w["subject"] >= 80 // 5
    tiny = widths(55, {})
    assert not set(DROP_ORDER) & set(tiny) and tiny["subject"] >= MIN_SUBJECT


@given(
    st.integers(min_value=60, max_value=300),
    st.dictionaries(st.sampled_from(KEYS), st.integers(min_value=0, max_value=40)),
)
def test_every_width_is_between_least_and_most_and_fills_the_line(
    width: int, wanted: dict[str, int]
) -> None:
    w = widths(width, wanted)
    for key, cells in w.items():
        if key != "subject":
            assert LEAST[key] <= cells <= max(LEAST[key], MOST[key])
    assert w["subject"] >= MIN_SUBJECT


def test_a_cut_text_says_so() -> None:
    assert _fit("Investigating", 8) == "Investi…"
    assert _fit("客服部门很长", 7) == "客服部…"  # wide characters: never half a character
    assert _fit("New", 6) == "New   "

"""Keys that arrive in one burst (a fast typist, a paste without bracketed paste, an SSH link
that delivers keys in lumps) land in the field where they were typed, in order.

Each test hands the whole key sequence to the app's driver at once, the way a terminal read of
many bytes does, and only then waits: nothing in the test paces the keys.
"""

from __future__ import annotations

import unicodedata

from textual import events
from textual.app import App
from textual.widgets import Input

from deskapp.case_view import load_case
from deskapp.cases import Desk, IntakeForm
from screens.case import CaseScreen
from screens.dialogs.registered import RegisteredScreen
from screens.intake import IntakeScreen
from screens.queue import QueueScreen
from tests.conftest import case_rows
from tests.screens.conftest import MakeApp, settle, sign_in, wait_until

SIZE = (120, 40)
TAB, ENTER, DOWN, SPACE = "tab", "enter", "down", "space"


def key_event(key: str) -> events.Key:
    """A key as the terminal driver makes it: a name and, when printable, its character."""
    if len(key) == 1:
        name = {" ": "space"}.get(key, key)
        if not key.isalnum() and key != " ":
            name = unicodedata.name(key).lower().replace(" ", "_")
        return events.Key(name, key)
    return events.Key(key, " " if key == SPACE else None)


def typed(*parts: str | list[str]) -> list[str]:
    """Text pieces become one key per character; lists are key names."""
    keys: list[str] = []
    for part in parts:
        keys += part if isinstance(part, list) else list(part)
    return keys


async def burst(app: App[None], keys: list[str]) -> None:
    """Every key handed to the app at once, then wait until all of them have been handled."""
    driver = app._driver  # the pilot's headless driver: the same door the terminal uses
    assert driver is not None
    for key in keys:
        driver.send_message(key_event(key))
    await app.keys_settled()  # type: ignore[attr-defined]


async def test_sign_in_typed_in_one_burst(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(app, typed("agent", [TAB], "demo", [ENTER]))
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.ctx.me.login == "agent"


async def test_sign_in_with_enter_between_the_fields(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(app, typed("supervisor", [ENTER], "demo", [ENTER]))
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.ctx.me.login == "supervisor"


async def test_the_issue_example_lands_field_by_field(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        keys = typed(["f2"], "13800138000", [TAB], "Wang Fang", [TAB], "Fridge not cooling")
        await burst(app, keys)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        assert screen.query_one("#phone", Input).value == "13800138000"
        assert screen.query_one("#name", Input).value == "Wang Fang"
        assert screen.query_one("#subject", Input).value == "Fridge not cooling"


async def test_every_intake_field_and_the_submit_in_one_burst(
    make_app: MakeApp, desk: Desk
) -> None:
    """From F2 to the registered case without a pause: text fields, multi-line fields, the
    selects opened and chosen by key, a risk flag ticked, read-back confirmed."""
    # fmt: off
    keys = typed(
        ["f2"],
        "13912345678", [TAB],
        "Lily Chen", [TAB],
        "Kettle lid cracked", [TAB],
        "The lid cracked on first use.", [ENTER], "Water spilled.", [TAB],
        "A new kettle", [TAB],
        [ENTER, DOWN, DOWN, ENTER, TAB],  # channel: phone → email
        "lily@example.com", [TAB],
        "2026-11-20 09:30", [TAB],
        "Shanghai store", [TAB],
        "SO-1001", [TAB],
        "KT-220", [TAB],
        "photo of the lid", [TAB],
        [ENTER, "home", ENTER, TAB],  # category: the first option, quality
        [ENTER, DOWN, ENTER, TAB],  # claim type: general → compensation
        [ENTER, "home", ENTER, TAB],  # severity: C → A
        [DOWN, SPACE, TAB],  # flags: the second one, media
        [ENTER, "end", ENTER],  # department: the last one, Quality
        ["ctrl+s"], ["ctrl+s"],
    )
    # fmt: on
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await burst(app, keys)
        await wait_until(pilot, lambda: isinstance(app.screen, RegisteredScreen))
    c, _milestones, _events = case_rows(desk, "TS-20261123-0001")
    customer = desk.lookup_customer(desk.actor("agent"), "13912345678")
    assert customer is not None and customer.name == "Lily Chen"
    assert customer.email == "lily@example.com"
    assert c.subject == "Kettle lid cracked"
    assert c.description == "The lid cracked on first use.\nWater spilled."
    assert c.demand == "A new kettle"
    assert c.channel == "email"
    assert c.place == "Shanghai store"
    assert c.order_ref == "SO-1001" and c.product_ref == "KT-220"
    assert c.evidence == "photo of the lid"
    assert c.occurred_at is not None and c.occurred_at.strftime("%m-%d %H:%M") == "11-20 01:30"
    assert (c.category, c.claim_type, c.severity) == ("quality", "compensation", "A")
    assert "media" in c.flags.split()
    assert c.primary_dept_id == next(d.id for d in desk.departments() if d.code == "QA")


async def test_a_note_typed_in_one_burst_on_the_case_screen(make_app: MakeApp, desk: Desk) -> None:
    desk.intake(
        desk.actor("agent"),
        IntakeForm(phone="13800138000", name="王小明", subject="x", description="y", demand="z"),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.push_screen(CaseScreen(app.ctx, "TS-20261123-0001"))
        await settle(pilot)
        await burst(app, typed(["n"], "Called back, no answer", ["ctrl+s"]))
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    notes = [n.body for n in load_case(desk, "TS-20261123-0001", "en").notes]
    assert notes == ["Called back, no answer"]


async def test_queue_search_typed_in_one_burst(make_app: MakeApp, desk: Desk) -> None:
    for subject in ("Kettle leaks", "Fridge noise"):
        desk.intake(
            desk.actor("agent"),
            IntakeForm(
                phone="13800138000", name="王", subject=subject, description="-", demand="-"
            ),
        )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await burst(app, typed(["slash"], "Fridge", [ENTER]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.filter.search == "Fridge"


async def test_queue_filter_chosen_in_one_burst(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "supervisor")
        # Severity: tick the first (A); state: down to the second and tick it (at risk).
        await burst(app, typed(["f", SPACE, TAB, DOWN, SPACE, "ctrl+s"]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.filter.severities == frozenset({"A"})
        assert screen.filter.states == frozenset({"at_risk"})

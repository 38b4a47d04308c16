"""The live queue on screen: order, countdown states, paging, selection stability, filters,
search, masking per role, live changes from another desk, alerts, and the breach board."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col
from textual.geometry import Region
from textual.widgets import Input, Static, TextArea

from deskapp import clock
from deskapp.cases import Desk, IntakeForm
from deskapp.domain import RiskFlag, Severity
from screens.breach_board import BreachBoardScreen
from screens.case import CaseScreen
from screens.queue import QueueScreen
from store import board as board_tiles
from store.engine import write_session
from store.models import Complaint
from tests.conftest import case_rows
from tests.screens.conftest import MakeApp, plain, settle, sign_in, wait_until
from widgets.queue_list import COLUMNS, QueueList

SIZE = (120, 40)


def register(desk: Desk, n: int, login: str = "agent") -> list[str]:
    numbers = []
    for i in range(n):
        numbers.append(
            desk.intake(
                desk.actor(login),
                IntakeForm(
                    phone=f"138{i:08d}",
                    name=f"王客户{i}",
                    subject=f"主题 {i}",
                    description="d",
                    demand="x",
                    severity=(Severity.A, Severity.B, Severity.C)[i % 3],
                    flags=frozenset({RiskFlag.LEGAL}) if i == 1 else frozenset(),
                ),
            ).number
        )
    return numbers


def due_in(engine: Engine, number: str, minutes: float, **extra: object) -> None:
    when = clock.now() + timedelta(minutes=minutes)
    with write_session(engine) as s:
        s.exec(
            update(Complaint)
            .where(col(Complaint.number) == number)
            .values(next_due_at=when, next_warn_at=when - timedelta(minutes=15), **extra)
        )


def lines(app: object) -> list[str]:
    """The queue's visible lines as text."""
    queue = app.screen.query_one(QueueList)  # type: ignore[attr-defined]
    return [
        "".join(seg.text for seg in queue.render_line(y)).rstrip() for y in range(queue.size.height)
    ]


async def test_queue_orders_by_due_and_shows_each_countdown_state(
    make_app: MakeApp, desk: Desk
) -> None:
    n = register(desk, 5)
    engine = desk.engine
    due_in(engine, n[0], 600)  # on track, far: hours and minutes
    due_in(engine, n[1], 10)  # at risk, in the last hour: mm:ss
    due_in(engine, n[2], -65)  # breached an hour and 5 minutes ago
    due_in(engine, n[3], 30, status="pending_customer")  # paused
    due_in(engine, n[4], 3 * 24 * 60)  # days away
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, QueueScreen)
        shown = [line for line in lines(app) if line]
        assert [next(x for x in n if x in line) for line in shown] == [n[2], n[1], n[3], n[0], n[4]]
        assert shown[0].startswith("-1h 05m") and shown[1].startswith("10:00")
        assert shown[2].startswith("paused") and shown[3].startswith("10h 00m")
        assert shown[4].startswith("3d 00h")
        queue = app.screen.query_one(QueueList)
        looks = [queue._look(i, queue.window.rows[i]).tone.value for i in range(5)]
        assert looks == ["breached", "at_risk", "paused", "on_track", "on_track"]
        # A second later only the mm:ss line changes; the far ones keep their text.
        clock.advance(timedelta(seconds=1))
        queue.tick(clock.now())  # settle what the last real tick left
        before = lines(app)
        clock.advance(timedelta(seconds=1))
        assert queue.tick(clock.now()) == 1, (before, lines(app))
        assert lines(app)[1].startswith("09:58")
        bar = plain(app.screen.query_one("#queue-bar", Static))
        assert "1 of 5" in bar and "mine" in bar


async def test_paging_keys_and_selection_stays_on_its_case(make_app: MakeApp, desk: Desk) -> None:
    n = register(desk, 30)
    for k, number in enumerate(n):
        due_in(desk.engine, number, 60 + k)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        queue = app.screen.query_one(QueueList)
        await pilot.press("j", "j", "down")
        assert queue.selected is not None and queue.selected.number == n[3]
        await pilot.press("k")
        assert queue.selected.number == n[2]
        await pilot.press("pagedown")
        await settle(pilot)
        assert queue.cursor > 10
        await pilot.press("end")
        await settle(pilot)
        assert queue.selected is not None and queue.selected.number == n[-1]
        await pilot.press("home")
        await pilot.press("j", "j", "j", "j")
        chosen = queue.selected.number
        line = queue.cursor - int(queue.scroll_y)
        # Another desk registers two cases that go above the selection.
        more = register(desk, 2, login="agent")
        for number in more:
            due_in(desk.engine, number, -5)
        await wait_until(pilot, lambda: queue.window.total == 32)  # the feed, polled each second
        await settle(pilot)  # the page is read, then the cursor follows the case: a frame later
        assert queue.selected is not None and queue.selected.number == chosen
        assert queue.cursor == 6 and queue.cursor - int(queue.scroll_y) == line
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.number == chosen
        await pilot.press("escape")
        await pilot.press("f3")
        assert isinstance(app.screen, QueueScreen)


async def test_a_tick_repaints_only_changed_countdown_cells_even_when_scrolled(
    make_app: MakeApp, desk: Desk
) -> None:
    """The terminal is sent only the cells that changed: a tick asks for the countdown cell of
    the lines in their last hour, at their place on screen (not in the virtual canvas), and the
    moving cursor repaints its two lines on screen after a page down."""
    n = register(desk, 40)
    for k, number in enumerate(n):  # 20 long overdue, then 4 in their last hour, then far ones
        due_in(desk.engine, number, -120.5 - k if k < 20 else 30 + k if k < 24 else 600.5 + k)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        queue = app.screen.query_one(QueueList)
        await pilot.press("pagedown")
        await settle(pilot)
        top = int(queue.scroll_y)
        assert top > 0
        # The test drives the tick itself: the screen's own once-a-second tick is stopped, or on a
        # loaded machine it lands inside the measurement of the cursor move below.
        for timer in list(app.screen._timers):
            timer.pause()
        lines(app)  # what is on screen is painted
        asked: list[Region] = []
        real = queue.refresh

        def spy(*regions: Region, **kw: bool) -> QueueList:
            asked.extend(regions)
            return real(*regions, **kw)

        queue.refresh = spy  # type: ignore[method-assign]
        clock.advance(timedelta(seconds=1))
        assert queue.tick(clock.now()) == 4
        width = next(most for key, _least, most in COLUMNS if key == "countdown")
        rows = sorted(r.y for r in asked)
        # "50:00" becomes "49:59" and "51:00" "50:59": only the characters that changed, inside
        # the countdown cell.
        spans = [(r.x, r.width, r.height) for r in sorted(asked, key=lambda r: r.y)]
        assert spans == [(0, 5, 1), (1, 4, 1), (1, 4, 1), (1, 4, 1)], asked
        assert width == 9
        assert rows == [(queue.window.index_of(_id(desk, n[k])) or 0) - top for k in range(20, 24)]
        asked.clear()
        await pilot.press("j")
        assert sorted(r.y for r in asked) == [
            queue.cursor - 1 - top,
            queue.cursor - top,
        ]
        assert all(0 <= r.y < queue.size.height and r.width == queue.size.width for r in asked)


def _id(desk: Desk, number: str) -> int:
    complaint, _, _ = case_rows(desk, number)
    assert complaint.id is not None
    return complaint.id


async def test_filters_and_search(make_app: MakeApp, desk: Desk) -> None:
    n = register(desk, 6)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("slash")
        box = screen.query_one("#queue-search", Input)
        assert box.has_focus
        box.value = "主题 4"
        await pilot.press("enter")
        await settle(pilot)
        assert [r.number for r in screen.rows.window.rows] == [n[4]]
        await pilot.press("x")
        await settle(pilot)
        assert screen.rows.window.total == 6
        await pilot.press("f")
        await settle(pilot)
        from textual.widgets import SelectionList

        app.screen.query_one("#filter-severity", SelectionList).select("A")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert {r.severity for r in screen.rows.window.rows} == {"A"}
        assert screen.rows.window.total == 2
        assert "A" in plain(screen.query_one("#queue-bar", Static))


async def test_masking_per_role_and_views(make_app: MakeApp, desk: Desk) -> None:
    n = register(desk, 3)
    dept = desk.departments()[0]
    with write_session(desk.engine) as s:  # the severity C case is with a department already
        s.exec(
            update(Complaint).where(col(Complaint.number) == n[2]).values(primary_dept_id=dept.id)
        )
        board_tiles.rebuild(s)  # moved round the use cases: the board's tiles are counted again
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "supervisor")
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.view.value == "desk"
        text = "\n".join(lines(app))
        assert "王**" in text and "王客户0" not in text
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, BreachBoardScreen)
        assert app.screen.rows.window.total == 0  # nothing at risk yet
        clock.advance(timedelta(minutes=50))  # unacknowledged: the 1 h promise warns at 45
        app.screen.rows.tick(clock.now())
        board = app.screen
        # The board re-reads its state-filtered view every 5 s: wait for it, not for 5.5 s.
        await wait_until(pilot, lambda: board.rows.window.total == 3)
        # Severity A promised acknowledgement in 30 minutes: breached; B and C are at risk.
        await wait_until(pilot, lambda: board.wall is not None and board.wall.totals().open == 3)
        assert board.wall is not None
        assert {t: (c.at_risk, c.breached) for t, c in board.wall.tiles.items()} == {
            (0, "A"): (0, 1),
            (0, "B"): (1, 0),
            (dept.id, "C"): (1, 0),
        }
        wall = plain(board.query_one("#board-wall", Static))
        assert "Not dispatched" in wall and dept.name_en in wall
        # d narrows the list to the worst department (the only one with a case), then back.
        await pilot.press("d")
        await wait_until(pilot, lambda: board.rows.window.total == 1)
        assert board.filter.department_id == dept.id
        await pilot.press("d")
        await wait_until(pilot, lambda: board.rows.window.total == 3)
        assert board.filter.department_id is None
    agent = make_app()
    async with agent.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "agent")
        text = "\n".join(lines(agent))
        assert "王客户0" in text and "13800000000" not in text
        assert agent.screen.check_action("breach_board", ()) is not False
        await pilot.press("f4")
        assert isinstance(agent.screen, QueueScreen)
        assert not isinstance(agent.screen, BreachBoardScreen)


async def test_alert_when_my_case_breaches(make_app: MakeApp, desk: Desk) -> None:
    register(desk, 1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        for _ in range(100):  # the first poll, one interval after sign-in, only takes stock
            await pilot.pause(0.05)
            if app._watch._known is not None:
                break
        clock.advance(timedelta(minutes=46))
        for _ in range(60):  # polled every 2 s
            await pilot.pause(0.1)
            messages = [n.message for n in app._notifications]
            if any("breached" in m for m in messages):
                break
        assert any("has breached" in m for m in messages), messages  # severity A: 30 min


async def test_many_alerts_at_once_make_one_small_toast_per_kind(make_app: MakeApp) -> None:
    from textual.widgets._toast import Toast

    from deskapp.alerts import Alert

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(pilot)
        alerts = [Alert("breached", n, f"TS-20261123-000{n}", f"subject {n}") for n in range(1, 5)]
        alerts.append(Alert("at_risk", 9, "TS-20261123-0009", "subject 9"))
        app._alert(alerts)
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert said == [
            "TS-20261123-0001 has breached: subject 1 (and 3 more)",
            "TS-20261123-0009 is at risk: subject 9",
        ]
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 2
        covered = sum(t.region.width * t.region.height for t in toasts)
        assert covered < 80 * 24 / 6, [t.region for t in toasts]  # not half the screen


async def test_the_board_escalates_and_reassigns_the_highlighted_case(
    make_app: MakeApp, desk: Desk
) -> None:
    from screens.dialogs.case_action import CaseActionDialog

    n = register(desk, 3)  # A, B with the legal flag (both with the executive already), C
    clock.advance(timedelta(minutes=50))  # all unacknowledged past the warning
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("f4")
        board = app.screen
        assert isinstance(board, BreachBoardScreen)
        await wait_until(pilot, lambda: board.rows.window.total == 3)
        await pilot.press("down", "down")
        first = board.rows.selected
        assert first is not None and first.number == n[2]
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CaseActionDialog))
        dialog = app.screen
        assert isinstance(dialog, CaseActionDialog) and dialog.action == "escalate"
        dialog.query_one("#action-reason", TextArea).text = "客户第三次来电"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.number == first.number
        assert case_rows(desk, first.number)[0].escalation_level == 2
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is board  # type: ignore[comparison-overlap]
        # Reassign: the case has no department yet, so nobody may be assigned to it: said.
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


async def test_the_wall_follows_a_case_another_desk_registers(
    make_app: MakeApp, desk: Desk, monkeypatch: object
) -> None:
    """A case registered on track elsewhere changes the tiles, not the list of late cases: the
    change feed alone must bring the wall up to date (its timer is put out of reach here)."""
    import screens.breach_board

    monkeypatch.setattr(screens.breach_board, "WALL_EVERY", 3600.0)  # type: ignore[attr-defined]
    register(desk, 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "supervisor")
        await pilot.press("f4")
        board = app.screen
        assert isinstance(board, BreachBoardScreen)
        await wait_until(pilot, lambda: board.wall is not None and board.wall.totals().open == 1)
        other = Desk(desk.engine)  # another desk on the same database
        other.intake(
            other.actor("agent2"),
            IntakeForm(
                phone="13999999999", name="李", subject="新投诉", description="d", demand="x"
            ),
        )
        await wait_until(pilot, lambda: board.wall is not None and board.wall.totals().open == 2)
        assert board.rows.window.total == 0  # nothing late: the list did not move

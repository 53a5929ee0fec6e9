"""A database reset (`db reset`, `db copy --replace`) under screens and dialogs stacked
over the list: no screen goes on showing a task of the emptied database, and no dialog
about one stays open to act on whatever row takes its key or id after the reset."""

from __future__ import annotations

import threading

from textual.widgets import DataTable

from orchestrator_tui.domain.enums import TaskStatus as S
from orchestrator_tui.ui.modals.prompt import TextPrompt
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen
from orchestrator_tui.ui.screens.detail import DetailScreen
from orchestrator_tui.ui.screens.help import HelpScreen
from orchestrator_tui.ui.screens.main import MainScreen

from ..runner.helpers import reset_elsewhere
from .conftest import add, open_detail, screen_text, settle, started, status, wait_until
from .test_inbox_cursor import awaiting

GONE = "OLD-2 is gone: the database was reset (emptied) while it was shown"
UNDONE = "not done: the database was reset (emptied) while the dialog was open"


def stack(app) -> list[type]:  # type: ignore[no-untyped-def]
    return [type(screen) for screen in app.screen_stack]


def told(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(n.title, n.message) for n in app._notifications]


async def reset_to(pilot, db_url, orch, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Reset the database from another connection, then add `keys` awaiting approval
    (the same keys as before name other rows now), and let the TUI see it."""
    reset_elsewhere(db_url)
    awaiting(orch, *keys)
    pilot.app.poke_feed()
    await settle(pilot)


async def open_inbox(pilot) -> ApprovalsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("i")
    await pilot.pause()
    await settle(pilot)
    inbox = pilot.app.screen
    assert isinstance(inbox, ApprovalsScreen)
    await wait_until(pilot, lambda: bool(inbox.items), "the inbox rows")
    return inbox


# -- the detail screen of a task gone with the reset, under something else ------------


async def test_a_gone_task_s_detail_closes_with_the_help_over_it(db_url, orch, make):
    awaiting(orch, "OLD-1", "OLD-2")
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "OLD-2")
        await pilot.press("question_mark")
        await settle(pilot)
        assert stack(app) == [MainScreen, DetailScreen, HelpScreen]
        await reset_to(pilot, db_url, orch, "NEW-1")
        assert stack(app) == [MainScreen]
        assert "OLD-2" not in screen_text(app) and "NEW-1" in screen_text(app)
        assert told(app) == [("Database reset", GONE)]


async def test_a_gone_task_s_detail_closes_with_the_decision_dialog_about_it(db_url, orch, make):
    awaiting(orch, "OLD-1", "OLD-2")
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "OLD-2")
        await pilot.press("x")
        await settle(pilot)
        assert stack(app) == [MainScreen, DetailScreen, TextPrompt]
        await pilot.press(*"half a comment")
        await reset_to(pilot, db_url, orch, "NEW-1")
        assert stack(app) == [MainScreen]
        assert told(app) == [
            ("Database reset", f"Reject OLD-2: {UNDONE}"),
            ("Database reset", GONE),
        ]


async def test_a_gone_task_s_detail_under_the_inbox_is_not_there_to_go_back_to(db_url, orch, make):
    awaiting(orch, "OLD-1", "OLD-2")
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "OLD-2")
        inbox = await open_inbox(pilot)
        await reset_to(pilot, db_url, orch, "NEW-1")
        assert app.screen is inbox  # the person's screen stays, showing the new rows
        assert [e.key for e in inbox.items] == ["NEW-1"]
        assert told(app) == [("Database reset", GONE)]
        await pilot.press("escape")
        await pilot.pause()
        await settle(pilot)
        assert stack(app) == [MainScreen]  # not back to OLD-2's detail
        assert "OLD-2" not in screen_text(app)


async def test_a_decision_dialog_open_over_a_task_there_again_closes_undone(db_url, orch, make):
    """The same key after the reset is another row, which the person has not seen: the
    dialog about the one before does not decide it."""
    awaiting(orch, "A")
    app = make()
    async with started(app) as pilot:
        detail = await open_detail(pilot, "A")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"not this one")
        await reset_to(pilot, db_url, orch, "A")
        assert app.screen is detail
        assert told(app) == [("Database reset", f"Reject A: {UNDONE}")]
        await pilot.press("enter")
        await settle(pilot)
        assert status(orch, "A") == "awaiting_approval"


async def test_the_decision_keys_wait_for_the_detail_read_anew_after_a_reset(
    db_url, orch, make, monkeypatch
):
    """Until the detail has read its task again, `a` would approve whatever row has
    its key now: the keys are off meanwhile."""
    from orchestrator_tui.ui.screens import detail as detail_module

    reading, release = threading.Event(), threading.Event()
    read_again = detail_module._still_there

    def held(o, key):  # type: ignore[no-untyped-def]
        reading.set()
        release.wait(10)
        return read_again(o, key)

    awaiting(orch, "A")
    app = make()
    async with started(app) as pilot:
        detail = await open_detail(pilot, "A")
        monkeypatch.setattr(detail_module, "_still_there", held)
        reset_elsewhere(db_url)
        awaiting(orch, "A")
        app.poke_feed()
        await wait_until(pilot, reading.is_set, "the detail to read its task again")
        await pilot.press("a")
        await pilot.pause(0.2)
        assert status(orch, "A") == "awaiting_approval"
        release.set()
        await settle(pilot)
        assert detail.loaded is not None and app.screen is detail


# -- the inbox and the questions in it --------------------------------------------------


async def test_the_inbox_shows_the_new_rows_without_an_error_for_the_old(db_url, orch, make):
    awaiting(orch, "P", "Q")
    app = make()
    async with started(app) as pilot:
        inbox = await open_inbox(pilot)
        await pilot.press("j")
        await reset_to(pilot, db_url, orch, "P")
        assert [e.key for e in inbox.items] == ["P"]
        assert inbox.query_one(DataTable).row_count == 1
        assert told(app) == []  # the review below the list looked for Q: "no task 'Q'"


async def test_an_answer_typed_before_a_reset_answers_no_question_of_the_new_database(
    db_url, orch, make
):
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make()
    async with started(app) as pilot:
        inbox = await open_inbox(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press(*"SQLite")
        reset_elsewhere(db_url)
        add(orch, "API", "Build the API", status=S.IN_PROGRESS)
        asked = orch.as_actor("bot").questions.ask("API", "Another question?")
        app.poke_feed()
        await settle(pilot)
        assert app.screen is inbox
        assert [(e.kind, e.text) for e in inbox.items] == [("question", "Another question?")]
        assert told(app) == [("Database reset", f"Answer API: {UNDONE}")]
        await pilot.press("enter")  # would have sent "SQLite" to the dialog
        await settle(pilot)
        assert orch.questions.get(asked.id).answer is None


async def test_a_rejection_typed_in_the_inbox_before_a_reset_rejects_nothing(db_url, orch, make):
    awaiting(orch, "P", "Q")
    app = make()
    async with started(app) as pilot:
        inbox = await open_inbox(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"too slow")
        await reset_to(pilot, db_url, orch, "P", "Q")
        assert app.screen is inbox
        assert told(app) == [("Database reset", f"Reject P: {UNDONE}")]
        await pilot.press("enter")  # opens P's detail: nothing is decided
        await settle(pilot)
        assert (status(orch, "P"), status(orch, "Q")) == ("awaiting_approval",) * 2


async def test_undo_after_a_reset_offers_nothing_of_the_moves_before_it(db_url, orch, make):
    """This session's moves went with the reset; their event ids name others' now."""
    from .conftest import ACTOR, press_on

    add(orch, "A")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "A", "s")
        assert status(orch, "A") == "in_progress"
        reset_elsewhere(db_url)
        add(orch, "A")
        orch.as_actor(ACTOR).tasks.transition("A", S.IN_PROGRESS)  # its event: the same id
        app.poke_feed()
        await settle(pilot)
        app._notifications.clear()
        await pilot.press("u")
        await settle(pilot)
        assert stack(app) == [MainScreen]  # no dialog offers to undo it
        assert [n.message for n in app._notifications] == [
            "nothing to undo: no change of yours in this session is left to undo"
        ]


async def test_a_rejection_sent_before_the_reset_is_seen_rejects_nothing(db_url, orch, make):
    """Sent between the reset and the TUI's next look at the feed, it rejected the new
    database's P. It is refused now, and the reset is looked at once."""
    awaiting(orch, "P", "Q")
    app = make()
    async with started(app) as pilot:
        await open_inbox(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"too slow")
        reset_elsewhere(db_url)
        awaiting(orch, "P", "Q")  # the TUI has not looked at the feed since
        await pilot.press("enter")
        await settle(pilot)
        assert (status(orch, "P"), status(orch, "Q")) == ("awaiting_approval",) * 2
        messages = [message for _, message in told(app)]
        refused = f"the database {orch.db.describe()} was reset (emptied) meanwhile"
        assert any(refused in m for m in messages), messages
        await wait_until(pilot, lambda: "P" in screen_text(app), "the inbox read anew")
        await pilot.press("x")  # now about the P it shows
        await settle(pilot)
        await pilot.press(*"seen it", "enter")
        await settle(pilot)
        assert status(orch, "P") == "failed"  # rejected

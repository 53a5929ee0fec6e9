"""Status keys, approvals, undo and bulk changes: what the database holds afterwards."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.ui.modals.prompt import Confirm, TextPrompt

from .conftest import (
    ACTOR,
    add,
    main_screen,
    notes,
    open_detail,
    press_on,
    select,
    settle,
    started,
    status,
)

S = TaskStatus


@pytest.fixture
def tasks(orch):
    add(orch, "A", "ready task")
    add(orch, "B", "running task", status=S.IN_PROGRESS)
    add(orch, "C", "waits for A", depends_on=["A"])
    add(orch, "D", "gated task", status=S.IN_PROGRESS, requires_approval=True)
    add(orch, "E", "failed task", status=S.FAILED)
    return orch


@pytest.mark.parametrize(
    ("key", "press", "expected"),
    [
        ("A", "s", "in_progress"),
        ("B", "d", "done"),
        ("D", "d", "awaiting_approval"),
        ("B", "f", "failed"),
        ("A", "b", "blocked"),
        ("E", "r", "pending"),
        ("E", "s", "in_progress"),
    ],
)
async def test_status_key_writes_the_status(tasks, make, key, press, expected):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, key, press)
        assert status(tasks, key) == expected
        row = main_screen(app).table.cursor_row
        assert row is not None and row.key == key and row.status.value == expected


async def test_keys_that_do_not_apply_are_disabled_and_write_nothing(tasks, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "A")
        screen = main_screen(app)
        assert screen.check_action("done", ()) is None
        assert screen.check_action("approve", ()) is None
        assert screen.check_action("start", ()) is True
        footer_keys = {b.binding.action: b.enabled for b in app.active_bindings.values()}
        assert footer_keys["approve"] is False and footer_keys["start"] is True
        await pilot.press("d", "a", "x", "f")
        await settle(pilot)
        assert status(tasks, "A") == "pending"
        assert tasks.queries.last_event_id() == tasks.queries.recent_events(1)[0].id


async def test_forced_start_asks_for_a_reason_and_records_it(tasks, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "C", "s")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")  # empty: refused, the modal stays
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert status(tasks, "C") == "pending"
        await pilot.press(*"hotfix", "enter")
        await settle(pilot)
        assert status(tasks, "C") == "in_progress"
    event = tasks.queries.timeline("C")[-1]
    assert event.kind == "forced_start" and event.actor == ACTOR
    assert event.data["reason"] == "hotfix" and event.data["unfinished"] == ["A"]


async def test_forced_start_cancelled_writes_nothing(tasks, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "C", "s")
        await pilot.press("escape")
        await settle(pilot)
        assert status(tasks, "C") == "pending"


async def test_approve_and_reject(orch, make):
    add(orch, "P", "one", status=S.IN_PROGRESS, requires_approval=True)
    add(orch, "Q", "two", status=S.IN_PROGRESS, requires_approval=True)
    worker = orch.as_actor("bob")
    worker.tasks.complete("P")
    worker.tasks.complete("Q")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "P", "a")
        assert status(orch, "P") == "done"
        await press_on(pilot, "Q", "x")
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = "   "
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt), "a rejection needs a comment"
        app.screen.query_one(Input).value = "tests are missing"
        await pilot.press("enter")
        await settle(pilot)
        assert status(orch, "Q") == "failed"
    decisions = [(a.decision.value, a.actor, a.comment) for a in orch.queries.approvals_for("Q")]
    assert decisions == [("rejected", ACTOR, "tests are missing")]
    assert [a.decision.value for a in orch.queries.approvals_for("P")] == ["approved"]


async def test_approving_own_work_is_refused_with_a_notification(orch, make):
    add(orch, "P", "mine", requires_approval=True)
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "P", "s")
        await pilot.press("d")
        await settle(pilot)
        assert status(orch, "P") == "awaiting_approval"
        await pilot.press("a")
        await settle(pilot)
        assert status(orch, "P") == "awaiting_approval"
        messages = notes(app)
        assert any("cannot approve" in m for m in messages)


async def test_undo_names_the_task_moves_the_cursor_to_it_and_asks(tasks, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "A", "s")
        assert status(tasks, "A") == "in_progress"
        await select(pilot, "E")  # the cursor is elsewhere: undo must not change E
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "Undo A: in progress → pending?" in app.screen.message.plain
        assert main_screen(app).table.cursor_key == "A"
        assert status(tasks, "A") == "in_progress", "nothing is written before yes"
        await pilot.press("y")
        await settle(pilot)
        assert status(tasks, "A") == "pending" and status(tasks, "E") == "failed"
        assert main_screen(app).table.cursor_row.status is S.PENDING
    assert tasks.queries.timeline("A")[-1].kind == "status_reverted"


async def test_undoing_a_failure_says_it_reopens_the_question_it_closed(tasks, make):
    asked = tasks.as_actor("bot").questions.ask("B", "which database?")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "B", "f")
        assert tasks.questions.get(asked.id).is_closed
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "It reopens question " + str(asked.id) + "," in app.screen.message.plain
        await pilot.press("y")
        await settle(pilot)
        assert status(tasks, "B") == "in_progress"
        assert main_screen(app).table.cursor_row.open_questions == 1
    assert tasks.questions.get(asked.id).is_open


async def test_second_undo_goes_further_back_and_never_redoes(tasks, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "A", "s")
        await press_on(pilot, "B", "d")
        for key, after in (("B", "in_progress"), ("A", "pending")):
            await pilot.press("u")
            await settle(pilot)
            assert isinstance(app.screen, Confirm) and f"Undo {key}:" in app.screen.message.plain
            await pilot.press("y")
            await settle(pilot)
            assert status(tasks, key) == after
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert (status(tasks, "A"), status(tasks, "B")) == ("pending", "in_progress")
        assert "nothing to undo" in notes(app)[-1]


async def test_undo_reverses_a_rejection(orch, make):
    add(orch, "Q", "gated", status=S.IN_PROGRESS, requires_approval=True)
    orch.as_actor("bob").tasks.complete("Q")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "Q", "x")
        app.screen.query_one(Input).value = "no tests"
        await pilot.press("enter")
        await settle(pilot)
        assert status(orch, "Q") == "failed"
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "Undo Q: failed → awaiting approval?" in app.screen.message.plain
        assert "rejection" in app.screen.message.plain
        await pilot.press("y")
        await settle(pilot)
        assert status(orch, "Q") == "awaiting_approval"


async def test_a_decision_taken_on_the_detail_screen_can_be_undone(orch, make):
    add(orch, "Q", "gated", status=S.IN_PROGRESS, requires_approval=True)
    orch.as_actor("bob").tasks.complete("Q")
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "Q")
        await pilot.press("a")
        await settle(pilot)
        assert status(orch, "Q") == "done"
        assert sum("Q approved" in n for n in notes(app)) == 1, notes(app)
        await pilot.press("escape")  # back to the list, where u undoes
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "Undo Q: done → awaiting approval?" in app.screen.message.plain
        await pilot.press("y")
        await settle(pilot)
        assert status(orch, "Q") == "awaiting_approval"


async def test_undo_that_cannot_be_done_says_why_and_writes_nothing(tasks, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "A", "s")
        tasks.as_actor("bob").tasks.fail("A", reason="crashed")
        before = tasks.queries.last_event_id()
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert "cannot undo: A was moved on by bob" in notes(app)[-1]
        assert status(tasks, "A") == "failed"
        assert tasks.queries.last_event_id() == before


async def test_undo_offers_only_this_sessions_changes(tasks, make):
    tasks.as_actor(ACTOR).tasks.start("A")  # the same person, before this session
    app = make()
    async with started(app) as pilot:
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert "nothing to undo" in notes(app)[-1]
        assert status(tasks, "A") == "in_progress"


async def test_bulk_change_confirms_how_many_will_change(tasks, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "A")
        await pilot.press("space", "space")  # marks A and B
        await select(pilot, "E")
        await pilot.press("space")  # marks E
        assert set(main_screen(app).table.marks) == {"A", "B", "E"}
        await pilot.press("f")  # only B (running) can fail
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        text = app.screen.message.plain
        assert "Fail 1 marked task?" in text and "2 other marked tasks" in text
        await pilot.press("y")
        await settle(pilot)
        assert [status(tasks, k) for k in "ABE"] == ["pending", "failed", "failed"]
        assert main_screen(app).table.marks == {}
        await select(pilot, "A")
        await pilot.press("space", "space")  # A and B
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert status(tasks, "B") == "failed", "declined: nothing changes"
        assert set(main_screen(app).table.marks) == {"A", "B"}
        await pilot.press("C")
        assert main_screen(app).table.marks == {}


async def test_bulk_confirmation_lists_changes_and_skips_with_reasons(tasks, make):
    app = make()
    async with started(app, (80, 24)) as pilot:
        await select(pilot, "A")
        await pilot.press("space", "space", "space")  # marks A, B and C
        await pilot.press("s")  # A starts; B runs already; C waits for A
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        lines = app.screen.message.plain.splitlines()
        assert lines[0] == "Start 1 marked task?"
        assert lines[1].startswith("· A: pending → in progress")
        assert lines[2] == "2 other marked tasks will stay as they are:"
        assert lines[3].startswith("· B is in progress already")
        assert lines[4].startswith("· C waits on unfinished dependencies: A")
        assert len(lines) == 5 and all(len(line) <= 66 for line in lines)
        assert str(app.screen.query_one("#yes", Button).label) == "Start (y)", "as its question"
        await pilot.press("y")
        await settle(pilot)
        assert [status(tasks, k) for k in "ABC"] == ["in_progress", "in_progress", "pending"]


async def test_bulk_confirmation_cuts_a_long_list_with_a_count(orch, make):
    for n in range(7):
        add(orch, f"K{n}", f"task {n}")
    app = make()
    async with started(app, (80, 24)) as pilot:
        await press_on(pilot, "K0", *["space"] * 7, "b")
        assert isinstance(app.screen, Confirm)
        text = app.screen.message.plain
        assert "Block 7 marked tasks?" in text and "… and 3 more" in text
        assert "K3: pending → blocked" in text and "K4:" not in text
        assert str(app.screen.query_one("#yes", Button).label) == "Block (y)"  # as Undo (y)


async def test_bulk_change_nobody_can_make_says_why(tasks, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "E")
        await pilot.press("space")
        await select(pilot, "A")
        await pilot.press("space")
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert (
            "none of the 2 marked tasks can change: A is pending: cannot mark it done"
            in (notes(app)[-1])
        )

"""Questions in the TUI: the row and header say a task waits for an answer, the
inbox lists questions with approvals oldest first, and the person answers with
a key (the answer reaches a waiting `task ask --wait`)."""

from __future__ import annotations

import os
import subprocess
import sys

from orchestrator_tui.domain.enums import TaskStatus as S
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen
from orchestrator_tui.ui.screens.detail import _questions

from .conftest import (
    ACTOR,
    add,
    fixed_clock,
    main_screen,
    press_on,
    screen_text,
    select,
    settle,
    started,
    wait_until,
)


async def test_row_marker_and_header_count_then_answer_on_the_task(db_url, orch, make):
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    add(orch, "GATE", "Reviewed work", status=S.IN_PROGRESS, requires_approval=True)
    add(orch, "IDLE", "Nothing to ask", status=S.IN_PROGRESS)
    orch.tasks.complete("GATE")
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        await wait_until(pilot, lambda: app.open_questions == 1, "the question count")
        await pilot.pause(0.1)
        lines = screen_text(app).splitlines()
        assert "? 1 question to answer" in lines[0] and "◆ 1 awaiting approval" in lines[0]
        api, gate, idle = (
            next(line for line in lines if line.startswith(f"│  {key} "))
            for key in ("API", "GATE", "IDLE")
        )
        assert "? asking" in api and "◆ awaiting" in gate and "▷ working" in idle
        screen = main_screen(app)
        await select(pilot, "IDLE")
        assert screen.check_action("answer", ()) is None
        await select(pilot, "API")
        assert screen.check_action("answer", ()) is True
        await pilot.press("y")
        await settle(pilot)
        assert "bot asks: Which database?" in screen_text(app)
        await pilot.press(*"PostgreSQL", "enter")
        await settle(pilot)
        [question] = orch.questions.for_task("API")
        assert (question.answer, question.answered_by) == ("PostgreSQL", ACTOR)
        await wait_until(pilot, lambda: app.open_questions == 0, "the count to drop")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "? asking" not in text and "question to answer" not in text


async def test_inbox_lists_both_oldest_first_and_answers_a_waiting_ask(db_url, orch, make):
    add(orch, "GATE", "Reviewed work", status=S.IN_PROGRESS, requires_approval=True)
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    orch.tasks.complete("GATE")  # at the fixed (older) time
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
    asker = subprocess.Popen(
        [
            *(sys.executable, "-m", "orchestrator_tui", "--db", db_url, "--as", "bot"),
            *("task", "ask", "Which database?", "--wait", "--poll", "0.05"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "ORCHESTRATOR_TUI_TASK": "API"},
    )
    try:
        app = make(poll_interval=0.1)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: orch.questions.count_open() == 1, "the question")
            await settle(pilot)
            await pilot.press("i")
            await pilot.pause()
            await settle(pilot)
            inbox = app.screen
            assert isinstance(inbox, ApprovalsScreen)
            await wait_until(pilot, lambda: len(inbox.items) == 2, "both inbox rows")
            assert [(e.kind, e.key) for e in inbox.items] == [
                ("approval", "GATE"),
                ("question", "API"),
            ]
            lines = screen_text(app).splitlines()
            first = next(i for i, line in enumerate(lines) if "◆ approval" in line)
            second = next(i for i, line in enumerate(lines) if "? answer" in line)
            assert first < second and "Which database?" in lines[second]
            assert inbox.check_action("answer", ()) is None  # on the approval row
            await pilot.press("j")
            await settle(pilot)
            assert inbox.check_action("answer", ()) is True
            assert inbox.check_action("approve", ()) is None
            await pilot.press("y")
            await settle(pilot)
            await pilot.press(*"Use PostgreSQL", "enter")
            await settle(pilot)
            await wait_until(pilot, lambda: len(inbox.items) == 1, "the answered row to go")
        out, err = asker.communicate(timeout=60)
    finally:
        if asker.poll() is None:
            asker.kill()
    assert (asker.returncode, out, err) == (0, "Use PostgreSQL\n", "")
    [question] = orch.questions.for_task("API")
    assert question.answered_by == ACTOR
    reader = open_orchestrator(db_url, "reader", clock=fixed_clock)
    kinds = [e.kind for e in reader.queries.timeline("API")]
    reader.close()
    assert kinds[-2:] == ["question_asked", "question_answered"]


async def test_the_task_detail_shows_questions_and_answers_with_y(db_url, orch, make):
    from orchestrator_tui.ui.screens.detail import DetailScreen

    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make()
    async with started(app) as pilot:
        await select(pilot, "API")
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        text = screen_text(app)
        assert "Questions  (1 waiting for an answer: y answers the oldest)" in text
        assert "? bot asks: Which database?" in text
        assert "y Answer" in text  # the key is in the footer, as on the main screen
        assert detail.check_action("answer", ()) is True
        await pilot.press("y")
        await settle(pilot)
        await pilot.press(*"SQLite for now", "enter")
        await settle(pilot)
        assert app.screen is detail
        assert "answered by alice" in screen_text(app) and "SQLite for now" in screen_text(app)
        assert detail.check_action("answer", ()) is None
    [question] = orch.questions.for_task("API")
    assert (question.answer, question.answered_by) == ("SQLite for now", ACTOR)


async def test_an_answer_given_elsewhere_meanwhile_is_a_warning(db_url, orch, make):
    """Someone else answers while the prompt is open: the person's answer is not
    recorded, and the notice says so as a warning, not as a plain note."""
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        await press_on(pilot, "API", "y")
        assert "bot asks: Which database?" in screen_text(app)
        orch.as_actor("bob").questions.answer("API", "SQLite")
        await pilot.press(*"PostgreSQL", "enter")
        await settle(pilot)
        [question] = orch.questions.for_task("API")
        assert (question.answer, question.answered_by) == ("SQLite", "bob")
        notices = [n for n in app._notifications if "already answered by bob" in n.message]
        assert [n.severity for n in notices] == ["warning"], [
            (n.message, n.severity) for n in app._notifications
        ]


async def test_a_question_closed_meanwhile_is_a_warning_and_leaves_the_inbox(db_url, orch, make):
    """The task is cancelled while the prompt is open: its question closed, the
    answer is not recorded, the notice is a warning saying why, and the inbox
    no longer lists it."""
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    add(orch, "UI", "Build the UI", status=S.IN_PROGRESS)
    asked = orch.as_actor("bot").questions.ask("API", "Which database?")
    orch.as_actor("bot").questions.ask("UI", "Which colours?")
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        await press_on(pilot, "API", "y")
        assert "bot asks: Which database?" in screen_text(app)
        orch.as_actor("bob").tasks.transition("API", S.CANCELLED)
        await pilot.press(*"PostgreSQL", "enter")
        await settle(pilot)
        closed = orch.questions.get(asked.id)
        assert closed.is_closed and closed.answer is None
        notices = [n for n in app._notifications if "was closed when API ended" in n.message]
        assert [n.severity for n in notices] == ["warning"], [
            (n.message, n.severity) for n in app._notifications
        ]
        await pilot.press("i")
        await pilot.pause()
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, ApprovalsScreen)
        await wait_until(pilot, lambda: len(inbox.items) > 0, "the inbox rows")
        assert [(e.kind, e.key) for e in inbox.items] == [("question", "UI")]
        assert "Which database?" not in screen_text(app)


def test_the_detail_screen_says_a_question_closed_unanswered(orch):
    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    asked = orch.as_actor("bot").questions.ask("API", "Which database?")
    orch.tasks.transition("API", S.CANCELLED)
    text = _questions(orch.questions.for_task("API"), waiting=0).plain
    closed = orch.questions.get(asked.id).closed_at
    assert "bot asks: Which database?" in text
    assert f"closed unanswered ({closed:%Y-%m-%d %H:%M}): its work ended" in text
    assert "answered by" not in text


async def test_at_80_columns_the_header_still_names_who_acts(db_url, orch, make):
    # With the runner on demand, an approval and a question, the header's counts
    # took all 80 columns and who acts (whose approvals are refused) went unsaid.
    from orchestrator_tui.ui.runner_control import ON_DEMAND, RunnerState

    add(orch, "API", "Build the API", status=S.IN_PROGRESS)
    add(orch, "GATE", "Reviewed work", status=S.IN_PROGRESS, requires_approval=True)
    orch.tasks.complete("GATE")
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make(poll_interval=0.1)
    async with started(app, (80, 24)) as pilot:
        await wait_until(pilot, lambda: app.open_questions == 1, "the question count")
        app.runner_state = RunnerState(ON_DEMAND, 1)
        await pilot.pause(0.1)
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert f"as {ACTOR}" in header, header
        assert "◐ runner on demand · 1 running" in header
        assert "◆ 1 awaiting" in header and "? 1 to answer" in header
        await pilot.resize_terminal(140, 30)  # room again: the counts in full
        await settle(pilot)
        await pilot.pause(0.2)
        header = screen_text(app).splitlines()[0]
        assert "◆ 1 awaiting approval  ? 1 question to answer" in header, header
        await pilot.resize_terminal(80, 24)  # and brief again, the labels fitted to them
        await settle(pilot)
        await pilot.pause(0.2)
        header = screen_text(app).splitlines()[0]
        assert f"as {ACTOR}" in header, header
        assert "◆ 1 awaiting  ? 1 to answer" in header, header

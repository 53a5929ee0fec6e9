"""A key that does not apply stays disabled in the footer, writes nothing, and
when pressed says why in one line (the reason the service would give)."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen

from .conftest import add, add_run, main_screen, notes, open_detail, select, settle, started, status

S = TaskStatus


@pytest.mark.parametrize(
    ("key", "press", "why"),
    [
        ("DONE", "s", "DONE is done: cannot start it (from done it can go to pending)"),
        ("DONE", "a", "DONE is done, not awaiting approval"),
        ("WORK", "a", "WORK is in progress, not awaiting approval"),
        ("PEND", "d", "PEND is pending: cannot mark it done"),
        ("PEND", "exclamation_mark", "PEND has no command to run"),
        ("PEND", "c", "PEND has no running command to cancel (it is pending)"),
        ("PEND", "y", "PEND has no open question"),
        ("GATE", "f", "GATE is awaiting approval: approve or reject it instead"),
    ],
)
async def test_pressing_a_disabled_key_says_why(orch, make, key, press, why):
    add(orch, "DONE", "finished", status=S.DONE)
    add(orch, "PEND", "waiting to start")
    add(orch, "WORK", "by hand", status=S.IN_PROGRESS)
    add(orch, "GATE", "to review", status=S.IN_PROGRESS, requires_approval=True)
    orch.tasks.complete("GATE")
    app = make()
    async with started(app) as pilot:
        await select(pilot, key)
        bound = app.active_bindings[press]
        assert not bound.enabled, "the footer shows the key disabled"
        before = orch.queries.last_event_id()
        seen = len(notes(app))
        await pilot.press(press)
        await settle(pilot)
        assert orch.queries.last_event_id() == before, "nothing was written"
        assert any(why in n for n in notes(app)[seen:]), notes(app)[seen:]


async def test_an_enabled_key_and_typing_in_the_filter_say_nothing(orch, make):
    add(orch, "PEND", "waiting to start")
    app = make()
    async with started(app) as pilot:
        await select(pilot, "PEND")
        await pilot.press("slash", "d", "a", "escape")  # typed into the filter
        await settle(pilot)
        assert notes(app) == []
        await pilot.press("s")
        await settle(pilot)
        assert status(orch, "PEND") == "in_progress"
        assert not any("cannot" in n for n in notes(app))


async def test_marked_tasks_say_why_none_can_change(orch, make):
    add(orch, "D1", "one", status=S.DONE)
    add(orch, "D2", "two", status=S.DONE)
    app = make()
    async with started(app) as pilot:
        await select(pilot, "D1")
        await pilot.press("space", "space")
        assert set(main_screen(app).table.marks) == {"D1", "D2"}
        await pilot.press("f")
        await settle(pilot)
        assert (
            "none of the 2 marked tasks can change: D1 is done: cannot mark it failed"
            in notes(app)[-1]
        )


async def test_inbox_says_why_a_question_cannot_be_approved(orch, make):
    add(orch, "API", "build it", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make()
    async with started(app) as pilot:
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        await pilot.press("a")
        await settle(pilot)
        assert "API's agent asks a question: y answers it" in notes(app)[-1]
        assert status(orch, "API") == "in_progress"


async def test_approve_is_disabled_on_your_own_work_and_says_why(orch, make, db_url):
    from orchestrator_tui.services import open_orchestrator

    add(orch, "MINE", "my work", requires_approval=True)
    add(orch, "THEIRS", "their work", requires_approval=True)
    orch.tasks.transition("MINE", S.IN_PROGRESS)
    orch.tasks.complete("MINE")
    bob = open_orchestrator(db_url, "bob")
    try:
        bob.tasks.transition("THEIRS", S.IN_PROGRESS)
        bob.tasks.complete("THEIRS")
    finally:
        bob.close()
    app = make(actor="setup")  # who did MINE's work
    async with started(app) as pilot:
        await select(pilot, "THEIRS")
        await settle(pilot)
        assert app.active_bindings["a"].enabled
        await select(pilot, "MINE")
        await settle(pilot)
        assert not app.active_bindings["a"].enabled, "the footer shows it disabled"
        before = orch.queries.last_event_id()
        await pilot.press("a")
        await settle(pilot)
        assert orch.queries.last_event_id() == before, "nothing was written"
        assert "setup worked on MINE and cannot approve it; ask someone else" in notes(app)[-1]


@pytest.mark.parametrize(("key", "why"), [("PEND", "PEND has no open question"), ("API", None)])
async def test_the_detail_screen_answers_y_as_the_task_list_does(orch, make, key, why):
    from orchestrator_tui.ui.screens.detail import DetailScreen

    add(orch, "PEND", "waiting to start")
    add(orch, "API", "build it", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("API", "Which database?")
    app = make()
    async with started(app) as pilot:
        await select(pilot, key)
        listed = main_screen(app).selected()
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        shown = detail.selected()
        assert (shown.open_questions, shown.answer_refusal) == (
            listed.open_questions,
            listed.answer_refusal,
        )
        assert shown.answer_refusal == why
        if why is None:
            assert app.active_bindings["y"].enabled
            return
        assert not app.active_bindings["y"].enabled, "the footer shows the key disabled"
        before = orch.queries.last_event_id()
        seen = len(notes(app))
        await pilot.press("y")
        await settle(pilot)
        assert orch.queries.last_event_id() == before, "nothing was written"
        assert notes(app)[seen:] == [why]


async def test_the_detail_screen_counts_an_open_question_older_than_its_list(orch, make):
    """The screen lists a task's newest questions; an older one still open counts."""

    add(orch, "API", "build it", status=S.IN_PROGRESS)
    bot = orch.as_actor("bot")
    bot.questions.ask("API", "Which database?")
    for i in range(100):
        bot.questions.ask("API", f"later question {i}")
        orch.questions.answer("API", "done", bot.questions.for_task("API")[-1].id)
    app = make()
    async with started(app) as pilot:
        detail = await open_detail(pilot, "API")
        assert detail.selected().open_questions == 1
        assert app.active_bindings["y"].enabled
        heading = str(detail.query_one("#detail-questions").render()).splitlines()[0]
        assert heading == "Questions  (1 waiting for an answer: y answers the oldest)"


NOT_RUN = "PEND has not run yet: no output to search or page through"


@pytest.mark.parametrize(
    ("runs", "press", "why"),
    [
        (0, "n", NOT_RUN),
        (0, "N", NOT_RUN),
        (0, "left_square_bracket", NOT_RUN),
        (1, "n", "nothing searched in this run yet: / searches it"),
        (1, "N", "nothing searched in this run yet: / searches it"),
        (1, "left_square_bracket", "PEND has no other run to show"),
    ],
)
async def test_a_dimmed_log_key_says_why_and_never_runs_the_screens_key(
    orch, make, runs, press, why
):
    # `n` is the log's next match and the main screen's new task: before any search
    # the log's is dimmed, and pressing it must not open the new-task form.
    add(orch, "PEND", "waiting to start")
    for _ in range(runs):
        add_run(orch, orch.queries.get_task("PEND").id, status="succeeded", exit_code=0)
    app = make()
    async with started(app) as pilot:
        await select(pilot, "PEND")
        await pilot.press("3")
        await settle(pilot)
        assert not app.active_bindings[press].enabled, "the footer shows the key disabled"
        seen = len(notes(app))
        await pilot.press(press)
        await settle(pilot)
        assert app.screen is main_screen(app), "no form or dialog opened"
        assert notes(app)[seen:] == [why]

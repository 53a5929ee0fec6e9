"""Changes from the feed are applied by reloading only what they touched, database
work runs one way with one error policy, and worker threads leave widgets alone."""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
from textual.widget import Widget

import orchestrator_tui
from orchestrator_tui.domain.changes import FIELDS_BY_KIND
from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.queries import QueryService
from orchestrator_tui.ui.db import run_db
from orchestrator_tui.ui.widgets.log_pane import ExecutionLogPane

from .conftest import (
    add,
    add_lines,
    add_run,
    fixed_clock,
    held,
    main_screen,
    notes,
    screen_text,
    select,
    settle,
    started,
)

S = TaskStatus
PACKAGE = str(Path(orchestrator_tui.__file__).parent)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the task list's queries run (in any thread)."""
    counted: Counter[str] = Counter()
    for name in ("list_tasks", "position_of", "changed_rows"):
        original = getattr(QueryService, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            counted[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(QueryService, name, spy)
    return counted


async def changed_elsewhere(pilot, db_url: str, change: Callable[[Orchestrator], object]) -> None:
    """Make `change` as bob on a connection of its own (as another process would),
    then let the app take it in from the change feed."""
    other = open_orchestrator(db_url, "bob", clock=fixed_clock)
    try:
        change(other)
    finally:
        other.close()
    pilot.app.poke_feed()
    await settle(pilot)


def test_every_event_kind_says_what_it_changes():
    assert set(FIELDS_BY_KIND) == {k.value for k in EventKind}


async def test_a_status_change_elsewhere_reloads_only_that_row(db_url, orch, make, calls):
    for key in ("A", "B", "C"):
        add(orch, key)
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        calls.clear()
        await changed_elsewhere(pilot, db_url, lambda o: o.tasks.start("B"))
        assert table.row_at(1).key == "B" and table.row_at(1).status is S.IN_PROGRESS
        assert calls == Counter({"changed_rows": 1}), "the page was read again"


async def test_a_change_that_moves_a_row_reloads_the_page(db_url, orch, make, calls):
    for key in ("A", "B", "C"):
        add(orch, key)
    app = make()
    async with started(app) as pilot:
        screen = main_screen(app)
        screen.table.set_query(screen.table.query_state.sorted_by("status").reversed())
        await settle(pilot)
        calls.clear()
        await changed_elsewhere(pilot, db_url, lambda o: o.tasks.start("C"))
        shown = [screen.table.row_at(i).key for i in range(3)]
        assert shown == ["C", "A", "B"]  # running sorts after pending; reversed: first
        assert calls["list_tasks"] >= 1


async def test_a_filtered_view_takes_in_a_task_that_now_matches(db_url, orch, make):
    for key in ("A", "B"):
        add(orch, key)
    app = make()
    async with started(app) as pilot:
        await pilot.press("P")  # running tasks only
        await settle(pilot)
        table = main_screen(app).table
        assert table.total == 0
        await changed_elsewhere(pilot, db_url, lambda o: o.tasks.start("B"))
        assert table.total == 1 and table.row_at(0).key == "B"


async def test_a_changed_blocker_redraws_the_readiness_of_shown_dependents(db_url, orch, make):
    add(orch, "A")
    add(orch, "B")
    orch.deps.add("B", "A")
    orch.tasks.start("A")
    orch.tasks.complete("A")
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        assert table.row_at(1).unfinished_blockers == 0
        # B waits again; B itself gets no event
        await changed_elsewhere(pilot, db_url, lambda o: o.tasks.reset("A"))
        assert table.row_at(1).key == "B" and table.row_at(1).unfinished_blockers == 1


async def test_a_new_log_line_comes_with_the_feed_and_nothing_polls(db_url, orch, make):
    add(orch, "R", "running task")
    orch.tasks.start("R")
    run_id = add_run(orch, orch.queries.get_task("R").id)
    add_lines(orch, run_id, ["first line"])
    app = make()
    polls: list[str] = []
    original = ExecutionLogPane.refresh_data

    def counting(pane: ExecutionLogPane) -> None:
        polls.append(pane.task_key or "")
        original(pane)

    ExecutionLogPane.refresh_data = counting  # type: ignore[method-assign]
    try:
        async with started(app) as pilot:
            await select(pilot, "R")
            await pilot.pause(0.3)
            await settle(pilot)
            assert "first line" in screen_text(app)
            polls.clear()
            await pilot.pause(1.2)  # nothing changed: the log is not read again
            assert polls == []
            add_lines(orch, run_id, ["second line"], start=1)
            app.poke_feed()  # what the feed watcher does on its own every poll
            await settle(pilot)
            assert "second line" in screen_text(app)
            assert polls == ["R"]
    finally:
        ExecutionLogPane.refresh_data = original  # type: ignore[method-assign]


async def test_a_refused_call_and_a_bug_become_one_line_notifications(make, caplog):
    app = make()
    async with started(app, notifications=True) as pilot:
        screen = main_screen(app)

        def refused(_orch: object) -> None:
            raise OrchestratorError("PAY-9 is not a task")

        def broken(_orch: object) -> None:
            raise KeyError("surprise")

        with caplog.at_level(logging.ERROR, logger="orchestrator_tui.ui.db"):
            run_db(screen, refused, title="Cannot start")
            run_db(screen, broken, title="Cannot start")
            await settle(pilot)
            await pilot.pause(0.1)
        shown = notes(app)
        assert "PAY-9 is not a task" in shown
        assert "KeyError: 'surprise'" in shown
        assert app.is_running  # a bug in one call does not end the app
        assert any("surprise" in r.getMessage() or r.exc_info for r in caplog.records)


async def test_worker_threads_never_run_widget_code(db_url, orch, make):
    """Every database worker gets plain data: no method of a widget runs on a
    worker thread (widgets read their state on the UI thread only)."""
    for i in range(30):
        add(orch, f"W-{i}")
    orch.deps.add("W-2", "W-1")
    run_id = add_run(orch, orch.queries.get_task("W-1").id)
    add_lines(orch, run_id, [f"line {i}" for i in range(50)])
    offenders: set[str] = set()
    ui_thread = threading.get_ident()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event != "call" or threading.get_ident() == ui_thread:
            return
        code = frame.f_code
        if not code.co_filename.startswith(PACKAGE):
            return
        owner = frame.f_locals.get("self")
        if isinstance(owner, Widget):
            offenders.add(f"{type(owner).__name__}.{code.co_name}")

    app = make()
    threading.setprofile(profile)
    try:
        async with started(app) as pilot:
            await pilot.press("j", "j", "k")
            await settle(pilot)
            await changed_elsewhere(
                pilot, db_url, lambda o: [o.tasks.start(key) for key in ("W-1", "W-5")]
            )
            await pilot.press("3", "slash", *"line", "enter")
            await settle(pilot)
            await pilot.pause(0.4)
            await settle(pilot)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        sys.setprofile(None)
    assert offenders == set()


async def test_a_status_key_shows_the_move_before_its_commit(db_url, orch, make, monkeypatch):
    from orchestrator_tui.services.tasks import TaskService

    add(orch, "A")
    release = held(monkeypatch, TaskService, "transition", timeout=10)
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        await pilot.press("s")
        await pilot.pause()
        assert table.row_at(0).status is S.IN_PROGRESS  # drawn before the commit
        assert orch.queries.get_task("A").status is S.PENDING
        release.set()
        await settle(pilot)
        assert orch.queries.get_task("A").status is S.IN_PROGRESS
        assert table.row_at(0).status is S.IN_PROGRESS


async def test_a_refused_move_shown_ahead_is_taken_back(db_url, orch, make, monkeypatch):
    from orchestrator_tui.services.tasks import TaskService

    add(orch, "A")

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OrchestratorError("A is held by a runner")

    monkeypatch.setattr(TaskService, "transition", refuse)
    app = make()
    async with started(app, notifications=True) as pilot:
        table = main_screen(app).table
        await pilot.press("s")
        await settle(pilot)
        assert table.row_at(0).status is S.PENDING
        assert "A is held by a runner" in notes(app)

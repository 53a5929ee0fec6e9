"""A TUI open while another terminal runs `db reset`: it shows the emptied database
whole, whatever is written after the reset; its own runner stops, saying why."""

from __future__ import annotations

import sys

import pytest

from orchestrator_tui.domain.enums import TaskStatus as S
from orchestrator_tui.domain.models import CommandSpec

from ..runner.helpers import alive, reset_elsewhere
from .conftest import (
    WIDE,
    add,
    main_screen,
    open_detail,
    screen_text,
    settle,
    started,
    wait_until,
)

RUNNER = {"poll_seconds": 0.05, "kill_grace_seconds": 1.0, "lease_seconds": 10.0}


def shown_keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = main_screen(app).table
    return [row.key for i in range(table.total) if (row := table.row_at(i)) is not None]


@pytest.mark.parametrize(
    ("tasks", "moves"), [(3, 0), (2, 6)], ids=["as-many-events", "more-events"]
)
async def test_after_a_reset_the_list_shows_exactly_the_database_s_tasks(
    db_url, orch, make, tasks, moves
):
    """Before the reset three tasks; after it, new tasks, then status changes of one of
    them: as many events as before, or more. Ids start over, so the ids alone cannot
    tell (the events past the old mark only move NEW-1, none adds a task)."""
    for key in ("OLD-1", "OLD-2", "OLD-3"):
        add(orch, key)
    before = orch.queries.last_event_id()
    app = make()
    async with started(app) as pilot:
        assert shown_keys(app) == ["OLD-1", "OLD-2", "OLD-3"]
        reset_elsewhere(db_url)
        for n in range(1, tasks + 1):
            add(orch, f"NEW-{n}")
        for n in range(moves):
            orch.tasks.transition("NEW-1", S.DEFERRED if n % 2 == 0 else S.PENDING)
        now = orch.queries.last_event_id()
        assert now == before if moves == 0 else now > before
        app.poke_feed()
        await settle(pilot)
        expected = [t.key for t in orch.queries.list_tasks()]
        assert expected == [f"NEW-{n}" for n in range(1, tasks + 1)]
        assert shown_keys(app) == expected
        # The panes that followed OLD-1 follow the new cursor, without an error for it.
        assert [(n.title, n.message) for n in app._notifications] == []


#: Prints its pid, then works for two minutes.
WORKS = CommandSpec(
    argv=[
        sys.executable,
        "-c",
        "import os, time; print(os.getpid(), flush=True); time.sleep(120)",
    ]
)


async def test_the_tui_s_runner_stops_saying_the_database_was_reset_under_it(db_url, orch, make):
    add(orch, "W", command=WORKS)
    app = make(run_on_start=True, runner_options=RUNNER)
    async with app.run_test(size=WIDE) as pilot:

        def pid() -> int | None:
            runs = orch.queries.runs_for("W")
            lines = orch.queries.log_lines(runs[0].id) if runs else []
            return int(lines[0].text) if lines else None

        await wait_until(pilot, lambda: pid() is not None, "the command to start")
        child = pid()
        assert child is not None
        assert app.runner_state.active == 1
        reset_elsewhere(db_url)
        await wait_until(pilot, lambda: app.runner_state.phase == "off", "the runner off")
        await settle(pilot)
        told = [(n.title, n.message) for n in app._notifications]
        assert len(told) == 1, told  # and no error for the task the panes showed
        (said,) = app._notifications
        assert said.title == "Runner stopped: database reset"
        assert "stopped 1 running command, whose runs are gone" in said.message
        assert not alive(child)
        assert orch.queries.list_tasks() == [] and shown_keys(app) == []
        assert "runner off" in screen_text(app)
    assert app.shut_down(timeout=30)


async def test_the_detail_screen_of_a_task_gone_with_a_reset_goes_back_saying_so(
    db_url, orch, make
):
    from orchestrator_tui.ui.screens.detail import DetailScreen

    for key in ("OLD-1", "OLD-2"):
        add(orch, key)
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "OLD-2")
        reset_elsewhere(db_url)
        add(orch, "NEW-1")
        app.poke_feed()
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen)
        assert shown_keys(app) == ["NEW-1"]
        told = [(n.title, n.message) for n in app._notifications]
        assert told == [
            (
                "Database reset",
                "OLD-2 is gone: the database was reset (emptied) while it was shown",
            )
        ]


async def test_the_detail_screen_of_a_task_there_again_after_a_reset_shows_it_anew(
    db_url, orch, make
):
    add(orch, "A", "before the reset")
    app = make()
    async with started(app) as pilot:
        detail = await open_detail(pilot, "A")
        reset_elsewhere(db_url)
        add(orch, "A", "after the reset")
        app.poke_feed()
        await settle(pilot)
        assert app.screen is detail
        assert "after the reset" in screen_text(app)
        assert [(n.title, n.message) for n in app._notifications] == []


async def test_run_now_landing_with_a_reset_is_told_once(db_url, orch, make):
    """`!` pressed as the database is reset under the TUI's runner: its claim finds the
    database reset, and so does the runner, which stops: one notification says so."""
    from .conftest import select

    add(orch, "W", command=WORKS)
    add(orch, "B", command=WORKS)
    # A slow poll: the runner hears of the reset through the `!` first.
    app = make(runner_options={**RUNNER, "poll_seconds": 5.0})
    async with started(app) as pilot:
        await select(pilot, "W")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: app.runner_state.active == 1, "W to run")
        await select(pilot, "B")
        app._notifications.clear()
        reset_elsewhere(db_url)
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: app.runner_state.phase == "off", "the runner off")
        await settle(pilot)
        told = [(n.title, n.message) for n in app._notifications]
        assert len(told) == 1, told
        assert told[0][0] == "Runner stopped: database reset"
    assert app.shut_down(timeout=30)

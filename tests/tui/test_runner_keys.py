"""The runner inside the TUI: started and stopped by key, one task run on
demand, a run cancelled after a confirmation, and quitting stops it all.
Real child processes; every wait is on database state with a generous limit."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual.pilot import Pilot

from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.ui.modals.prompt import Confirm
from orchestrator_tui.ui.modals.quit import QuitWhileRunning

from .conftest import (
    ACTOR,
    WIDE,
    add,
    main_screen,
    notes,
    screen_text,
    select,
    settle,
    started,
    status,
    wait_until,
)

FAST = {"poll_seconds": 0.05, "kill_grace_seconds": 2.0, "lease_seconds": 10.0}
SAY_HI = CommandSpec(argv=[sys.executable, "-c", "print('hi')"])
SLEEP = CommandSpec(
    argv=[sys.executable, "-c", "import time; print('working', flush=True); time.sleep(120)"]
)


def runs(orch, key: str):
    return orch.queries.runs_for(key)


def has_lines(orch, key: str) -> bool:
    found = runs(orch, key)
    return bool(found) and orch.queries.log_line_count(found[-1].id) > 0


@pytest.fixture
def runner_app(make):
    """The app with a quick runner; whatever a test leaves running is stopped."""
    apps = []

    def build(**kwargs):
        kwargs.setdefault("runner_options", FAST)
        app = make(**kwargs)
        apps.append(app)
        return app

    yield build
    for app in apps:
        assert app.shut_down(timeout=30), "the runner's thread ended"


@asynccontextmanager
async def running(app, orch, key: str = "S") -> AsyncIterator[Pilot]:
    """`app`, its runner started with it, once `key`'s command has printed."""
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(pilot, lambda: has_lines(orch, key), "the command to start")
        yield pilot


async def test_runner_key_runs_ready_tasks_and_stops(orch, runner_app):
    add(orch, "T1", "say hi", command=SAY_HI)
    add(orch, "T2", "afterwards", command=SAY_HI, depends_on=["T1"])
    app = runner_app()
    async with started(app) as pilot:
        assert "runner off" in screen_text(app)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.runner_state.phase == "on", "the runner on")
        await wait_until(pilot, lambda: status(orch, "T2") == "done", "T1 then T2 done")
        await wait_until(pilot, lambda: app.runner_state.active == 0, "no run active")
        await settle(pilot)
        assert "runner on · 0 running" in screen_text(app)
        (run,) = runs(orch, "T1")
        assert (run.status.value, run.exit_code, run.agent) == ("succeeded", 0, f"{ACTOR}-runner")
        assert [line.text for line in orch.queries.log_lines(run.id)] == ["hi"]
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.runner_state.phase == "off", "the runner off")
        assert app.runner_control.join(30)
        await settle(pilot)
        assert "runner off" in screen_text(app)


async def test_the_person_approves_what_the_runner_ran(orch, runner_app):
    add(orch, "T1", "needs a look", command=SAY_HI, requires_approval=True)
    app = runner_app(run_on_start=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: status(orch, "T1") == "awaiting_approval", "a gate")
        await settle(pilot)
        await select(pilot, "T1")
        await wait_until(
            pilot,
            lambda: main_screen(app).selected().status.value == "awaiting_approval",
            "the list to show the gate",
        )
        await pilot.press("a")
        await wait_until(pilot, lambda: status(orch, "T1") == "done", "approved")
    assert orch.queries.approvals_for("T1")[-1].actor == ACTOR


async def test_run_the_selected_task_on_demand(orch, runner_app):
    add(orch, "A", "left alone", command=SAY_HI)
    add(orch, "B", "run me", command=SAY_HI)
    app = runner_app()
    async with started(app) as pilot:
        await select(pilot, "B")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: status(orch, "B") == "done", "B done")
        await wait_until(
            pilot, lambda: any("B: run" in n and "started" in n for n in notes(app)), "the reply"
        )
        assert app.runner_state.phase == "on demand"
        assert status(orch, "A") == "pending", "on demand: nothing else is claimed"
        assert runs(orch, "A") == []


async def test_a_run_that_fails_for_good_says_why_in_one_line(orch, runner_app):
    # An agent that is not logged in fails: the person who pressed ! is told why,
    # not left to find the row turned red.
    fails = CommandSpec(argv=[sys.executable, "-c", "import sys; sys.exit('Not logged in')"])
    add(orch, "B", "run me", command=fails)
    app = runner_app()
    async with started(app) as pilot:
        await select(pilot, "B")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: status(orch, "B") == "failed", "B failed")
        run = runs(orch, "B")[-1]
        assert run.error and run.error.startswith("exit code 1")
        want = f"B: run {run.id} failed: {run.error}"
        await wait_until(pilot, lambda: want in notes(app), "the failure told")


def runs_of(orch, key):
    return len(orch.queries.runs_for(key))


async def test_run_now_is_disabled_on_a_task_without_a_command(orch, runner_app):
    add(orch, "A", "no command")
    app = runner_app()
    async with started(app) as pilot:
        assert main_screen(app).check_action("run_now", ()) is None
        await pilot.press("exclamation_mark")
        await settle(pilot)
    assert status(orch, "A") == "pending"
    assert runs_of(orch, "A") == 0


async def test_cancel_asks_first_then_kills_the_command(orch, runner_app):
    add(orch, "S", "sleeps", command=SLEEP)
    app = runner_app()
    async with started(app) as pilot:
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: has_lines(orch, "S"), "the command to start")
        await settle(pilot)
        await wait_until(
            pilot, lambda: main_screen(app).selected().status.value == "in_progress", "running"
        )
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert status(orch, "S") == "in_progress", "no: nothing happens"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: runs(orch, "S")[-1].ended_at is not None, "the run ended")
        await wait_until(pilot, lambda: app.runner_state.active == 0, "no run active")
    (run,) = runs(orch, "S")
    assert run.status.value == "cancelled"
    assert f"cancelled by {ACTOR}" in (run.error or "")
    assert status(orch, "S") == "failed"


async def test_cancel_a_run_of_another_runner(orch, runner_app):
    add(orch, "S", "elsewhere", command=SLEEP)
    orch.runs.claim("someone-else/1", 60, key="S")
    app = runner_app()
    async with started(app) as pilot:
        await pilot.press("c", "y")
        await wait_until(pilot, lambda: status(orch, "S") == "failed", "the task failed")
    assert runs(orch, "S")[-1].status.value == "cancelled"


async def test_quitting_asks_first_then_stops_the_runner_and_hands_tasks_back(orch, runner_app):
    add(orch, "S", "sleeps", command=SLEEP)
    app = runner_app(run_on_start=True)
    async with running(app, orch) as pilot:
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitWhileRunning)
        text = screen_text(app)
        assert "1 command is running: S" in text
        assert "stops it" in text and "handed back to pending" in text, text
        assert app.return_code is None and runs(orch, "S")[-1].status.value == "running"
        await pilot.press("s")
        await wait_until(pilot, lambda: app.return_code is not None, "the app to exit")
    assert app.runner_control.join(30)
    (run,) = runs(orch, "S")
    assert run.status.value == "cancelled"
    assert status(orch, "S") == "pending", "handed back, to run again later"


async def test_quitting_can_be_called_off_and_the_command_keeps_running(orch, runner_app):
    add(orch, "S", "sleeps", command=SLEEP)
    app = runner_app(run_on_start=True)
    async with running(app, orch) as pilot:
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, QuitWhileRunning)
        assert app.return_code is None and app.runner_state.phase == "on"
        assert runs(orch, "S")[-1].status.value == "running"


async def test_quitting_when_the_commands_finish_starts_nothing_new(orch, runner_app, tmp_path):
    go = tmp_path / "go"
    waits = CommandSpec(
        argv=[
            sys.executable,
            "-c",
            "import os, time\nprint('waiting', flush=True)\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.05)\nprint('went')",
        ]
    )
    add(orch, "S", "waits for a file", command=waits)
    app = runner_app(run_on_start=True)
    async with running(app, orch) as pilot:
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert any("when S finishes" in n for n in notes(app))
        add(orch, "T", "ready afterwards", command=SAY_HI)
        app.poke_feed()
        await settle(pilot)
        assert app.return_code is None
        go.touch()
        await wait_until(pilot, lambda: app.return_code is not None, "the app to exit")
    assert app.runner_control.join(30)
    assert runs(orch, "S")[-1].status.value == "succeeded"
    assert status(orch, "T") == "pending" and not runs(orch, "T"), "nothing new was started"


async def test_closing_the_app_any_other_way_stops_the_runner(orch, runner_app):
    add(orch, "S", "sleeps", command=SLEEP)
    app = runner_app(run_on_start=True)
    async with running(app, orch):
        assert app.return_code is None  # closed below while its command runs
    assert app.shut_down(timeout=30)
    assert status(orch, "S") == "pending"
    assert runs(orch, "S")[-1].status.value == "cancelled"


async def test_palette_offers_the_runner_commands(orch, runner_app):
    from orchestrator_tui.ui.commands import ActionCommands

    add(orch, "A", "ready", command=SAY_HI)
    app = runner_app()
    async with started(app):
        titles = [hit.text async for hit in ActionCommands(main_screen(app)).discover()]
        assert "Start or stop this TUI's runner" in titles
        assert "Run the selected task's command now (shows as running)" in titles
        assert not any("Cancel the selected" in t for t in titles), "nothing runs: not offered"


async def test_gc_is_frozen_once_the_database_is_open(make):
    # ...and a worker holds the interpreter lock for 1 ms at a time, not 5, while a
    # key waits for it.
    import sys

    from orchestrator_tui.app import UI_SWITCH_SECONDS

    gc.unfreeze()
    switch = sys.getswitchinterval()
    app = make(freeze_gc=True)
    try:
        async with started(app):
            assert gc.get_freeze_count() > 0
            assert sys.getswitchinterval() == UI_SWITCH_SECONDS < switch
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch)


@pytest.mark.usefixtures("a_terminal")
def test_demo_starts_the_runner_unless_told_not_to(tmp_path, monkeypatch):
    import orchestrator_tui.app as app_module
    from orchestrator_tui.cli import main

    calls = []
    monkeypatch.setattr(app_module, "run_app", lambda **kw: calls.append(kw) or 0)
    assert main(["demo", "--dir", str(tmp_path / "a"), "--as", "maria"]) == 0
    assert main(["demo", "--dir", str(tmp_path / "b"), "--no-run"]) == 0
    assert main(["tui", "--db", str(tmp_path / "c.db")]) == 0
    assert main(["tui", "--run", "--db", str(tmp_path / "c.db")]) == 0
    assert [c["run"] for c in calls] == [True, False, False, True]
    assert calls[0]["actor"] == "maria"


async def test_a_command_that_cannot_start_names_the_cause_in_the_log_pane(
    orch, runner_app, tmp_path
):
    missing = tmp_path / "no-such-dir"
    command = CommandSpec(argv=[sys.executable, "-c", "print('hi')"], cwd=str(missing))
    add(orch, "NODIR", "runs in a folder that is gone", command=command, max_retries=0)
    app = runner_app()
    async with started(app) as pilot:
        await select(pilot, "NODIR")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: status(orch, "NODIR") == "failed", "the run failed")
        cause = f"working directory {missing} does not exist"
        assert runs(orch, "NODIR")[-1].error == cause
        pane = main_screen(app).log_pane
        await wait_until(pilot, lambda: cause in pane._view.placeholder, "the cause in the log")
        await settle(pilot)
        shown = "".join(pane._view.render_line(y).text for y in range(4)).replace(" ", "")
        expected = ("this run wrote no output: " + cause).replace(" ", "")
        assert expected in shown, "the whole cause, wrapped, not cut"
        assert "cannot start" not in screen_text(app)


async def test_after_run_now_in_the_ready_view_the_log_shows_that_run(orch, runner_app):
    # The run's task leaves the ready view and the cursor lands on the next row: the
    # log pane followed that row, and the person lost sight of the run they started.
    add(orch, "A", "run me", command=SLEEP)
    add(orch, "B", "next in the list", command=SAY_HI)
    add(orch, "C", "and the one after", command=SAY_HI)
    app = runner_app()
    async with started(app, (80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("4", "1", "R")  # the dashboard below the list; the ready view
        await settle(pilot)
        assert screen.query_one("#log-pane").has_class("-secondary-hidden")
        await select(pilot, "A")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: has_lines(orch, "A"), "A's command to print")
        await wait_until(pilot, lambda: screen.selected().key == "B", "A to leave the view")
        await pilot.pause(0.3)  # the cursor rests: the panes that follow it catch up
        await settle(pilot)
        log = screen.log_pane
        assert log.task_key == "A"
        # at 80 columns the log takes the dashboard's place below the list, to be seen
        assert not screen.query_one("#log-pane").has_class("-secondary-hidden")
        await wait_until(pilot, lambda: "working" in screen_text(app), "the run's line")
        await pilot.press("j", "k")  # the person moves: the log follows the cursor again
        await pilot.pause(0.3)
        await settle(pilot)
        assert screen.selected().key == "B" and log.task_key == "B"
        app.runner_control.cancel("A", ACTOR)
        await wait_until(pilot, lambda: status(orch, "A") == "failed", "A's run cancelled")

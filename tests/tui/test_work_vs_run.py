"""`s` (a person works on the task) and `!` (its command runs) look different:
a task with a command that a person started shows as working, never running;
only a task whose command a runner holds shows as running."""

from __future__ import annotations

import sys

from orchestrator_tui.domain.models import CommandSpec

from .conftest import add, main_screen, press_on, screen_lines, started, status

SAY_HI = CommandSpec(argv=[sys.executable, "-c", "print('hi')"])


def row_line(app, key: str) -> str:
    """The task list's line for `key` (the tree and the log pane name it too; only
    the list has a priority column)."""
    (line,) = [ln for ln in screen_lines(app) if ln.split()[1:2] == [key] and " medium " in ln]
    return line


async def test_started_by_hand_shows_working_and_a_live_run_shows_running(orch, make):
    add(orch, "W1", "do it myself", command=SAY_HI)
    add(orch, "R1", "a runner runs it", command=SAY_HI)
    orch.runs.claim("elsewhere-runner", 600, key="R1")  # a live run, held by a runner
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "W1", "s")
        assert status(orch, "W1") == "in_progress"
        worked = row_line(app, "W1")
        assert "working" in worked and "running" not in worked
        assert "▶ running" in row_line(app, "R1")
        screen = main_screen(app)
        row = screen.table.cursor_row
        assert row.key == "W1" and not row.has_live_run
        assert screen.check_action("run_now", ()) is None
        assert "in progress by hand, with nothing running" in row.run_refusal


async def test_footer_and_help_tell_work_from_run(orch, make):
    add(orch, "W1", "do it myself", command=SAY_HI)
    app = make()
    async with started(app):
        labels = {b.binding.action: b.binding.description for b in app.active_bindings.values()}
        assert (labels["start"], labels["run_now"]) == ("Work", "Run")
        tooltips = {b.binding.action: b.binding.tooltip for b in app.active_bindings.values()}
        assert "runs nothing" in tooltips["start"]
        assert "shows as running" in tooltips["run_now"]

"""The tests' settle helper waits for the app's work, not for its threads: a reload's
worker lingering for the next request with nothing to do is not waited out."""

from __future__ import annotations

from orchestrator_tui.ui.widgets import task_table

from .conftest import add, main_screen, settle, started


async def test_settling_does_not_wait_for_a_lingering_reload_with_nothing_to_do(
    orch, make, monkeypatch
):
    monkeypatch.setattr(task_table, "RELOAD_LINGER", 600.0)  # longer than any settle
    add(orch, "A", "alpha")
    add(orch, "B", "bravo")
    app = make()
    async with started(app) as pilot:
        await pilot.press("slash", *"brav")
        await settle(pilot)
        table = main_screen(app).table
        assert table.total == 1 and table.row_at(0).key == "B"
        lingering = [w for w in app.workers if w.is_running and w.name == "tasks-reload"]
        assert len(lingering) == 1  # still there, waiting for the next letter

"""The first rows appear before the database layer has loaded, and a key pressed on
them takes effect once it has."""

from __future__ import annotations

import orchestrator_tui.services as services

from .conftest import add, held, main_screen, screen_text, settle, status, wait_until


async def test_rows_show_before_the_database_opens_and_keys_wait_for_it(orch, make, monkeypatch):
    add(orch, "A", "first task")
    add(orch, "B", "second task")
    release = held(monkeypatch, services, "open_orchestrator")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        table = main_screen(app).table
        await wait_until(pilot, lambda: table.total == 2, "the first page")
        assert not app.is_ready
        assert "first task" in screen_text(app) and "second task" in screen_text(app)
        await pilot.press("s")  # on A, before the database layer is there
        await pilot.pause(0.05)
        assert status(orch, "A") == "pending"
        release.set()
        await settle(pilot)
        assert status(orch, "A") == "in_progress"
        row = table.cursor_row
        assert row is not None and row.key == "A" and row.status.value == "in_progress"


async def test_first_page_marks_a_task_that_asks_a_question(orch, make, monkeypatch):
    add(orch, "A", "asks something")
    add(orch, "B", "asks nothing")
    orch.as_actor("bot").questions.ask("A", "Which branch?")
    release = held(monkeypatch, services, "open_orchestrator")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: main_screen(app).table.total == 2, "the first page")
        await pilot.pause(0.05)
        assert not app.is_ready
        lines = screen_text(app).splitlines()
        asking = next(line for line in lines if "asks something" in line)
        quiet = next(line for line in lines if "asks nothing" in line)
        assert "? asking" in asking and "? asking" not in quiet
        release.set()
        await settle(pilot)


async def test_a_first_page_still_being_read_when_the_app_mounts_is_drawn_once_read(
    orch, make, db_url, monkeypatch
):
    """The command line starts reading the first page before the app imports; if the
    read is not done when the app mounts, the list shows it as soon as it is."""
    import orchestrator_tui.store.quick as quick

    add(orch, "A", "first task")
    add(orch, "B", "second task")
    read_release = held(monkeypatch, quick, "read_first_page")
    open_release = held(monkeypatch, services, "open_orchestrator")
    app = make()
    app.early_page = quick.EarlyFirstPage(db_url, quick.FIRST_PAGE_ROWS)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            table = main_screen(app).table
            await pilot.pause(0.05)
            assert table.total == 0 and "first task" not in screen_text(app)
            read_release.set()
            await wait_until(pilot, lambda: table.total == 2, "the first page")
            assert not app.is_ready
            assert "first task" in screen_text(app) and "second task" in screen_text(app)
            assert type(table.row_at(0)).__name__ == "ListRow"  # no pydantic needed yet
            open_release.set()
            await settle(pilot)
            assert type(table.row_at(0)).__name__ == "TaskRow"  # the real load replaced it
    finally:
        read_release.set()
        open_release.set()

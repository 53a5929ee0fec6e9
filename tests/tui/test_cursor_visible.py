"""The selected row is always on screen: after clearing a filter, a tree jump that
clears the filter, creating a task while filtered, and a terminal resize."""

from __future__ import annotations

import pytest

from orchestrator_tui.ui.widgets.dep_tree import DependencyTree

from .conftest import add_chain, main_screen, notes, screen_lines, settle, started, wait_until

SIZES = [(160, 48), (80, 24)]


@pytest.fixture
def many(orch):
    return add_chain(orch, 60)


async def assert_cursor_shown(pilot, key: str) -> None:
    """The cursor is on `key` and its row is on screen (scrolling follows the next
    layout, so allow the app a moment to draw it)."""
    table = main_screen(pilot.app).table
    assert table.cursor_key == key

    def in_view() -> bool:
        top, body = int(table.scroll_y), table.scrollable_content_region.height - 1
        return top <= table.cursor < top + body

    await wait_until(pilot, in_view, f"{key}'s row to scroll into view", timeout=5.0)
    shown = [line for line in screen_lines(pilot.app) if f" {key} " in line]
    assert shown, f"{key} is not on the screen"


@pytest.mark.parametrize("size", SIZES)
async def test_clearing_a_filter_keeps_the_row_in_view(many, make, size):
    app = make()
    async with started(app, size) as pilot:
        await pilot.press("slash", *"PAY-46", "enter")
        await settle(pilot)
        assert main_screen(app).table.cursor_key == "PAY-46"
        await pilot.press("slash", "escape")
        await settle(pilot)
        await assert_cursor_shown(pilot, "PAY-46")
        await pilot.press("j")
        await settle(pilot)
        await assert_cursor_shown(pilot, "PAY-47")


@pytest.mark.parametrize("size", SIZES)
async def test_a_tree_jump_that_clears_the_filter_shows_the_row(many, make, size):
    app = make()
    async with started(app, size) as pilot:
        await pilot.press("slash", *"PAY-5", "enter")  # PAY-5, PAY-50..59
        await settle(pilot)
        main_screen(app).dep_tree.post_message(DependencyTree.JumpTo("PAY-44"))
        await settle(pilot)
        await settle(pilot)
        assert main_screen(app).table.query_state.text == ""
        await assert_cursor_shown(pilot, "PAY-44")


@pytest.mark.parametrize("size", SIZES)
async def test_creating_a_task_while_filtered_shows_it(many, make, size):
    app = make()
    async with started(app, size) as pilot:
        await pilot.press("slash", *"step 1", "enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"zz last", "ctrl+s")
        await settle(pilot)
        await settle(pilot)
        created = [r for r in many.queries.list_tasks() if r.title == "zz last"]
        assert len(created) == 1, "created"
        row = main_screen(app).table.cursor_row
        assert row is not None and row.title == "zz last", (created, notes(app))
        await assert_cursor_shown(pilot, row.key)


async def test_a_resize_keeps_the_row_in_view(many, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("G")
        await settle(pilot)
        await assert_cursor_shown(pilot, "PAY-60")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await settle(pilot)
        await assert_cursor_shown(pilot, "PAY-60")
        await pilot.resize_terminal(160, 48)
        await pilot.press("g")
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await assert_cursor_shown(pilot, "PAY-1")

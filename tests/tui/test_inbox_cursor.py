"""The inbox cursor: it stays where the person was after a decision, and g / G
reach the first and the last entry, as in the task list."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import TaskPatch
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen

from .conftest import FIXED, add, screen_text, settle, started, status, wait_until


def awaiting(orch, *keys: str) -> None:
    """Tasks awaiting approval, each an hour after the one before (listed in that order)."""
    for hours, key in enumerate(keys):
        add(orch, key, f"task {key}", status=TaskStatus.IN_PROGRESS, requires_approval=True)
        Orchestrator(orch.db, "bob", lambda h=hours: FIXED + timedelta(hours=h)).tasks.complete(key)


def highlighted(app) -> str:
    table = app.screen.query_one(DataTable)
    return table.get_row_at(table.cursor_row)[0].plain


async def test_after_a_decision_the_cursor_stays_at_its_place(orch, make):
    awaiting(orch, "P", "Q", "R", "S")
    app = make()
    async with started(app) as pilot:
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        await pilot.press("j", "j")
        assert highlighted(app) == "R"
        await pilot.press("a")
        await settle(pilot)
        assert status(orch, "R") == "done"
        assert highlighted(app) == "S"  # the next one moved up into the place, not P
        await pilot.press("a")
        await settle(pilot)
        assert status(orch, "S") == "done"
        assert highlighted(app) == "Q"  # the last one went: the one above it


async def test_g_and_shift_g_go_to_the_first_and_the_last_entry(orch, make):
    awaiting(orch, "P", "Q", "R")
    app = make()
    async with started(app) as pilot:
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("G")
        assert highlighted(app) == "R"
        await pilot.press("g")
        assert highlighted(app) == "P"


async def test_a_long_title_or_question_is_cut_with_an_ellipsis_at_80x24(orch, make):
    # At 80 columns the last column ran off the table's edge: "Migrate stored cards to to".
    long_title = "Migrate stored cards to tokens in the vault, in batches, " + "word " * 10
    add(orch, "P", long_title, status=TaskStatus.IN_PROGRESS, requires_approval=True)
    orch.tasks.complete("P")
    add(orch, "Q", "short", status=TaskStatus.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("Q", "Which of the two " + "long words " * 12 + "?")
    app = make()
    async with started(app, (80, 24)) as pilot:
        await pilot.press("i")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no h-scroll
        lines = screen_text(app).splitlines()
        for key, start in (("P", "Migrate stored cards"), ("Q", "Which of the two")):
            row = next(line for line in lines if line.startswith(f" {key} "))
            assert start in row and row.endswith("…"), row
        await pilot.resize_terminal(120, 24)
        await settle(pilot)
        wider = next(line for line in screen_text(app).splitlines() if line.startswith(" P "))
        assert len(wider) > len(row) and wider.endswith("…") and "in batches" in wider


async def test_the_title_column_still_fits_once_a_wider_entry_has_gone(orch, make):
    # An auto-sized column never narrowed: once the entry with a long "by" was decided,
    # the titles ran past the edge again, without their ellipsis.
    long_title = "Migrate stored cards to tokens in the vault, in batches of a thousand"
    awaiting(orch, "P")
    orch.tasks.edit("P", TaskPatch(title=long_title))
    add(orch, "Q", "short", status=TaskStatus.IN_PROGRESS, requires_approval=True)
    later = FIXED + timedelta(hours=5)
    Orchestrator(orch.db, "a-runner-with-a-long-name", lambda: later).tasks.complete("Q")
    app = make()
    async with started(app, (80, 24)) as pilot:
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        table = screen.query_one(DataTable)

        def listed(*keys: str) -> bool:
            """The list holds `keys`, its rows and columns made for its present width."""
            shown = [item.key for item in screen.items]
            return shown == list(keys) and screen.filled_width == table.size.width > 0

        await wait_until(pilot, lambda: listed("P", "Q"), "P and Q listed")
        await pilot.press("G", "a")  # Q, the newest, is approved and leaves the list
        await wait_until(pilot, lambda: listed("P"), "Q gone")
        assert status(orch, "Q") == "done"
        drawn = sum(column.get_render_width(table) for column in table.columns.values())
        assert drawn <= table.scrollable_content_region.width
        row = next(line for line in screen_text(app).splitlines() if line.startswith(" P "))
        assert row.endswith("…") and len(row) <= 80, row

"""80x24 is a first-class size: help and quit are always in the footer, and the
new-task form's Save is on screen without scrolling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual.widgets import Button

from orchestrator_tui.app import OrchestratorApp
from orchestrator_tui.ui.modals.task_form import TaskForm

from .conftest import add, screen_lines, settle, started


@pytest.fixture
def tasks(orch):
    for n in range(1, 30):
        add(orch, f"PAY-{n}", f"a rather long title for task number {n} of the plan")
    return orch


@asynccontextmanager
async def footer_after(
    app: OrchestratorApp, size: tuple[int, int], presses: tuple[str, ...]
) -> AsyncIterator[str]:
    """The footer line of `app` started in a `size` terminal, after `presses` (each
    settled); the app runs until the block ends."""
    async with started(app, size) as pilot:
        for key in presses:
            await pilot.press(key)
            await settle(pilot)
        yield screen_lines(app)[-1]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
@pytest.mark.parametrize("presses", [(), ("enter",), ("i",)], ids=["main", "detail", "inbox"])
async def test_help_and_quit_are_always_in_the_footer(tasks, make, size, presses):
    async with footer_after(make(), size, presses) as footer:
        assert footer.lstrip().startswith("?"), footer
        assert "Help" in footer and "Quit" in footer, footer


async def test_titles_keep_room_at_80_columns(tasks, make):
    app = make()
    async with started(app, (80, 24)):
        row = next(line for line in screen_lines(app) if " PAY-1 " in line)
        assert "a rather long title for" in row, row


async def test_the_form_can_be_saved_at_80x24(tasks, make):
    app = make()
    async with started(app, (80, 24)) as pilot:
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TaskForm)
        save = app.screen.query_one("#save", Button)
        region = save.region
        assert region.height and region.bottom <= 24 and region.right <= 80, region
        assert app.screen.get_widget_at(region.x + 1, region.y)[0] is save


@pytest.mark.parametrize("key", ["n", "e"], ids=["new", "edit"])
async def test_every_field_of_the_form_is_on_screen_at_80x24(tasks, make, key):
    """No field waits below the fold until tabbed to: each is drawn, whole, where
    the person sees it, without the form scrolling."""
    app = make()
    async with started(app, (80, 24)) as pilot:
        await pilot.press(key)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        fields = list(form.query("Input, TextArea, Select, Checkbox"))
        assert len(fields) >= (13 if key == "n" else 6)
        for field in fields:
            region = field.region
            assert region.height and region.bottom <= 24 and region.right <= 80, field
            assert form.get_widget_at(region.x, region.y)[0] in (field, *field.query("*"))
        assert form.query_one("#form-fields").scroll_y == 0


@pytest.mark.parametrize("presses", [(), ("enter",), ("i",)], ids=["main", "detail", "inbox"])
async def test_the_palette_key_ends_the_footer_with_nothing_after_it(tasks, make, presses):
    # The compact footer (under 120 columns) once left one column right of the
    # docked `^p palette`, where a cut-off key of the scrolled row showed through.
    async with footer_after(make(), (80, 24), presses) as footer:
        assert footer.rstrip().endswith("^p palette"), footer


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("presses", [(), ("enter",), ("i",)], ids=["main", "detail", "inbox"])
async def test_no_key_in_the_footer_is_cut_by_the_palette_key(tasks, make, size, presses):
    # At 160 columns the last key's label was cut before the docked palette key
    # (`^r Ru▏^p palette`), at 80 a key showed without its label (`a ▏^p palette`).
    from orchestrator_tui.ui.widgets.footer import footer_keys

    app = make()
    async with footer_after(app, size, presses) as footer:
        shown = footer.split("▏")[0].rstrip()
        labels = {f"{key.display} {key.description}".strip() for key in footer_keys(app.screen)[0]}
        assert any(shown.endswith(label) for label in labels), footer

"""Untrusted text shows literally everywhere and nothing in it runs: markup-like
titles, `[/]`, and terminal escape sequences (OSC 52, window title, cursor moves)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from orchestrator_tui.domain.enums import AgentType, TaskStatus
from orchestrator_tui.ui.modals.prompt import TextPrompt
from orchestrator_tui.ui.screens.detail import DetailScreen
from orchestrator_tui.ui.widgets.task_table import TaskTable

from .conftest import (
    HOSTILE_TITLES,
    add,
    main_screen,
    notes,
    open_detail,
    press_on,
    screen_text,
    select,
    settle,
    started,
)

S = TaskStatus
SHOWN = ["[@click=app.quit]x", "[/]", "[bold red]x", "clip moved"]  # escapes dropped


@pytest.fixture
def hostile(orch):
    for i, title in enumerate(HOSTILE_TITLES):
        add(orch, f"H{i}", title, description=f"desc {title}\n[link=x]second[/link] line")
    add(orch, "Z", "needs them", depends_on=[f"H{i}" for i in range(len(HOSTILE_TITLES))])
    add(orch, "G", "[@click=app.quit]gate", status=S.IN_PROGRESS, requires_approval=True)
    orch.as_actor("bob").tasks.complete("G")
    orch.agents.register("[red]agent\x1b[31m", AgentType.CODING)
    orch.collab.note("H0", "[b]note[/b] \x1b]0;pwned\x07")
    orch.as_actor("bob").tasks.start("H1")  # an event whose summary is plain
    return orch


def assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text


async def test_task_list_tree_and_dashboard_show_titles_literally(hostile, make):
    app = make()
    async with started(app, (200, 60)) as pilot:
        await select(pilot, "Z")
        text = screen_text(app)
        assert_clean(text)
        for shown in SHOWN:
            assert text.count(shown) >= 2, f"{shown!r} in the table and the tree"
        assert "[red]agent" in text, "agent names on the dashboard"
        await pilot.press("4", "G")  # scroll the dashboard down to its recent events
        await settle(pilot)
        text = screen_text(app)
        assert_clean(text)
        assert "[bold]note[/b]" in text or "note" in text
        assert "[@click=app.quit]gate" in text, "event summaries on the dashboard"


async def test_clicking_a_markup_title_runs_nothing(hostile, make):
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        # The title cell of the first row: G (keys sort naturally), a markup title too.
        await pilot.click(TaskTable, offset=(12, 1))
        await pilot.click(TaskTable, offset=(12, 1), times=2)
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, DetailScreen), "a double click opens the detail"
        assert table.cursor_key == "G"


async def test_detail_shows_description_notes_and_title_literally(hostile, make):
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "H0")
        text = screen_text(app)
        assert_clean(text)
        assert "H0  [@click=app.quit]x" in text
        assert "[link=x]second[/link] line" in text
        assert "[b]note[/b]" in text
        await pilot.press("escape")
        await open_detail(pilot, "H3")
        text = screen_text(app)
        assert_clean(text)
        assert "clip moved" in text


async def test_modals_and_notifications_show_text_literally(hostile, make):
    app = make()
    async with started(app, notifications=True) as pilot:
        await press_on(pilot, "G", "x")
        assert isinstance(app.screen, TextPrompt)
        assert "[@click=app.quit]gate" in screen_text(app)
        app.screen.query_one(Input).value = "[bold]no[/] \x1b[2J"
        await pilot.press("enter")
        await settle(pilot)
        assert hostile.queries.get_task("G").status is S.FAILED
        await select(pilot, "Z")
        await pilot.press("s")  # forced start: the prompt names the task
        await settle(pilot)
        assert "needs them" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("D")
        await settle(pilot)
        app.screen.query_one(Input).value = "[@click=app.quit]nope"
        await pilot.press("enter")
        await settle(pilot)
        assert any("[@click=app.quit]nope" in m for m in notes(app))
        await pilot.pause(0.2)
        text = screen_text(app)
        assert_clean(text)
        assert "[@click=app.quit]nope" in text, "the notification shows it literally"
        assert app.is_running


async def test_inbox_shows_titles_literally(hostile, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("i")
        await settle(pilot)
        text = screen_text(app)
        assert "[@click=app.quit]gate" in text
        assert_clean(text)
        await pilot.press("e")  # edit form on the main screen is elsewhere; nothing happens here
        assert app.is_running


async def test_edit_form_shows_the_title_without_escapes(hostile, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "H3", "e")
        assert app.screen.query_one("#title", Input).value == "clip moved"
        assert_clean(screen_text(app))
        await pilot.press("escape")
        await settle(pilot)
    assert hostile.queries.get_task("H3").title == HOSTILE_TITLES[3], "cancel writes nothing"


async def test_hostile_actor_name_in_the_header(db_url, orch, make):
    add(orch, "A", "plain")
    app = make(actor="[@click=app.quit]me")
    async with started(app):
        assert "as [@click=app.quit]me" in screen_text(app)

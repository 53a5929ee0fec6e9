"""Status colours: the list and the dashboard draw each status in the theme's colour
for it (styles/status.tcss), and in the new theme's once the theme changes."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.color import Color

from orchestrator_tui.domain.enums import TaskStatus as S
from orchestrator_tui.ui.render import STATUS_ICON, STATUS_LONG, STATUS_WORD

from .conftest import add, main_screen, select, settle, started

#: A status and the theme variable its words are drawn in (styles/status.tcss).
COLOURS = {S.DONE: "text-success", S.FAILED: "text-error", S.IN_PROGRESS: "text-primary"}


@pytest.fixture
def mixed(orch):
    add(orch, "D1", "alpha", status=S.DONE)
    add(orch, "F1", "bravo", status=S.FAILED)
    add(orch, "P1", "charlie", status=S.IN_PROGRESS)
    return orch


def expected(app, variable: str) -> str:
    """The theme colour as drawn on the panes' background."""
    variables = app.theme_variables
    return (Color.parse(variables["surface"]) + Color.parse(variables[variable])).hex


def drawn(style: Style) -> str:
    assert style.color is not None
    return Color.from_rich_color(style.color).hex


def colour_on_line(widget, key: str, text: str) -> str:
    """The colour `text` is drawn in on the line of `widget` that shows `key`."""
    for y in range(widget.size.height):
        strip = widget.render_line(y)
        if key in strip.text:
            for segment in strip:
                if text in segment.text and segment.style is not None:
                    return drawn(segment.style)
    raise AssertionError(f"{key}'s {text!r} is not on screen")


def table_word_colour(app, key: str, word: str) -> str:
    return colour_on_line(main_screen(app).table, key, word)


def dashboard_bar_colour(app, status: S) -> str:
    bars = main_screen(app).dashboard._shown["dash-bars"]  # the text it shows
    for span in bars.spans:
        if STATUS_LONG[status] in bars.plain[span.start : span.end]:
            return drawn(span.style)
    raise AssertionError(f"no bar for {status.value}")


async def test_status_words_in_the_themes_colours(mixed, make):
    app = make()
    async with started(app) as pilot:
        for theme in ("textual-dark", "nord"):
            app.theme = theme
            await settle(pilot)
            for key, status in (("D1", S.DONE), ("F1", S.FAILED), ("P1", S.IN_PROGRESS)):
                colour = expected(app, COLOURS[status])
                assert table_word_colour(app, key, STATUS_WORD[status]) == colour, theme
                assert dashboard_bar_colour(app, status) == colour, theme


def tree_icon_colour(app, key: str, status: S) -> str:
    """The colour of the status icon on `key`'s line of the dependency tree, as drawn."""
    return colour_on_line(main_screen(app).dep_tree, key, STATUS_ICON[status])


async def test_the_dependency_tree_in_the_themes_colours(orch, make):
    """Its labels are styled text made when a task's links load: a new theme
    redraws them in its colours (the root's line is under the cursor)."""
    add(orch, "D1", "alpha", status=S.DONE)
    add(orch, "P1", "charlie", status=S.IN_PROGRESS, depends_on=["D1"])
    add(orch, "F1", "bravo", status=S.FAILED, depends_on=["P1"])
    app = make()
    async with started(app) as pilot:
        await select(pilot, "P1")
        for theme in ("textual-dark", "nord", "textual-light"):
            app.theme = theme
            await settle(pilot)
            for key, status in (("D1", S.DONE), ("F1", S.FAILED)):
                colour = expected(app, COLOURS[status])
                assert tree_icon_colour(app, key, status) == colour, (theme, key)

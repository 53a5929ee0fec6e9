"""A key's frame is drawn from the widgets under its changed lines alone, and the
terminal shows the same screen as when every frame is drawn whole.

These guard `ui/changed_lines.py`, which overrides a private method of Textual's
compositor: if Textual stops calling it, the first test fails; if it changes what
the method's results mean, the second does."""

from __future__ import annotations

import pyte
import pytest
from textual.geometry import Region
from textual.widget import Widget

from orchestrator_tui.ui.changed_lines import ChangedLinesCompositor

from .conftest import add_chain, main_screen, settle, started

SIZES = [(160, 48), (80, 24)]


@pytest.fixture
def tasks(orch):
    return add_chain(orch, 40)


class Terminal:
    """A terminal fed every frame the main screen's compositor makes, as Textual
    writes it (the frames are made headless but not written)."""

    def __init__(self, app, size: tuple[int, int]) -> None:
        self.app = app
        self.screen = pyte.Screen(*size)
        self.stream = pyte.Stream(self.screen)
        self.frames: list[list[str]] = []  # per frame, the widgets the compositor asked
        compositor = main_screen(app)._compositor
        render_update = compositor.render_update

        def drawn(*args, **kwargs):
            update = render_update(*args, **kwargs)
            if update is not None:
                self.feed(update)
            return update

        compositor.render_update = drawn

    def feed(self, update) -> None:
        self.stream.feed(update.render_segments(self.app.console))

    def cells(self) -> list[list[tuple[str, str, str, bool, bool]]]:
        return [
            [(c.data, c.fg, c.bg, c.bold, c.reverse) for c in row.values()]
            for _, row in sorted(self.screen.buffer.items())
        ]


def whole(app, size: tuple[int, int]) -> Terminal:
    """The main screen drawn whole, at once, on a fresh terminal."""
    fresh = Terminal.__new__(Terminal)
    fresh.app = app
    fresh.screen = pyte.Screen(*size)
    fresh.stream = pyte.Stream(fresh.screen)
    fresh.feed(main_screen(app)._compositor.render_full_update())
    return fresh


def widgets_asked(monkeypatch) -> list[str]:
    """The class names of the widgets asked for lines from now on, in order."""
    asked: list[str] = []
    render_lines = Widget.render_lines

    def recorded(widget: Widget, crop: Region):
        asked.append(type(widget).__name__)
        return render_lines(widget, crop)

    monkeypatch.setattr(Widget, "render_lines", recorded)
    return asked


@pytest.mark.parametrize("size", SIZES)
async def test_the_screen_drawn_line_by_line_is_the_screen_drawn_whole(tasks, make, size):
    app = make()
    async with started(app, size) as pilot:
        screen = main_screen(app)
        assert isinstance(screen._compositor, ChangedLinesCompositor)
        terminal = Terminal(app, size)
        terminal.feed(screen._compositor.render_full_update())
        for keys in (["j"] * 30, ["k"] * 12):
            await pilot.press(*keys)
            await settle(pilot)
            assert terminal.cells() == whole(app, size).cells(), keys
        # Each filter key, its rows landed: the count goes 40, 11, 1 and back, and the
        # list's scrollbar stays or goes (at 80x24 the 11 rows still scroll).
        for key in ["slash", *"step 19", *["backspace"] * 3]:
            await pilot.press(key)
            await settle(pilot)
            assert terminal.cells() == whole(app, size).cells(), key
        await pilot.press("escape", "escape", "tab", "j", "j", "shift+tab", "j")
        await settle(pilot)
        assert terminal.cells() == whole(app, size).cells()
        assert "PAY-" in "\n".join(terminal.screen.display)


async def test_a_cursor_frame_asks_only_the_widgets_under_its_lines(tasks, make, monkeypatch):
    app = make()
    async with started(app):
        screen = main_screen(app)
        asked = widgets_asked(monkeypatch)
        table = screen.table
        row = table.cursor - int(table.scroll_y) + 1  # the cursor's line (under the header)
        table.refresh(Region(0, row, table.size.width, 1))
        screen._compositor.update_widgets({table})
        update = screen._compositor.render_update()
        assert update is not None
        assert "TaskTable" in asked
        for elsewhere in ("AppHeader", "KeyFooter", "DependencyTree", "Dashboard", "FilterBar"):
            assert elsewhere not in asked
        # Wholly behind the list on its changed line: not asked either.
        assert "MainScreen" not in asked and "Container" not in asked


async def test_a_frame_of_two_panes_asks_nothing_between_them(tasks, make, monkeypatch):
    # After the cursor rests the tree and the log pane change: the rectangle around
    # the two holds the dashboard and the list, which have not changed.
    app = make()
    async with started(app):
        screen = main_screen(app)
        asked = widgets_asked(monkeypatch)
        tree, log = screen.dep_tree, screen.log_pane
        tree.refresh(Region(0, 0, tree.size.width, 1))
        log.refresh(Region(0, 0, log.size.width, 1))
        screen._compositor.update_widgets({tree, log})
        assert screen._compositor.render_update() is not None
        assert "DependencyTree" in asked  # (the log pane's first line is its status line)
        for elsewhere in ("Dashboard", "TaskTable", "AppHeader", "KeyFooter"):
            assert elsewhere not in asked


async def test_a_count_that_keeps_the_scrollbar_lays_nothing_out(tasks, make):
    # 80x24: the list shows fewer than 11 rows, so 40 and 11 rows both scroll. Its
    # size is fixed: only its scrollbar shown or hidden moves anything on the screen.
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen, table = main_screen(app), main_screen(app).table
        await pilot.press("slash", *"step")
        await settle(pilot)
        assert table.total == 40 and table.show_vertical_scrollbar
        layouts: list[object] = []
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append)
        await pilot.press("space", "1")
        await settle(pilot)
        assert table.total == 11 and table.show_vertical_scrollbar
        assert layouts == []
        await pilot.press("9")  # one row: the scrollbar goes, which is a layout
        await settle(pilot)
        assert table.total == 1 and not table.show_vertical_scrollbar
        assert layouts

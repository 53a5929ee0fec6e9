"""The footer: one line of the screen's keys, the help and quit keys first, a key
that does not apply dimmed, only the keys that fit whole before `^p palette`, and
every key it shows pressed by a click."""

from __future__ import annotations

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.ui.screens.help import HelpScreen
from orchestrator_tui.ui.widgets.footer import (
    KeyFooter,
    PlacedKey,
    ShownKey,
    footer_keys,
    place_keys,
)

from .conftest import add, main_screen, screen_lines, select, settle, started, status, wait_until

S = TaskStatus


def key(display: str, description: str, enabled: bool = True) -> ShownKey:
    return ShownKey(display, display, description, description.lower(), enabled, "")


def columns(placed: list[PlacedKey]) -> list[tuple[str, int, int]]:
    return [(p.key.display, p.start, p.end) for p in placed]


def test_keys_are_placed_whole_up_to_the_palette_key():
    keys = [key("?", "Help"), key("q", "Quit"), key("a", "Approve"), key("b", "B")]
    palette = key("^p", "palette")
    # Compact (under 120 columns): `k Label`, one column apart; the palette key
    # (`▏^p palette`, 11 columns) ends the line. `a Approve` would reach it, so it
    # and every key after it (even `b B`, which would fit) are left out.
    placed = place_keys(keys, palette, 24)
    assert columns(placed) == [("?", 0, 6), ("q", 7, 13), ("^p", 13, 24)]
    assert placed[-1].palette
    # Wide: ` k Label ` side by side, and a space after `palette`.
    wide = place_keys(keys, palette, 120)
    assert columns(wide) == [
        ("?", 0, 8),
        ("q", 8, 16),
        ("a", 16, 27),
        ("b", 27, 32),
        ("^p", 108, 120),
    ]


def test_without_a_palette_key_the_keys_use_the_whole_line():
    keys = [key("?", "Help"), key("q", "Quit")]
    assert columns(place_keys(keys, None, 13)) == [("?", 0, 6), ("q", 7, 13)]
    assert columns(place_keys(keys, None, 12)) == [("?", 0, 6)]


def footer_line(app) -> str:
    return screen_lines(app)[-1]


async def test_the_footer_draws_what_it_places_and_leaves_out_what_does_not_fit(orch, make):
    add(orch, "PAY-1", "a task")
    app = make()
    async with started(app, (80, 24)):
        footer = app.screen.query_one(KeyFooter)
        keys, _palette = footer_keys(app.screen)
        shown = [p.key for p in footer.shown if not p.palette]
        assert shown == list(keys[: len(shown)]) and len(shown) < len(keys)
        line = footer_line(app)
        for placed in footer.shown:
            label = f"{placed.key.display} {placed.key.description}"
            assert line[placed.start : placed.end].strip("▏ ") == label, line
        left_out = keys[len(shown)]
        assert f"{left_out.display} {left_out.description}" not in line, line
        assert line.startswith("? Help q Quit") and line.endswith("▏^p palette"), line


async def test_a_key_that_does_not_apply_is_drawn_dimmed_and_follows_the_cursor(orch, make):
    add(orch, "DONE", "finished", status=S.DONE)
    add(orch, "PEND", "waiting to start")
    app = make()
    async with started(app) as pilot:
        footer = app.screen.query_one(KeyFooter)

        def dimmed(description: str) -> bool:
            placed = next(p for p in footer.shown if p.key.description == description)
            strip = footer.render_line(0).crop(placed.start, placed.end)
            return all(segment.style.dim for segment in strip if segment.text.strip())

        await select(pilot, "DONE")
        await wait_until(pilot, lambda: dimmed("Work"), "`s Work` dimmed on a done task")
        assert not dimmed("Help") and not dimmed("Reset")
        await select(pilot, "PEND")
        await wait_until(pilot, lambda: not dimmed("Work"), "`s Work` lit on a pending task")
        assert dimmed("Done")  # (a pending task cannot be marked done)


async def click_label(pilot, label: str) -> None:
    """Click the middle of `label` in the footer line (the screen's last row)."""
    app = pilot.app
    line = footer_line(app)
    assert label in line, line
    x = line.index(label) + len(label) // 2
    await pilot.click(offset=(x, app.size.height - 1))


async def test_a_click_on_a_key_presses_it(orch, make):
    add(orch, "PEND", "waiting to start")
    app = make()
    async with started(app) as pilot:
        await select(pilot, "PEND")
        await click_label(pilot, "s Work")
        await settle(pilot)
        assert status(orch, "PEND") == "in_progress"
        await click_label(pilot, "? Help")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_a_click_on_a_dimmed_key_rings_the_bell_and_writes_nothing(orch, make):
    add(orch, "DONE", "finished", status=S.DONE)
    app = make()
    async with started(app) as pilot:
        await select(pilot, "DONE")
        rings: list[None] = []
        app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
        before = orch.queries.last_event_id()
        await click_label(pilot, "s Work")
        await settle(pilot)
        assert rings and orch.queries.last_event_id() == before
        assert status(orch, "DONE") == "done"


async def test_the_mouse_over_a_key_highlights_it_and_shows_its_tooltip(orch, make):
    add(orch, "PEND", "waiting to start")
    app = make()
    async with started(app) as pilot:
        footer = app.screen.query_one(KeyFooter)
        line = footer_line(app)
        x = line.index("i Inbox") + 2
        plain = footer.render_line(0).crop(x, x + 1)
        await pilot.hover(offset=(x, 47))
        await pilot.pause()
        assert footer.tooltip == "Approvals inbox"
        lit = footer.render_line(0).crop(x, x + 1)
        assert [s.style.bgcolor for s in lit] != [s.style.bgcolor for s in plain]
        await pilot.hover(offset=(x, 20))  # away from the footer
        await pilot.pause()
        assert footer.tooltip is None
        assert main_screen(app).query_one(KeyFooter) is footer


async def test_every_inbox_key_is_on_an_80_column_screen(orch, make):
    """At 80x24 the footer shows the inbox's keys as far as they fit (up to Undo) and
    the hint line names the rest: no key the inbox shows is left out."""
    add(orch, "PAY-1", "a task", requires_approval=True)
    orch.tasks.start("PAY-1")
    orch.as_actor("bob").tasks.complete("PAY-1")
    app = make()
    async with started(app, (80, 24)) as pilot:
        await pilot.press("i")
        await settle(pilot)
        lines = screen_lines(app)
        line = footer_line(app)
        for shown in ("? Help", "q Quit", "⏎ Detail", "a Approve", "x Reject", "m Changes"):
            assert shown in line, line
        assert "y Answer" in line and "u Undo" in line, line
        # PAY-1 ran without a workspace: no diff, so no diff keys (test_review_pane).
        assert any(row.strip() == "esc back · j/k move" for row in lines), "\n".join(lines)


async def test_the_inbox_footer_shows_the_key_that_opens_a_tasks_detail(orch, make):
    from orchestrator_tui.services import Orchestrator
    from orchestrator_tui.ui.screens.approvals import ApprovalsScreen
    from orchestrator_tui.ui.screens.detail import DetailScreen

    add(orch, "REV", "to review", status=S.IN_PROGRESS, requires_approval=True)
    Orchestrator(orch.db, "bob").tasks.complete("REV")
    app = make()
    async with started(app, (160, 48)) as pilot:
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        footer = app.screen.query_one(KeyFooter)
        detail = [p.key for p in footer.shown if p.key.description == "Detail"]
        assert [(k.key, k.enabled) for k in detail] == [("enter", True)], footer_line(app)
        assert f"{detail[0].display} Detail" in footer_line(app)
        await pilot.press("enter")  # the key the footer shows does what it says
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)


async def test_a_remapped_key_keeps_its_place_in_the_footer(orch, make):
    """Textual's keymap re-adds a remapped binding last; the footer still shows it
    where the screen declares it, so remapping `s` to `S` does not push Work out of
    an 80-column footer."""
    add(orch, "A")
    default, remapped = make(), make(keymap={"task.start": "S"})
    orders = []
    for app in (default, remapped):
        async with started(app, (80, 24)):
            keys, _palette = footer_keys(main_screen(app))
            orders.append([k.description for k in keys])
            line = footer_line(app)
        assert " Work " in line, line
    assert orders[0] == orders[1]


def test_the_private_parts_of_textual_the_keys_read_are_as_pinned():
    """Textual 8.2 offers no public way to read the keymap an app set (`set_keymap` and
    `update_keymap` only write it) nor a node's own bindings before it: `host.py` reads
    `App._keymap` and `DOMNode._bindings`, and the footer puts a remapped key back in its
    place because `apply_keymap` moves it last. If this fails after upgrading Textual,
    look for a public way in the new version, and fix `host.textual_keymap`,
    `host.declared_bindings` and `footer._declared_places`."""
    from textual.app import App
    from textual.binding import Binding, BindingsMap
    from textual.widget import Widget

    from orchestrator_tui.ui.host import declared_bindings, textual_keymap

    class Keys(Widget):
        BINDINGS = [
            Binding("s", "start", "Work", id="t.start"),
            Binding("d", "done", "Done", id="t.done"),
        ]

    app = App()
    app.set_keymap({"t.start": "?"})
    assert textual_keymap(app) == {"t.start": "question_mark"}  # set, and normalised
    own = declared_bindings(Keys())
    assert isinstance(own, BindingsMap)
    assert [(key, b.action) for key, b in own] == [("s", "start"), ("d", "done")]
    remapped = own.copy()
    remapped.apply_keymap(textual_keymap(app))
    assert [(key, b.action) for key, b in remapped] == [("d", "done"), ("question_mark", "start")]

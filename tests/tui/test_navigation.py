"""Moving around: panes, cursor keys, filter, quick views, sort, the tree,
detail, the approvals inbox, help, the command palette, keymaps and themes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.console import Console
from textual.command import CommandPalette
from textual.events import Key
from textual.widgets import DataTable, Input

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.ui.commands import ActionCommands
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen
from orchestrator_tui.ui.screens.detail import DetailScreen
from orchestrator_tui.ui.screens.help import HelpScreen
from orchestrator_tui.ui.widgets.dashboard import Dashboard
from orchestrator_tui.ui.widgets.dep_tree import DependencyTree
from orchestrator_tui.ui.widgets.filter_bar import FilterInput
from orchestrator_tui.ui.widgets.log_pane import ExecutionLogPane
from orchestrator_tui.ui.widgets.task_table import TaskTable

from .conftest import (
    ACTOR,
    FIXED,
    add,
    main_screen,
    notes,
    open_detail,
    press_on,
    screen_text,
    select,
    settle,
    started,
    status,
    wait_until,
)

S = TaskStatus


@pytest.fixture
def chain(orch):
    """A -> B -> C (C waits for B, B for A), a ready, a failed and an awaiting task."""
    add(orch, "A", "alpha setup", status=S.DONE, priority="low")
    add(orch, "B", "bravo build", status=S.IN_PROGRESS, depends_on=["A"], priority="high")
    add(orch, "C", "charlie check", depends_on=["B"], priority="critical")
    add(orch, "D", "delta docs")
    add(orch, "F", "foxtrot flaky", status=S.FAILED)
    add(orch, "W", "whiskey wait", status=S.IN_PROGRESS, requires_approval=True)
    orch.as_actor("bob").tasks.complete("W")
    return orch


def visible_keys(app) -> list[str]:
    table = main_screen(app).table
    return [table.row_at(i).key for i in range(table.total)]


def focused_pane(app):
    """The pane widget holding the focus (the log pane focuses its log view)."""
    panes = (TaskTable, DependencyTree, ExecutionLogPane, Dashboard)
    for node in (app.focused, *app.focused.ancestors):
        if isinstance(node, panes):
            return type(node)
    return None


async def test_panes_by_number_and_tab(chain, make):
    app = make()
    async with started(app) as pilot:
        assert isinstance(app.focused, TaskTable)
        for key, kind in (("2", DependencyTree), ("3", ExecutionLogPane), ("4", Dashboard)):
            await pilot.press(key)
            assert focused_pane(app) is kind
        await pilot.press("1")
        assert isinstance(app.focused, TaskTable)
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(focused_pane(app))
        assert seen == [DependencyTree, ExecutionLogPane, Dashboard, TaskTable]
        await pilot.press("shift+tab")
        assert isinstance(app.focused, Dashboard)


async def test_narrow_terminal_shows_the_chosen_lower_pane(chain, make):
    app = make()
    async with started(app, (80, 24)) as pilot:
        screen = main_screen(app)
        assert screen.has_class("-narrow")
        for key, pane in (("3", "log"), ("4", "dashboard"), ("2", "tree")):
            await pilot.press(key)
            assert screen.query_one(f"#{pane}-pane").display is True
            hidden = [p for p in ("tree", "log", "dashboard") if p != pane]
            assert all(
                screen.query_one(f"#{p}-pane").has_class("-secondary-hidden") is not True
                for p in (pane,)
            )
            assert all(
                screen.query_one(f"#{p}-pane").has_class("-secondary-hidden") for p in hidden
            )


async def test_cursor_keys(chain, make):
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        await pilot.press("j", "j")
        assert table.cursor_key == "C"
        await pilot.press("k")
        assert table.cursor_key == "B"
        await pilot.press("G")
        await settle(pilot)
        assert table.cursor_key == "W"
        await pilot.press("g")
        assert table.cursor_key == "A"
        await pilot.press("down", "down", "up")
        assert table.cursor_key == "B"


async def test_filter_views_and_sort(chain, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("slash", *"bra")
        await settle(pilot)
        assert visible_keys(app) == ["B"]
        await pilot.press("enter")  # keep the filter
        await settle(pilot)
        assert isinstance(app.focused, TaskTable)
        assert visible_keys(app) == ["B"]
        assert "/bra" in screen_text(app)
        await pilot.press("slash", "escape")  # clear it
        await settle(pilot)
        assert visible_keys(app) == ["A", "B", "C", "D", "F", "W"]
        for key, expected in (("R", ["D"]), ("P", ["B"]), ("W", ["W"]), ("F", ["F"])):
            await pilot.press(key)
            await settle(pilot)
            assert visible_keys(app) == expected, key
        await pilot.press("A")
        await settle(pilot)
        assert len(visible_keys(app)) == 6
        await pilot.press("v")  # all -> ready
        await settle(pilot)
        assert visible_keys(app) == ["D"]
        await pilot.press("v", "v", "v", "v")  # running, awaiting, failed, back to all
        await settle(pilot)
        assert len(visible_keys(app)) == 6
        await pilot.press("o")  # key -> title
        await settle(pilot)
        assert visible_keys(app) == ["A", "B", "C", "D", "F", "W"]
        await pilot.press("O")
        await settle(pilot)
        assert visible_keys(app) == ["W", "F", "D", "C", "B", "A"]
        await pilot.press("o", "o")  # status, then priority (highest first)
        await settle(pilot)
        assert visible_keys(app)[:2] == ["C", "B"]


async def test_escape_in_the_list_clears_a_kept_filter(chain, make):
    # As in k9s or lazygit: the filter line says "/bra"; escape takes it away.
    app = make()
    async with started(app) as pilot:
        await pilot.press("slash", *"bra", "enter")
        await settle(pilot)
        assert visible_keys(app) == ["B"]
        await pilot.press("escape")
        await settle(pilot)
        assert visible_keys(app) == ["A", "B", "C", "D", "F", "W"]
        assert "/bra" not in screen_text(app)
        assert isinstance(app.focused, TaskTable)
        await pilot.press("slash", *"bra", "enter", "3", "slash")
        await settle(pilot)
        await pilot.press("escape")  # closes the log's search, and only that
        await settle(pilot)
        assert visible_keys(app) == ["B"]


async def test_filter_keeps_the_cursor_on_the_same_task(chain, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "C", "slash", *"ch", "enter")
        assert main_screen(app).table.cursor_key == "C"


async def test_tree_shows_both_directions_and_enter_jumps(chain, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "B")
        text = screen_text(app)
        assert "waits for (1)" in text and "needed by (1)" in text
        await pilot.press("2")
        tree = main_screen(app).dep_tree
        labels = []
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            labels.append(node.data.key if node and node.data and not node.data.group else None)
        tree.cursor_line = labels.index("C")
        await pilot.press("enter")
        await settle(pilot)
        assert main_screen(app).table.cursor_key == "C"
        assert isinstance(app.focused, TaskTable)


async def test_tree_expands_lazily(chain, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "C")
        tree = main_screen(app).dep_tree
        up = tree.root.children[0]
        b_node = up.children[0]
        assert b_node.data.key == "B" and not b_node.children
        b_node.expand()
        await settle(pilot)
        assert [n.data.key for n in b_node.children] == ["A"]


async def test_jump_to_a_filtered_out_task_clears_the_filter(chain, make):
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "B", "P")  # running only: B (W awaits approval)
        main_screen(app).dep_tree.post_message(DependencyTree.JumpTo("C"))
        await settle(pilot)
        await settle(pilot)
        assert main_screen(app).table.cursor_key == "C"
        assert main_screen(app).table.query_state.view == "all"


async def test_detail_screen_opens_and_closes(chain, make):
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "B")
        text = screen_text(app)
        assert "bravo build" in text and "Event timeline" in text and "waits for ✓ A" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main_screen(app)


async def test_approvals_inbox_lists_and_approves(chain, make):
    add(chain, "V", "victor verify", status=S.IN_PROGRESS, requires_approval=True)
    later = Orchestrator(chain.db, "bob", lambda: FIXED + timedelta(hours=1))
    later.tasks.complete("V")  # waits less long than W: listed after it
    app = make()
    async with started(app) as pilot:
        assert app.awaiting_approval == 2
        assert "◆ 2 awaiting approval" in screen_text(app)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        table = app.screen.query_one(DataTable)
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == ["W", "V"]
        await pilot.press("a")
        await settle(pilot)
        assert status(chain, "W") == "done"
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == ["V"]
        assert "◆ 1 awaiting approval" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.key == "V"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is main_screen(app)


async def test_help_lists_every_binding(chain, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        from orchestrator_tui.ui.screens.help import key_sections

        ids = [b.id for _, bindings in key_sections(app.BINDINGS) for b in bindings if b.id]
        assert len(ids) == len(set(ids)), "binding ids are unique"
        console = Console(width=200, record=True)
        console.print(app.screen._table())
        text = console.export_text()
        for binding_id in ids:
            assert binding_id in text
        assert "Start the selected (or marked) task" in text
        await pilot.press("escape")
        assert app.screen is main_screen(app)


async def test_help_scrolls_with_the_keys_of_every_other_list(chain, make):
    app = make()
    async with started(app, size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        body = app.screen.query_one("#help-body")
        await pilot.press("j", "j")
        await settle(pilot)
        assert body.scroll_y == 2
        await pilot.press("k")
        await settle(pilot)
        assert body.scroll_y == 1
        await pilot.press("G")
        await settle(pilot)
        assert body.scroll_y == body.max_scroll_y > 0
        await pilot.press("g")
        await settle(pilot)
        assert body.scroll_y == 0
        assert isinstance(app.screen, HelpScreen)


async def test_palette_runs_the_same_actions(chain, make):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "C")
        provider = ActionCommands(main_screen(app))
        hits = [hit async for hit in provider.search("start the selected")]
        assert hits, "the start action is offered"
        titles = [h.text for h in [hit async for hit in provider.discover()]]
        assert "Approve the selected task awaiting approval" not in titles, "disabled: not offered"
        assert "Undo your last change in this session, one step back per press" in titles
        await select(pilot, "F")
        hits = [hit async for hit in ActionCommands(main_screen(app)).search("reset")]
        reset = next(h for h in hits if h.text.startswith("Reset the selected"))
        await reset.command()
        await settle(pilot)
        assert status(chain, "F") == "pending"
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_palette_offers_the_focused_panes_keys(chain, make):
    # The footer of a focused pane shows its keys (the log's search, the tree's
    # jump); the palette offers the same commands and runs them on that pane.
    app = make()
    async with started(app) as pilot:
        await select(pilot, "C")
        await pilot.press("3")
        await settle(pilot)
        titles = [h.text async for h in ActionCommands(main_screen(app)).discover()]
        assert "Search" in titles and "Follow" in titles
        hits = [h async for h in ActionCommands(main_screen(app)).search("search")]
        await next(h for h in hits if str(h.text) == "Search").command()
        await settle(pilot)
        assert app.focused is app.screen.query_one(ExecutionLogPane).query_one(Input)
        await pilot.press("escape", "2")
        await settle(pilot)
        titles = [h.text async for h in ActionCommands(main_screen(app)).discover()]
        assert "Go to task" in titles and "Search" not in titles
        assert "Down" not in titles, "cursor moves are left to the keys"


async def test_keymap_remaps_by_binding_id(chain, make):
    app = make(keymap={"task.start": "S", "tasks.down": "ctrl+n"})
    async with started(app) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")  # A -> B -> C
        assert main_screen(app).table.cursor_key == "C"
        await pilot.press("s")
        await settle(pilot)
        assert status(chain, "C") == "pending", "the old key no longer starts"
        await press_on(pilot, "F", "S")
        assert status(chain, "F") == "in_progress"


async def test_theme_switch(chain, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        app.theme = "nord"
        await settle(pilot)
        assert app.theme == "nord"


async def test_typing_a_log_search_leaves_the_task_filter_alone(chain, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("3", "slash", "b", "r", "a", "v", "o")
        await settle(pilot)
        table = main_screen(app).table
        assert table.query_state.text == ""
        assert visible_keys(app) == ["A", "B", "C", "D", "F", "W"]


async def test_digits_and_slashes_are_text_in_the_filter(chain, make):
    """`/` and `1`-`4` are priority keys of the main screen; typing, they are text."""
    app = make()
    async with started(app) as pilot:
        await pilot.press("slash", "1", "3", "slash")
        await settle(pilot)
        field = main_screen(app).query_one(FilterInput)
        assert field.value == "13/" and app.focused is field


def type_ahead(app, *keys: str) -> None:
    """Queue `keys` at once, as a terminal delivers keys read together (pilot's
    `press` waits for each key to be handled, which hides the race)."""
    for key in keys:
        char = {"slash": "/", "escape": None, "enter": None}.get(key, key)
        event = Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


@pytest.mark.parametrize("leave", ["escape", "enter"])
async def test_keys_typed_after_leaving_the_filter_reach_the_list(chain, make, leave):
    app = make()
    async with started(app) as pilot:
        await select(pilot, "C")
        type_ahead(app, "slash", "c", leave, "j")  # `c` keeps C and D: `j` moves to D
        await settle(pilot)
        screen = main_screen(app)
        assert screen.query_one(FilterInput).value == ("" if leave == "escape" else "c")
        assert app.focused is screen.table
        assert screen.table.cursor_key == "D"
        assert visible_keys(app) == (["C", "D"] if leave == "enter" else visible_keys(app))
        assert status(chain, "C") == "pending" and status(chain, "D") == "pending"


async def test_the_list_sorts_keys_naturally_and_statuses_by_workflow(orch, make):
    for key in ("PAY-10", "PAY-2", "PAY-1"):
        add(orch, key, f"task {key}")
    orch.tasks.block("PAY-1")
    app = make()
    async with started(app) as pilot:
        assert visible_keys(app) == ["PAY-1", "PAY-2", "PAY-10"]
        await pilot.press("o", "o")  # key -> title -> status
        await settle(pilot)
        assert main_screen(app).table.query_state.sort == "status"
        assert visible_keys(app) == ["PAY-10", "PAY-2", "PAY-1"]  # pending before blocked


async def test_an_empty_database_says_how_to_add_tasks(make):
    app = make()
    async with started(app):
        text = screen_text(app)
        assert "no tasks yet: n adds one, ctrl+o imports" in text
        assert "no tasks match" not in text


async def test_the_detail_timeline_reads_as_sentences(orch, make):
    from orchestrator_tui.domain.models import TaskPatch

    add(orch, "T", "timeline task")
    orch.tasks.edit("T", TaskPatch(requires_approval=True))
    orch.tasks.start("T")
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "T")
        text = screen_text(app)
        assert "changed requires approval from no to yes" in text
        assert "moved from pending to in progress" in text
        assert "{" not in text and "before=" not in text


async def test_an_unknown_keymap_id_is_named(chain, make):
    app = make(keymap={"task.strat": "S", "task.start": "S"})
    shown: list[str] = []
    notify = app.notify  # recorded when shown: on a loaded machine it may expire before a read
    app.notify = lambda message, **kw: (shown.append(message), notify(message, **kw))[-1]
    async with started(app):
        warned = [n for n in shown if "keymap" in n]
        assert warned and "task.strat" in warned[0] and "task.start" not in warned[0]


async def test_the_theme_is_kept_for_the_next_start(chain, make, tmp_path):
    from orchestrator_tui.ui.keymap import load_settings

    settings = tmp_path / "config" / "settings.yaml"
    app = make(settings_file=settings)
    async with started(app) as pilot:
        app.theme = "nord"
        await settle(pilot)
    assert load_settings(settings) == ({"theme": "nord"}, None)
    again = make(settings_file=settings, theme=load_settings(settings)[0]["theme"])
    async with again.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
    assert make(theme="no-such-theme").theme != "no-such-theme"


BROKEN_SETTINGS = "theme: nord\napproval_alert: off\nmy note: [unclosed\n"


async def test_a_settings_file_that_cannot_be_read_is_not_overwritten(chain, make, tmp_path):
    """A hand edit halfway done (invalid YAML) is kept: picking a theme says why it
    was not saved instead of replacing the file with the theme alone."""
    settings = tmp_path / "settings.yaml"
    settings.write_text(BROKEN_SETTINGS)
    app = make(settings_file=settings)
    async with started(app) as pilot:
        app.theme = "nord"
        await settle(pilot)
        refusal = [n for n in notes(app) if "not saved" in n]
        assert refusal and refusal[0].startswith(f"theme not saved: settings {settings} cannot")
        assert "invalid YAML" in refusal[0] and "left as it is" in refusal[0]
    assert settings.read_text() == BROKEN_SETTINGS


def test_a_settings_file_that_cannot_be_read_is_named_at_start(tmp_path, monkeypatch):
    """In the words the keymap's refusal uses: `settings <path> ignored: invalid YAML: ...`."""
    from orchestrator_tui.app import OrchestratorApp, run_app

    settings = tmp_path / "settings.yaml"
    settings.write_text(BROKEN_SETTINGS)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no keymap file
    monkeypatch.setenv("ORCHESTRATOR_TUI_SETTINGS", str(settings))
    shown: list[str] = []
    monkeypatch.setattr(OrchestratorApp, "run", lambda app: shown.extend(app.startup_notes))
    assert run_app(str(tmp_path / "o.db"), "alice") == 0
    assert len(shown) == 1, shown
    assert shown[0].startswith(f"settings {settings} ignored: invalid YAML: "), shown
    assert "at line 4, column 1" in shown[0] and "\n" not in shown[0]


def test_saving_a_setting_keeps_the_other_entries_of_the_file(tmp_path):
    from orchestrator_tui.ui.keymap import load_settings, save_setting

    settings = tmp_path / "settings.yaml"
    settings.write_text("approval_alert: off\nlater: [1, 2]\ntheme: nord\n")
    assert save_setting(settings, "theme", "dracula") is None
    assert load_settings(settings) == ({"approval_alert": "off", "theme": "dracula"}, None)
    assert "later:" in settings.read_text()


async def test_picking_a_theme_saves_it_off_the_ui_thread(chain, make, tmp_path, monkeypatch):
    """The settings file is read and written in a worker: a slow disk never holds a frame."""
    import threading

    from orchestrator_tui.ui import keymap

    saved_on: list[int] = []
    save = keymap.save_setting

    def recording(*args, **kw):
        saved_on.append(threading.get_ident())
        return save(*args, **kw)

    monkeypatch.setattr(keymap, "save_setting", recording)
    settings = tmp_path / "settings.yaml"
    app = make(settings_file=settings)
    async with started(app) as pilot:
        app.theme = "nord"
        app.theme = "dracula"  # the last pick is the one kept
        await settle(pilot)
    assert saved_on and threading.get_ident() not in saved_on
    assert keymap.load_settings(settings) == ({"theme": "dracula"}, None)


def test_saving_a_setting_keeps_the_comments_and_words_of_the_file(tmp_path):
    from orchestrator_tui.ui.keymap import load_settings, save_setting

    settings = tmp_path / "settings.yaml"
    written = "# mine\napproval_alert: off  # quiet\ntheme: nord   # dark ones\nlater: [1, 2]\n"
    settings.write_text(written)
    assert save_setting(settings, "theme", "dracula") is None
    assert settings.read_text() == written.replace("theme: nord", "theme: dracula")
    settings.write_text("# mine\napproval_alert: off")  # no theme yet, no newline at the end
    assert save_setting(settings, "theme", "nord") is None
    assert settings.read_text() == "# mine\napproval_alert: off\ntheme: nord\n"
    # A form the line edit cannot be sure of is written whole, every entry kept.
    settings.write_text("{theme: nord, approval_alert: off}\n")
    assert save_setting(settings, "theme", "dracula") is None
    assert load_settings(settings) == ({"theme": "dracula", "approval_alert": "off"}, None)


async def test_the_header_can_name_the_whole_database_path(chain, make, db_url):
    app = make()
    app.full_location = True
    async with started(app):
        assert db_url in screen_text(app).splitlines()[0]


async def test_at_80_columns_the_header_still_says_who_acts(chain, make, db_url):
    """The whole path of the demo's database is long; who acts must not be cut off."""
    app = make()
    app.full_location = True
    async with started(app, (80, 24)):
        assert f"as {ACTOR}" in screen_text(app).splitlines()[0]


async def test_at_80_columns_a_task_detail_header_still_says_who_acts(chain, make, orch):
    """A task's screen title and a question count leave little room: the name of
    who acts goes last, never `as` without it."""
    add(orch, "A-10000", "a task with a long key", status=S.IN_PROGRESS)
    orch.as_actor("bot").questions.ask("A-10000", "which way?")
    app = make()
    app.full_location = True
    async with started(app, (80, 24)) as pilot:
        await pilot.press("j", "enter")
        await settle(pilot)
        line = screen_text(app).splitlines()[0]
        assert line.lstrip().startswith("task A") and "? 1 question to answer" in line, line
        assert f"as {ACTOR} " in line, line


@pytest.mark.parametrize("press", ["", "i"], ids=["main", "inbox"])
async def test_at_80_columns_the_header_still_shows_where_the_database_is(
    chain, make, db_url, orch, press
):
    """The demo's path is what another terminal needs for --db: when the line is
    short, the product's name goes first, then the start of the path."""

    def header() -> str:
        line = screen_text(app).splitlines()[0]
        assert f"as {ACTOR}" in line and "1 awaiting approval" in line, line
        return line

    def path_shown() -> bool:
        shown = header().split(f"as {ACTOR}")[1].split("  ")[1]
        return shown == db_url or (
            shown.startswith("…") and db_url.endswith(shown[1:]) and len(shown) > 12
        )

    app = make(poll_interval=0.1)
    app.full_location = True
    async with started(app, (80, 24)) as pilot:
        if press:
            await pilot.press(press)
            await settle(pilot)
        assert path_shown(), header()
        # A question's count takes the room on the right; answered, the path is back.
        orch.as_actor("bot").questions.ask("C", "which way?")
        await wait_until(pilot, lambda: "? 1 question to answer" in header(), "the count")
        orch.questions.answer("C", "left")
        await wait_until(pilot, lambda: "question" not in header(), "the count to go")
        await wait_until(pilot, path_shown, "the path again")


async def test_ages_move_on_while_the_screen_is_open(chain, make):
    chain.agents.register("ada")
    now = [FIXED]
    app = make()
    app.clock = lambda: now[0]
    async with started(app) as pilot:
        agents = main_screen(app).dashboard.query_one("#dash-agents")
        assert "♥ 0s ago" in str(agents.render())
        now[0] = FIXED + timedelta(minutes=5)
        # The ages tick every second; no reload happens (a loaded machine may take longer).
        await wait_until(pilot, lambda: "♥ 5m ago" in str(agents.render()), "the age to tick")

        def inbox_row() -> str:
            return next(line for line in screen_text(app).splitlines() if " W " in line)

        await pilot.press("i")
        await settle(pilot)
        assert " 5m " in inbox_row(), inbox_row()
        now[0] = FIXED + timedelta(hours=2, minutes=5)
        await wait_until(pilot, lambda: " 2h " in inbox_row(), "the inbox's age to tick")


def test_settings_read_on_and_off_as_words(tmp_path):
    from orchestrator_tui.ui.keymap import load_settings

    path = tmp_path / "settings.yaml"
    path.write_text("approval_alert: off\ntheme: nord\nother: [1]\n")
    assert load_settings(path) == ({"approval_alert": "off", "theme": "nord"}, None)


async def test_editing_keys_work_in_the_filter(chain, make):
    app = make()
    async with started(app) as pilot:
        await pilot.press("slash", *"brax", "backspace", "home", "delete", "end", "o")
        await settle(pilot)
        assert main_screen(app).query_one(FilterInput).value == "rao"

"""Packaging and structure: styles exist, the first frame does not wait for
sqlmodel, every binding has an id, and pure helpers behave."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual.binding import Binding

from orchestrator_tui.app import OrchestratorApp, short_location
from orchestrator_tui.ui.keymap import load_keymap
from orchestrator_tui.ui.render import age, bar, progress_bar, safe
from orchestrator_tui.ui.screens.help import key_sections
from orchestrator_tui.ui.style_sheets import ALL_STYLES, APP_STYLES
from orchestrator_tui.ui.task_query import TableQuery
from orchestrator_tui.ui.widgets.task_table import fit, layout


def _our_screens() -> list[type]:
    """Every screen class the app defines (its modules imported)."""
    import importlib
    import pkgutil

    from textual.screen import Screen

    import orchestrator_tui.ui as ui

    for module in pkgutil.walk_packages(ui.__path__, "orchestrator_tui.ui."):
        importlib.import_module(module.name)
    found, todo = [], [Screen]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("orchestrator_tui."):
                found.append(sub)
    return found


def test_every_css_path_exists():
    assert OrchestratorApp.CSS_PATH
    for path in ALL_STYLES:
        assert Path(path).is_file(), path
        assert Path(path).parent.name == "styles"
    assert sorted(Path(p).name for p in ALL_STYLES) == sorted(
        p.name for p in Path(ALL_STYLES[0]).parent.glob("*.tcss")
    ), "every style sheet is loaded by something"


def test_each_screen_brings_its_styles_and_the_first_frame_only_the_main_screens():
    from orchestrator_tui.ui.screens.actions import TaskActions
    from orchestrator_tui.ui.screens.main import MainScreen

    assert OrchestratorApp.CSS_PATH == APP_STYLES
    screens = [s for s in _our_screens() if s not in (MainScreen, TaskActions)]
    assert len(screens) >= 10
    for screen in screens:
        assert screen.CSS_PATH, f"{screen.__qualname__} needs its style sheet (CSS_PATH)"
        assert set(screen.CSS_PATH) <= set(ALL_STYLES) - set(APP_STYLES), screen


def test_styles_use_theme_variables_not_literal_colours():
    literal = re.compile(r"(color|background|border[\w-]*)\s*:[^;]*(#[0-9a-fA-F]{3,8}\b|rgb\()")
    for path in ALL_STYLES:
        assert not literal.search(Path(path).read_text()), f"{path}: use $variables"


def test_importing_the_app_does_not_import_sqlmodel():
    code = (
        "import sys; import orchestrator_tui.app as a; a.make_app('x.db', 'me');"
        "print('sqlmodel' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_importing_the_app_leaves_out_what_the_first_screen_does_not_show():
    later = [
        "orchestrator_tui.ui.modals.task_form",
        "orchestrator_tui.ui.modals.transfer",
        "orchestrator_tui.ui.screens.help",
        "orchestrator_tui.ui.key_suggester",
    ]
    code = (
        f"import sys; import orchestrator_tui.app; print([m for m in {later} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_binding_has_a_unique_id():
    from orchestrator_tui.ui.screens.help import EXTRA_APP, EXTRA_LOG, EXTRA_TREE

    textuals_own = {id(b) for b in (*EXTRA_APP, *EXTRA_TREE, *EXTRA_LOG)}
    ids = []
    for _title, bindings in key_sections(OrchestratorApp.BINDINGS):
        for binding in bindings:
            assert isinstance(binding, Binding)
            if id(binding) in textuals_own:
                continue  # Textual's own, listed for completeness
            assert binding.id, f"{binding.key} -> {binding.action} has no id"
            ids.append(binding.id)
    assert len(ids) == len(set(ids))


def test_keymap_file(tmp_path):
    path = tmp_path / "keymap.yaml"
    assert load_keymap(path) == ({}, None)
    path.write_text("task.start: S\ntasks.down: j,ctrl+n\n")
    assert load_keymap(path) == ({"task.start": "S", "tasks.down": "j,ctrl+n"}, None)
    path.write_text("- not a mapping\n")
    keymap, problem = load_keymap(path)
    assert keymap == {} and "ignored" in problem


def test_table_query_transitions():
    q = TableQuery()
    assert q.sorted_by("title").sort == "title"
    assert q.sorted_by("key").descending is True  # the same column flips
    assert q.sorted_by("priority").descending is True  # most urgent first
    assert q.next_view().view == "ready" and q.with_view("failed").view == "failed"
    with pytest.raises(ValueError):
        q.sorted_by("readiness")
    flt = q.with_text("  abc ").with_view("awaiting").to_filter()
    assert flt.text == "abc" and {s.value for s in flt.statuses} == {"awaiting_approval"}


def test_layout_drops_columns_when_narrow():
    wide = [c.name for c, _ in layout(150, 8)]
    assert wide == [
        "mark",
        "key",
        "title",
        "status",
        "priority",
        "assignee",
        "progress",
        "readiness",
    ]
    narrow = [c.name for c, _ in layout(60, 8)]
    assert "assignee" not in narrow and "title" in narrow and "status" in narrow
    for width in (40, 60, 80, 150):
        columns = layout(width, 8)
        assert sum(w for _, w in columns) + len(columns) - 1 <= max(width, 60)


def test_render_helpers():
    assert fit("abcdef", 4) == "abc…" and fit("ab", 4) == "ab  " and fit("漢字漢字", 5) == "漢字…"
    assert safe("a\x1b]52;c;eA==\x07b\nc") == "ab c"
    assert progress_bar(0) == "░░░░   0%" and progress_bar(100) == "████ 100%"
    assert bar(0, 10, 10) == "" and bar(10, 10, 10) == "█" * 10
    assert [age(s) for s in (None, 5, 125, 7200, 200000)] == ["never", "5s", "2m", "2h", "2d"]
    assert short_location("/tmp/a/b.db") == "b.db"
    assert short_location("sqlite:////tmp/x.db") == "x.db"
    assert short_location("postgresql://u:secret@host/db") == "host/db"


def test_a_keymap_that_is_not_yaml_is_named_in_one_line(tmp_path):
    """The start's notification is one line, as every background failure is."""
    path = tmp_path / "keymap.yaml"
    path.write_text("task.start: [S\n")
    keymap, problem = load_keymap(path)
    assert keymap == {}
    assert problem == (
        f"keymap {path} ignored: invalid YAML: while parsing a flow sequence, "
        "expected ',' or ']', but got '<stream end>' at line 2, column 1"
    )

"""One source for keys: every binding of every pane and dialog is in `?` help and
in the README's keys table, both made from the bindings themselves."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from rich.console import Console
from textual.binding import Binding

import orchestrator_tui.ui as ui_package
from orchestrator_tui.app import OrchestratorApp
from orchestrator_tui.ui.screens.help import HelpScreen, key_sections, keys_markdown

from .conftest import add, screen_text, settle, started

README = Path(__file__).resolve().parents[2] / "README.md"


def bound_classes() -> list[type]:
    """Every class in the ui package (and the app) that declares its own BINDINGS."""
    found: list[type] = [OrchestratorApp]
    for info in pkgutil.walk_packages(ui_package.__path__, ui_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in vars(cls):
                found.append(cls)
    return found


def test_every_binding_is_in_the_help():
    listed = {
        id(b) for _title, bindings in key_sections(OrchestratorApp.BINDINGS) for b in bindings
    }
    missing = [
        f"{cls.__name__}: {b.id or b.key}"
        for cls in bound_classes()
        for b in vars(cls)["BINDINGS"]
        if isinstance(b, Binding) and id(b) not in listed
    ]
    assert not missing, f"bindings missing from key_sections(OrchestratorApp.BINDINGS): {missing}"


def test_readme_keys_table_is_the_bindings():
    text = README.read_text()
    begin, end = "<!-- keys:begin -->\n", "<!-- keys:end -->"
    assert begin in text and end in text
    table = text[text.index(begin) + len(begin) : text.index(end)]
    assert table == keys_markdown(OrchestratorApp.BINDINGS), (
        "README keys table is out of date: "
        "python -m orchestrator_tui.app, and paste it between the markers"
    )


async def test_help_lists_the_execution_log_keys_with_the_keymap_applied(orch, make):
    add(orch, "A", "a task")
    app = make(keymap={"log.follow": "ctrl+f"})
    async with started(app) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Keys (escape closes)" in screen_text(app)
        console = Console(width=160, record=True)
        console.print(app.screen._table())
        text = console.export_text()
        for wanted in ("Execution log (pane 3)", "log.older_run", "Quit when they finish"):
            assert wanted in text, wanted
        follow = next(line for line in text.splitlines() if "log.follow" in line)
        assert follow.split()[0] == "^f", follow

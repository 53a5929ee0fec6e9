"""Every key, grouped by where it works, as currently mapped (keymap included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import key_to_character
from textual.screen import ModalScreen
from textual.widgets import Static

from ..style_sheets import SCREEN_STYLES


def key_sections(app_bindings: Sequence[BindingType]) -> list[tuple[str, list[Binding]]]:
    """(section title, bindings) for everything the app binds: the one list the
    help screen, the README's keys table and its test are made from. `app_bindings`
    are the app's own (the screens live below the app and do not import it)."""
    from ..modals.prompt import Confirm, PickTask, TextPrompt
    from ..modals.quit import QuitWhileRunning
    from ..modals.task_form import TaskForm
    from ..modals.transfer import ImportDialog, ImportReportScreen
    from ..widgets.dashboard import Dashboard
    from ..widgets.dep_tree import DependencyTree
    from ..widgets.diff_view import DiffView
    from ..widgets.filter_bar import FilterInput
    from ..widgets.log_pane import ExecutionLogPane, LogView
    from ..widgets.task_table import TaskTable
    from .approvals import ApprovalsScreen
    from .detail import DetailScreen
    from .main import MainScreen

    sections: list[tuple[str, list[BindingType]]] = [
        ("Anywhere", [*app_bindings, *EXTRA_APP]),
        ("Main screen", MainScreen.BINDINGS),
        ("Task list (pane 1)", TaskTable.BINDINGS),
        ("Filter (after /)", FilterInput.BINDINGS),
        ("Dependency tree (pane 2)", [*DependencyTree.BINDINGS, *EXTRA_TREE]),
        ("Execution log (pane 3)", [*ExecutionLogPane.BINDINGS, *LogView.BINDINGS, *EXTRA_LOG]),
        ("Dashboard (pane 4)", Dashboard.BINDINGS),
        ("Approvals inbox", ApprovalsScreen.BINDINGS),
        ("Task detail", DetailScreen.BINDINGS),
        ("Diff of a task's changes (inbox and detail)", DiffView.BINDINGS),
        (
            "Dialogs",
            [
                *TextPrompt.BINDINGS,
                *Confirm.BINDINGS,
                *PickTask.BINDINGS,
                *TaskForm.BINDINGS,
                *ImportDialog.BINDINGS,
                *ImportReportScreen.BINDINGS,
                *QuitWhileRunning.BINDINGS,
            ],
        ),
        ("Help", HelpScreen.BINDINGS),
    ]
    return [(title, [b for b in found if isinstance(b, Binding)]) for title, found in sections]


EXTRA_APP: list[BindingType] = [
    Binding("ctrl+p", "command_palette", "Command palette (every action by name)"),
]
EXTRA_TREE: list[BindingType] = [
    Binding("space", "toggle_node", "Expand or collapse"),
    Binding("up,down", "cursor", "Move"),
]
EXTRA_LOG: list[BindingType] = [
    Binding("up,down,pageup,pagedown", "scroll", "Scroll by a line or a page"),
    Binding("home,end", "scroll_home", "First / last line (end follows new output)"),
]


def plain_keys(binding: Binding) -> str:
    """The keys of a binding as typed (`?`, `ctrl+r`, `[`), without any app."""
    labels = []
    for key in binding.key.split(","):
        key = key.strip()
        char = "/" if key == "slash" else key_to_character(key)
        labels.append(char if char and char.isprintable() and not char.isspace() else key)
    return ", ".join(labels)


def keys_markdown(app_bindings: Sequence[BindingType]) -> str:
    """The README's keys table, made from `key_sections()` (a test compares them)."""
    lines = ["| where | keys | what | keymap id |", "| --- | --- | --- | --- |"]
    for title, bindings in key_sections(app_bindings):
        for binding in bindings:
            keys = " ".join(f"`{k}`" for k in plain_keys(binding).split(", "))
            what = (binding.tooltip or binding.description or binding.action).replace("|", "/")
            ident = f"`{binding.id}`" if binding.id else ""
            lines.append(f"| {title} | {keys} | {what} | {ident} |")
    return "\n".join(lines) + "\n"


def keys_for(app: App[object], binding: Binding) -> str:
    """The keys a binding answers to now (after any keymap), for display."""
    keymap: dict[str, str] = getattr(app, "keymap", {}) or {}
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(
        app.get_key_display(replace(binding, key=k.strip(), key_display=None))
        for k in keys.split(",")
    )


class HelpScreen(ModalScreen[None]):
    CSS_PATH = SCREEN_STYLES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
        Binding("j", "scroll(1)", "Down", show=False, id="help.down"),
        Binding("k", "scroll(-1)", "Up", show=False, id="help.up"),
        Binding("g", "scroll_to('home')", "Top", show=False, id="help.top"),
        Binding("G", "scroll_to('end')", "Bottom", show=False, id="help.bottom"),
    ]

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_scroll_to(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if where == "home":
            body.scroll_home(animate=False)
        else:
            body.scroll_end(animate=False)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys (escape closes)", style="bold"), id="help-title")
            yield Static(self._table(), id="help-keys")

    def _table(self) -> Group:
        """A title and a two-column grid per section, so narrow terminals wrap only
        the description (keymap id dim at its end); the key column is as wide as the
        widest key of all sections, not as a section's title."""
        sections = [
            (title, [(keys_for(self.app, item), item) for item in bindings])
            for title, bindings in key_sections(self.app.BINDINGS)
        ]
        width = max(cell_len(keys) for _, rows in sections for keys, _ in rows)
        parts: list[RenderableType] = []
        for title, rows in sections:
            heading = Text(title, style="bold underline")
            heading.append("   keymap id", style="dim")
            parts += [Text(""), heading]
            table = Table.grid(padding=(0, 2), expand=True)
            table.add_column(no_wrap=True, width=width)
            table.add_column(ratio=1)
            for keys, item in rows:
                what = Text(item.tooltip or item.description or item.action)
                if item.id:
                    what.append(f"  {item.id}", style="dim")
                table.add_row(Text(keys, style="bold"), what)
            parts.append(table)
        return Group(*parts)

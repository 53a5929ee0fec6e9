"""Every key, grouped by where it works, as currently mapped (keymap included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_sections(app_bindings: Sequence[BindingType]) -> list[tuple[str, list[BindingType]]]:
    """(section title, bindings) for everything the app binds; `app_bindings` are the
    app's own (the screen lives below the app and does not import it)."""
    from ..modals.prompt import Confirm, TextPrompt
    from ..modals.task_form import TaskForm
    from ..modals.transfer import ImportDialog, ImportReportScreen
    from ..widgets.dashboard import Dashboard
    from ..widgets.dep_tree import DependencyTree
    from ..widgets.diff_view import DiffView
    from ..widgets.filter_bar import FilterInput
    from ..widgets.task_table import TaskTable
    from .approvals import ApprovalsScreen
    from .detail import DetailScreen
    from .main import MainScreen

    return [
        ("Anywhere", [*app_bindings, *EXTRA_APP]),
        ("Main screen", MainScreen.BINDINGS),
        ("Task list (pane 1)", TaskTable.BINDINGS),
        ("Dependency tree (pane 2)", [*DependencyTree.BINDINGS, *EXTRA_TREE]),
        ("Dashboard (pane 4)", Dashboard.BINDINGS),
        ("Filter input", FilterInput.BINDINGS),
        ("Approvals inbox", ApprovalsScreen.BINDINGS),
        ("Task detail", DetailScreen.BINDINGS),
        ("Diff of a task's changes (inbox and detail)", DiffView.BINDINGS),
        (
            "Dialogs",
            [
                *TextPrompt.BINDINGS,
                *Confirm.BINDINGS,
                *TaskForm.BINDINGS,
                *ImportDialog.BINDINGS,
                *ImportReportScreen.BINDINGS,
            ],
        ),
    ]


EXTRA_APP: list[BindingType] = [
    Binding("ctrl+p", "command_palette", "Command palette (every action by name)"),
]
EXTRA_TREE: list[BindingType] = [
    Binding("space", "toggle_node", "Expand or collapse"),
    Binding("up,down", "cursor", "Move"),
]


def keys_for(app: App[object], binding: Binding) -> str:
    """The keys a binding answers to now (after any keymap), for display."""
    keymap: dict[str, str] = getattr(app, "keymap", {}) or {}
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(
        app.get_key_display(replace(binding, key=k.strip(), key_display=None))
        for k in keys.split(",")
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys (escape closes)", style="bold"), id="help-title")
            yield Static(self._table(), id="help-keys")

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        table.add_column(no_wrap=True, style="dim")
        for title, bindings in key_sections(self.app.BINDINGS):
            table.add_row(Text(""), Text(""), Text(""))
            table.add_row(Text(title, style="bold underline"), Text(""), Text("keymap id"))
            for item in bindings:
                if not isinstance(item, Binding):
                    continue
                table.add_row(
                    Text(keys_for(self.app, item), style="bold"),
                    Text(item.tooltip or item.description or item.action),
                    Text(item.id or ""),
                )
        return table

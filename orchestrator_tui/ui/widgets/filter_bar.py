"""The line above the task list: the text filter (an input that `/` opens) and
what the list shows (view, sort, counts, marks)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from ..render import safe
from ..task_query import TableQuery


class FilterInput(Input):
    BINDINGS = [
        Binding("escape", "cancel", "Clear filter", id="filter.cancel"),
        Binding("enter", "accept", "Keep filter", id="filter.accept"),
    ]

    @dataclass
    class Done(Message):
        """The person left the filter; `cleared` if with escape."""

        cleared: bool

    def action_cancel(self) -> None:
        self.value = ""
        self.post_message(self.Done(cleared=True))

    def action_accept(self) -> None:
        self.post_message(self.Done(cleared=False))


class FilterBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder="filter by key or title", id="filter-input")
        yield Static(id="filter-info")

    def on_mount(self) -> None:
        self.query_one(FilterInput).display = False

    def open(self) -> None:
        field = self.query_one(FilterInput)
        field.display = True
        self.screen.set_focus(field)  # now, not after the keys already read

    @on(FilterInput.Done)
    def _close(self, message: FilterInput.Done) -> None:
        self.query_one(FilterInput).display = False

    def show(self, query: TableQuery, total: int, marked: int) -> None:
        text = Text(no_wrap=True, end="", overflow="ellipsis")
        if query.text and not self.query_one(FilterInput).display:
            text.append("/")
            text.append(safe(query.text, 40), "bold")
            text.append("  ")
        text.append(f"{total} tasks · {query.describe()}")
        if marked:
            text.append(f" · {marked} marked", "bold")
        self.query_one("#filter-info", Static).update(text)

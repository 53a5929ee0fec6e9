"""The line above the task list: the text filter (an input that `/` opens) and
what the list shows (view, sort, counts, marks)."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input, Static

from ...domain.words import counted
from ..host import binds_key
from ..messages import DataMessage
from ..render import safe
from ..task_query import TableQuery


class FilterInput(Input):
    """The filter text. Keys reach it in the order they were typed, so it handles
    its own keys as it reads them (a binding would run later, on the app's turn:
    `/d enter j` would filter by "dj"), and hands the list any key read before the
    focus went back to it."""

    BINDINGS = [
        Binding("escape", "cancel", "Clear filter", id="filter.cancel"),
        Binding("enter", "accept", "Keep filter", id="filter.accept"),
    ]

    class Done(DataMessage):
        """The person left the filter; `cleared` if with escape."""

        cleared: bool

    back_to: Widget | None = None  # who gets the focus (and later keys) when the person leaves
    typed: Callable[[str], None] | None = None  # told the text each time it changes

    def on_input_changed(self, event: Input.Changed) -> None:
        """Tell `typed` here, on the input's own turn: the change, posted up through
        the bar, the pane and the panes' container to the screen, was a turn of the
        event loop at each of them on every key typed."""
        event.stop()
        if self.typed is not None:
            self.typed(event.value)

    def validate_value(self, value: str) -> str:
        """Take the new text's width as the virtual width already: Input sets it when
        its value changes, and a change there lays out the whole screen on every key
        typed, although this input's size is fixed (nothing around it can move)."""
        shown = self.placeholder if self.placeholder and not value else value + " "  # cursor
        width = cell_len(shown)
        self.set_reactive(Widget.virtual_size, Size(width, 1))
        return value

    async def on_key(self, event: events.Key) -> None:
        if not self.display:  # left already: this key was typed for the list
            event.stop()
            event.prevent_default()
            if self.back_to is not None:
                self.back_to.post_message(events.Key(event.key, event.character))
            return
        if not binds_key(self, event.key):
            return  # text: the input's own handling types it
        bound = self.app.active_bindings.get(event.key)
        if bound is not None and bound.node is self:
            event.stop()
            event.prevent_default()
            await self.run_action(bound.binding.action)

    def action_cancel(self) -> None:
        self.value = ""
        self._leave(cleared=True)

    def action_accept(self) -> None:
        self._leave(cleared=False)

    def _leave(self, cleared: bool) -> None:
        self.display = False
        if self.back_to is not None:
            self.screen.set_focus(self.back_to)
        self.post_message(self.Done(cleared=cleared))


class FilterBar(Horizontal):
    _shown: Text | None = None  # what the info part shows
    #: Made when first opened: the first frame neither builds nor styles it.
    field: FilterInput | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="filter-info")

    def open(self, text: str, back_to: Widget, typed: Callable[[str], None]) -> None:
        """Show the input with `text` and focus it now (not after the keys already read
        are dispatched); `typed` is told the text as it changes, and leaving the input
        gives the focus back to `back_to`. Made the first
        time: mounting registers it at once, so it has the focus, and the keys read
        with the `/` queue for it, before it has been drawn."""
        field = self.field
        if field is None:
            field = self.field = FilterInput(
                placeholder="filter by key or title", id="filter-input"
            )
            self.mount(field, before=0)
        field.typed = typed
        field.value = text
        field.back_to = back_to
        field.display = True
        self.screen.set_focus(field)

    def show(self, query: TableQuery, total: int, marked: int) -> None:
        text = Text(no_wrap=True, end="", overflow="ellipsis")
        if query.text and not (self.field is not None and self.field.display):
            text.append("/")
            text.append(safe(query.text, 40), "bold")
            text.append("  ")
        text.append(f"{counted(total, 'task')} · {query.describe()}")
        if marked:
            text.append(f" · {marked} marked", "bold")
        if text != self._shown:
            self._shown = text
            # Its size is fixed (1fr by one line): new text cannot move anything, and
            # a layout would arrange and repaint the whole screen once a filter's rows land.
            self.query_one("#filter-info", Static).update(text, layout=False)

"""The approvals inbox: every task awaiting approval, oldest first, with the
changes of the highlighted task (when it ran in a workspace) below the list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...domain.enums import Priority, Readiness, TaskStatus
from ...domain.models import TaskRow, WaitingApproval
from ..db import run_db
from ..host import host
from ..messages import DataChanged
from ..render import age, safe, when
from ..widgets.diff_view import ReviewPanel
from ..widgets.header import AppHeader
from .actions import TaskActions, TaskChanged


@dataclass
class InboxLoaded(Message):
    items: list[WaitingApproval]


def as_row(item: WaitingApproval) -> TaskRow:
    """The inbox item in the shape the shared task actions expect."""
    return TaskRow(
        id=0,
        key=item.key,
        title=item.title,
        status=TaskStatus.AWAITING_APPROVAL,
        priority=Priority.MEDIUM,
        assignee=item.assignee,
        progress=100,
        phase=1,
        estimated_hours=None,
        requires_approval=True,
        unfinished_blockers=0,
        readiness=Readiness.ACTIVE,
        updated_at=item.waiting_since,
    )


class ApprovalsScreen(TaskActions, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i", "app.pop_screen", "Back", id="inbox.back"),
        Binding("a", "approve", "Approve", id="inbox.approve"),
        Binding("x", "reject", "Reject", id="inbox.reject"),
        Binding("m", "request_changes", "Changes", id="inbox.request_changes"),
        Binding("enter", "open", "Detail", id="inbox.open"),
        Binding("j", "cursor('down')", "Down", show=False, id="inbox.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="inbox.up"),
        Binding("right_square_bracket", "diff('next_file')", "Next file", id="inbox.next_file"),
        Binding(
            "left_square_bracket", "diff('previous_file')", "Prev file", id="inbox.previous_file"
        ),
        Binding("ctrl+d", "diff('page_down')", "Diff down", show=False, id="inbox.diff_down"),
        Binding("ctrl+u", "diff('page_up')", "Diff up", show=False, id="inbox.diff_up"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="inbox")
        self.items: list[WaitingApproval] = []

    def compose(self) -> ComposeResult:
        yield AppHeader("approvals inbox")
        yield Static(Text("loading…"), id="inbox-info")
        yield DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
        yield ReviewPanel(id="inbox-review")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "waiting since", "waited", "ran by", "title")
        table.focus()
        self._load()

    def _load(self) -> None:
        run_db(
            self,
            lambda o: InboxLoaded(o.queries.waiting_approvals()),
            lambda m: m,
            group="inbox",
            exclusive=True,
        )

    def on_data_changed(self, message: DataChanged) -> None:
        message.stop()
        self._load()
        row = self.selected()
        self.query_one(ReviewPanel).show(row.key if row else None, reload=True)

    @on(InboxLoaded)
    def _show(self, message: InboxLoaded) -> None:
        table = self.query_one(DataTable)
        current = self.selected()
        self.items = message.items
        table.clear()
        now = host(self).clock()
        for item in self.items:
            waited = (now - item.waiting_since).total_seconds()
            table.add_row(
                Text(item.key),
                Text(when(item.waiting_since)),
                Text(age(waited)),
                Text(safe(item.last_run_actor or item.assignee, 40) or "-"),
                Text(safe(item.title, 200)),
                key=item.key,
            )
        keys = [i.key for i in self.items]
        if current is not None and current.key in keys:
            table.move_cursor(row=keys.index(current.key))
        n = len(self.items)
        info = (
            "nothing is awaiting approval"
            if not n
            else (
                f"{n} task{'s' if n != 1 else ''} awaiting approval, oldest first · "
                "a approve · x reject (with a comment) · enter detail"
            )
        )
        self.query_one("#inbox-info", Static).update(Text(info))
        self._review()
        self.refresh_task_bindings()

    def _review(self) -> None:
        row = self.selected()
        self.query_one(ReviewPanel).show(row.key if row else None)

    def selected(self) -> TaskRow | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return as_row(self.items[table.cursor_row])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.task_action_state(action)
        if state is not False:
            return state
        if action == "open":
            return True if self.selected() is not None else None
        if action == "diff":  # the file keys show only while there is a diff
            return self.query_one(ReviewPanel).display
        return True

    def on_data_table_row_highlighted(self) -> None:
        self._review()
        self.refresh_task_bindings()

    def action_diff(self, action: str) -> None:
        view = self.query_one(ReviewPanel).view
        if action == "page_up":
            view.scroll_page_up(animate=False)
        else:
            getattr(view, f"action_{action}")()

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def action_approve(self) -> None:
        self.approve()

    def action_reject(self) -> None:
        self.reject()

    def action_request_changes(self) -> None:
        self.request_changes()

    def action_open(self) -> None:
        from .detail import DetailScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(DetailScreen(row.key))

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        if direction == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def after_change(self, message: TaskChanged) -> None:
        self._load()

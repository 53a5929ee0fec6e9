"""The inbox: every task awaiting approval and every question awaiting an
answer, together, oldest first, with the changes of the highlighted task below the
list (or a line saying none were recorded, and why)."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from ...domain.models import InboxEntry, QuestionView, TaskRow
from ..db import run_db
from ..host import host
from ..messages import DataChanged, DataMessage
from ..render import age, safe, when
from ..style_sheets import SCREEN_STYLES
from ..widgets.dashboard import AGE_TICK_SECONDS
from ..widgets.diff_view import ReviewPanel
from ..widgets.footer import KeyFooter
from ..widgets.header import AppHeader
from .actions import DECISIONS, TaskActions, TaskChanged
from .questions import QuestionActions

KIND_LABEL = {"approval": "◆ approval", "question": "? answer"}
#: The list's columns: (key, label).
COLUMNS = (
    ("key", "key"),
    ("kind", "waits for"),
    ("since", "since"),
    ("waited", "waited"),
    ("by", "by"),
    ("what", "title / question"),
)


class InboxLoaded(DataMessage):
    items: list[InboxEntry]


def as_question(item: InboxEntry) -> QuestionView:
    return QuestionView(
        id=item.question_id or 0,
        task_key=item.key,
        task_title=item.title,
        asked_by=item.who or "",
        text=item.text,
        asked_at=item.since,
        answer=None,
        answered_by=None,
        answered_at=None,
    )


class InboxList(DataTable[object]):
    """The inbox's entries. The review below takes room from it and gives it back as
    the highlighted entry changes: the highlighted row stays in view.

    Its columns are made again with its rows, each as wide as it is then: an
    auto-sized column never narrows, and one that grows does so only once the table
    is idle, while a row drawn before that keeps its narrower cells in the table's
    caches (so the rows drawn depended on when the screen was painted)."""

    def on_resize(self) -> None:
        self.move_cursor(row=self.cursor_row)
        screen = self.screen
        if isinstance(screen, ApprovalsScreen) and self.size.width != screen.filled_width:
            screen.fill()  # the last column's text is cut to the new width

    def column_widths(self, cells: list[list[Text]]) -> list[int]:
        """Each column's width for these rows: as wide as its widest cell or label,
        the last no wider than the cells the others leave it, a vertical scrollbar's
        room kept (at least 8); before layout (no width yet) the last is not cut."""
        widths = [
            max(cell_len(label), *(row[n].cell_len for row in cells))
            for n, (_key, label) in enumerate(COLUMNS)
        ]
        if self.size.width:
            spent = sum(widths[:-1]) + 2 * self.cell_padding * len(widths)
            room = self.size.width - self.styles.scrollbar_size_vertical - spent
            widths[-1] = min(widths[-1], max(room, 8))
        return widths


class ApprovalsScreen(QuestionActions, TaskActions, Screen[None]):
    CSS_PATH = SCREEN_STYLES
    #: The footer shows the keys in this order as far as they fit: at 80 columns up to
    #: Undo; the hint line above names the rest (Back, the diff's files), so every key
    #: is on the screen.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", id="inbox.approve"),
        Binding("x", "reject", "Reject", id="inbox.reject"),
        Binding("m", "request_changes", "Changes", id="inbox.request_changes"),
        Binding("y", "answer", "Answer", id="inbox.answer"),
        Binding(
            "u",
            "undo",
            "Undo",
            id="inbox.undo",
            tooltip="Undo your last change in this session, one step back per press",
        ),
        # Ahead of the list's own (hidden) `enter`, which opens the same detail through
        # its row-selected message, so that the footer shows this one.
        Binding("enter", "open", "Detail", id="inbox.open", priority=True),
        Binding("escape,i", "app.pop_screen", "Back", id="inbox.back"),
        Binding("j", "cursor('down')", "Down", show=False, id="inbox.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="inbox.up"),
        Binding("g", "cursor('top')", "First", show=False, id="inbox.top"),
        Binding("G", "cursor('bottom')", "Last", show=False, id="inbox.bottom"),
        Binding("right_square_bracket", "diff('next_file')", "Next file", id="inbox.next_file"),
        Binding(
            "left_square_bracket", "diff('previous_file')", "Prev file", id="inbox.previous_file"
        ),
        Binding("ctrl+d", "diff('page_down')", "Diff down", show=False, id="inbox.diff_down"),
        Binding("ctrl+u", "diff('page_up')", "Diff up", show=False, id="inbox.diff_up"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="inbox")
        self.items: list[InboxEntry] = []
        self.filled_width = 0  # the table's width when its rows were last cut to fit
        self._show_key: str | None = None  # put the cursor here once it is listed

    def compose(self) -> ComposeResult:
        yield AppHeader("inbox")
        yield Static(Text("loading…"), id="inbox-info")
        yield InboxList(id="inbox", cursor_type="row", zebra_stripes=True)
        yield ReviewPanel(id="inbox-review", why_none=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*((label, key) for key, label in COLUMNS))  # until the first load
        table.focus()
        self._load()
        self.set_interval(AGE_TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        """The "waited" column moves on between reloads."""
        table = self.query_one(DataTable)
        now = host(self).clock()
        for item in self.items:
            waited = Text(age((now - item.since).total_seconds()))
            row_key = f"{item.kind}:{item.key}:{item.question_id or 0}"
            with contextlib.suppress(CellDoesNotExist, RowDoesNotExist):
                table.update_cell(row_key, "waited", waited)

    def _load(self) -> None:
        run_db(
            self,
            lambda o: InboxLoaded(o.questions.inbox()),
            lambda m: m,
            group="inbox",
            exclusive=True,
        )

    def on_data_changed(self, message: DataChanged) -> None:
        message.stop()
        if not message.events:
            return  # only new log lines
        if message.reset:  # its entries are gone (or their keys name other rows now)
            self.items = []
            self.fill()
            self.query_one("#inbox-info", Static).update(Text("loading…"))
            self.refresh_task_bindings()
        self._load()
        entry = self.entry()
        self.query_one(ReviewPanel).show(entry.key if entry else None, reload=True)

    @on(InboxLoaded)
    def _show(self, message: InboxLoaded) -> None:
        entry = self.entry()
        current = None if entry is None else (entry.kind, entry.key, entry.question_id)
        self.items = message.items
        self.fill(current)
        self._describe()
        self._review()
        self.refresh_task_bindings()

    def _describe(self) -> None:
        """The inbox's top lines: what waits, and the keys the footer has no room for
        (on a line of their own, whole at 80 columns), the diff's only while one is
        shown."""
        approvals = sum(1 for i in self.items if i.kind == "approval")
        questions = len(self.items) - approvals
        shown = self.query_one(ReviewPanel).has_diff
        diff_keys = "[ ] previous/next file · ctrl+d/u scroll the diff · " if shown else ""
        info = (
            "nothing is awaiting approval or an answer"
            if not self.items
            else (
                f"{approvals} awaiting approval, {questions} "
                f"question{'s' if questions != 1 else ''} to answer, oldest first\n"
                f"esc back · {diff_keys}j/k move"
            )
        )
        self.query_one("#inbox-info", Static).update(Text(info))

    @on(ReviewPanel.Shown)
    def _review_shown(self) -> None:
        self._describe()

    def fill(self, current: tuple[str, str, int | None] | None = None) -> None:
        """List `self.items`, the title or question cut with an ellipsis where the
        table ends, the cursor on `current` (default: the entry it is on) or else in
        its place (the entry there was decided or answered: the next takes its place)."""
        table = self.query_one(InboxList)
        if current is None and (entry := self.entry()) is not None:
            current = (entry.kind, entry.key, entry.question_id)
        place = table.cursor_row
        now = host(self).clock()
        rows = [
            [
                Text(item.key),
                Text(KIND_LABEL[item.kind]),
                Text(when(item.since)),
                Text(age((now - item.since).total_seconds())),
                Text(safe(item.who, 40) or "-"),
                Text(safe(item.text, 200), style="bold")
                if item.kind == "question"
                else Text(safe(item.title, 200)),
            ]
            for item in self.items
        ]
        # Every width is decided here, before anything is drawn (see InboxList).
        widths: list[int | None] = [*table.column_widths(rows)] if rows else [None] * len(COLUMNS)
        self.filled_width = table.size.width
        table.clear(columns=True)
        for (column, label), width in zip(COLUMNS, widths, strict=True):
            table.add_column(label, key=column, width=width)
        last = widths[-1]
        for item, cells in zip(self.items, rows, strict=True):
            if last is not None:
                cells[-1].truncate(last, overflow="ellipsis")
            key = f"{item.kind}:{item.key}:{item.question_id or 0}"  # see _tick
            table.add_row(*cells, key=key)
        keys = [(i.kind, i.key, i.question_id) for i in self.items]
        if current is not None and current in keys:
            table.move_cursor(row=keys.index(current))
        elif self.items:
            table.move_cursor(row=min(max(place, 0), len(self.items) - 1))
        self._move_to_wanted()

    def _review(self) -> None:
        entry = self.entry()
        self.query_one(ReviewPanel).show(entry.key if entry else None)

    def entry(self) -> InboxEntry | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def selected(self) -> TaskRow | None:
        """The task the decision keys act on: an approval's row (a question has none)."""
        entry = self.entry()
        return None if entry is None else entry.row

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.task_action_state(action)
        if state is not False:
            return state
        if action in ("open", "answer"):
            return None if self.refusal(action) else True
        if action == "diff":  # the file keys show only while there is a diff
            return self.query_one(ReviewPanel).has_diff
        return True

    def refusal(self, action: str) -> str | None:
        entry = self.entry()
        if action in DECISIONS and entry is not None and entry.kind == "question":
            return f"{entry.key}'s agent asks a question: y answers it"
        if action not in ("open", "answer"):
            return super().refusal(action)
        if entry is None:
            return "nothing is waiting in the inbox"
        if action == "answer" and entry.kind != "question":
            return f"{entry.key} awaits approval, not an answer: a, x or m decide it"
        return None

    def on_data_table_row_highlighted(self) -> None:
        self._review()
        self.refresh_task_bindings()

    def action_diff(self, action: str) -> None:
        self.query_one(ReviewPanel).page(action)

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def action_answer(self) -> None:
        entry = self.entry()
        if entry is not None and entry.kind == "question":
            self.answer_question(as_question(entry))

    def show_task(self, key: str) -> None:
        self._show_key = key
        self._move_to_wanted()

    def _move_to_wanted(self) -> None:
        keys = [i.key for i in self.items]
        if self._show_key in keys:
            self.query_one(DataTable).move_cursor(row=keys.index(self._show_key))
            self._show_key = None

    def action_open(self) -> None:
        from .detail import DetailScreen

        entry = self.entry()
        if entry is not None:
            self.app.push_screen(DetailScreen(entry.key))

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        if direction == "down":
            table.action_cursor_down()
        elif direction == "up":
            table.action_cursor_up()
        elif self.items:
            table.move_cursor(row=0 if direction == "top" else len(self.items) - 1)

    def after_change(self, message: TaskChanged) -> None:
        self._load()

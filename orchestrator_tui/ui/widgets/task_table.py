"""A virtual task list: draws only the visible rows, paging them from the
database, so 100k tasks cost no more than 100.

Row 0 of the widget is a fixed header; row `i` of the list is virtual line
`i + 1`. Rows arrive a page at a time from thread workers; a missing row is
drawn as a placeholder and its page is fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, NamedTuple, cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

from ...domain.enums import TaskStatus
from ...domain.rules import readiness
from ..db import Refresher, itself, run_db
from ..host import own_bindings
from ..messages import DataMessage
from ..render import (
    ASKING_LABEL,
    READINESS_WORD,
    progress_bar,
    row_status_label,
    safe,
    status_style,
)
from ..task_query import SORTABLE, TableQuery

if TYPE_CHECKING:
    from ...domain.list_row import ListRow
    from ...domain.models import TaskDetail, TaskRow
    from ...services import Orchestrator

PAGE = 100
EMPTY_DATABASE = (
    "no tasks yet: n adds one, ctrl+o imports a file or folder "
    "(task-master, Backlog.md, YAML/JSON plans), or try `orchestrator-tui demo`"
)
MAX_CACHED = 4000
MAX_DRAWN = 1000  # rows' drawn lines kept (a scroll draws one new row, not a page)


class Column(NamedTuple):
    """A column of the list: its header, its width and when it is dropped."""

    name: str
    label: str
    width: int  # 0: takes the remaining width
    drop_order: int = 0  # columns with a higher order go first when narrow


COLUMNS: tuple[Column, ...] = (
    Column("mark", "", 1),
    Column("key", "key", 8),
    Column("title", "title", 0),
    Column("status", "status", 10),
    Column("priority", "prio", 8, drop_order=3),
    Column("assignee", "assignee", 10, drop_order=4),
    Column("progress", "progress", 9, drop_order=2),
    Column("readiness", "ready?", 7, drop_order=1),
)
MIN_TITLE = 24  # narrower terminals drop columns (assignee first) before the title


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells, with an ellipsis when cut."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "…" if width else ""


def layout(width: int, key_width: int) -> list[tuple[Column, int]]:
    """Columns that fit in `width`, each with its cell width (one space between)."""
    columns = [c for c in COLUMNS]
    while True:
        widths = {c.name: (key_width if c.name == "key" else c.width) for c in columns}
        fixed = sum(widths.values()) + len(columns) - 1
        title = width - fixed
        droppable = [c for c in columns if c.drop_order]
        if title >= MIN_TITLE or not droppable:
            widths["title"] = max(title, 1)
            return [(c, widths[c.name]) for c in columns]
        columns.remove(max(droppable, key=lambda c: c.drop_order))


class TasksPage(DataMessage):
    """A page of rows at `offset`, read as the person scrolled to it."""

    generation: int
    offset: int
    rows: list[TaskRow]


class LongestKey(DataMessage):
    """The length of the database's longest task key (`QueryService.longest_key`)."""

    length: int


class TasksReloaded(DataMessage):
    """A reload's count and first rows, and where the cursor goes."""

    generation: int
    total: int
    offset: int
    rows: list[TaskRow]
    position: int | None
    key: str | None


class RowsChanged(DataMessage):
    """Changed tasks read again: `considered` keys, of which `rows` still match."""

    generation: int
    considered: frozenset[str]
    rows: list[TaskRow]


class ReloadRequest(NamedTuple):
    """What a reload needs from the table, taken on the UI thread."""

    generation: int
    key: str | None
    query: TableQuery
    reset: bool
    top: int
    cursor: int
    body: int


#: How long a reload asked for by a key (a letter typed in the filter, a view, a
#: sort) waits on its worker before building its query: the key's own frame first.
FRAME_FIRST = 0.01
#: How long the reload's worker waits for the next request once idle: between keys
#: typed in the filter a key then only wakes it; no longer, so that a list at rest
#: holds no thread.
RELOAD_LINGER = 0.25


def load_around(orch: Orchestrator, request: ReloadRequest) -> TasksReloaded:
    """On a worker: the count and the rows around the cursor for the request's query."""
    query, key = request.query, request.key
    top = 0 if request.reset else request.top
    cursor = 0 if request.reset else request.cursor
    start = max(0, min(top, cursor) - PAGE // 2)
    limit = max(top + request.body, cursor + 1) + PAGE // 2 - start
    flt = query.to_filter()
    sort = SORTABLE[query.sort]
    total = orch.queries.count_tasks(flt)
    offset = max(0, min(start, total - limit))
    rows = orch.queries.list_tasks(flt, sort, query.descending, limit, offset)
    position = None
    if key is not None:
        found = [i for i, r in enumerate(rows) if r.key == key]
        if found:
            position = offset + found[0]
        else:
            position = orch.queries.position_of(key, flt, sort, query.descending)
    if position is None and request.reset:
        position = 0
    return TasksReloaded(request.generation, total, offset, rows, position, key)


class TaskTable(ScrollView, can_focus=True):
    """The task list.

    | Key | Action |
    | :- | :- |
    | j, down | Cursor down |
    | k, up | Cursor up |
    | g, home | First task |
    | G, end | Last task |
    | pageup / pagedown | Page up / down |
    | space | Mark or unmark the task, then move down |
    | enter | Open the task detail |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="tasks.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="tasks.up"),
        Binding("g,home", "cursor_top", "First", show=False, id="tasks.top"),
        Binding("G,end", "cursor_bottom", "Last", show=False, id="tasks.bottom"),
        Binding("pagedown", "page_down", "Page down", show=False, id="tasks.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="tasks.page_up"),
        Binding("space", "toggle_mark", "Mark", show=False, id="tasks.mark"),
        Binding("enter", "open", "Detail", show=False, id="tasks.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "task-table--header",
        "task-table--sorted",
        "task-table--cursor",
        "task-table--marked",
        "task-table--placeholder",
        "task-table--key",
        "task-table--muted",
        "readiness--ready",
        "readiness--waiting",
        "readiness--active",
        "readiness--stopped",
        "readiness--closed",
        "task-table--asking",
    }

    class Highlighted(DataMessage):
        """The cursor is on another task (or on none). Posted to the table's screen
        (see `_highlight`), not bubbled up to it."""

        table: TaskTable
        row: TaskRow | None
        #: the person moved it (a key, a click), not a reload putting it elsewhere
        by_person: bool = False

        @property
        def key(self) -> str | None:
            return self.row.key if self.row else None

    class Opened(DataMessage):
        """The person opened the task `key` (its detail screen)."""

        key: str

    class Reloaded(DataMessage):
        """A reload finished: counts changed, the cursor row may have new data."""

        table: TaskTable
        total: int

    class NotShown(DataMessage):
        """A task asked for with `select_key` is hidden by the filter."""

        key: str

    class SortClicked(DataMessage):
        """The person clicked a column's header to sort by it."""

        column: str

    def __init__(
        self,
        orch_provider: Callable[[], Orchestrator],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self._styles: dict[str, Style] = {}  # see `_style` (before Textual may clear it)
        self._drawn: dict[int, tuple[TaskRow, bool, bool, int, Strip]] = {}  # see `_row_line`
        super().__init__(id=id, classes=classes)
        self._orch_provider = orch_provider
        self.query_state = TableQuery()
        self.marks: dict[str, TaskStatus] = {}
        self.total = 0
        self.loaded = False
        self._rows: dict[int, TaskRow] = {}
        self._cursor = 0
        self._generation = 0
        self._longest_asked = False  # `LongestKey`
        self._landed = 0  # the generation of the last reload shown
        self._pending: set[int] = set()
        self._missing: set[int] = set()
        self._key_width = 8
        self._highlighted: str | None = None
        self._wanted_key: str | None = None
        self._wanted_reset = False
        self._explicit: str | None = None
        self._moved_to: str | None = None  # see `_person_moves`
        # Only the newest reload is shown (see `_on_reloaded`): a newer request stops
        # the one in flight, which at 100k tasks may sort them all for a letter typed.
        self._reloader: Refresher[ReloadRequest, TasksReloaded] = Refresher(
            self,
            load_around,
            itself,
            "tasks-reload",
            title="Task list",
            provider=orch_provider,
            stop_obsolete=True,
            debounce=FRAME_FIRST,
            linger=RELOAD_LINGER,
        )

    # -- public API -------------------------------------------------------------

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def cursor_row(self) -> TaskRow | None:
        return self._rows.get(self._cursor)

    @property
    def cursor_key(self) -> str | None:
        row = self.cursor_row
        return row.key if row else self._highlighted

    def row_at(self, index: int) -> TaskRow | None:
        return self._rows.get(index)

    def set_query(self, query: TableQuery) -> None:
        """Show a different filter or sort, keeping the cursor on the same task if shown."""
        if query == self.query_state:
            return
        self.query_state = query
        self.reload(self.cursor_key, reset=True, after_frame=True)

    def reload(
        self, select_key: str | None = None, *, reset: bool = False, after_frame: bool = False
    ) -> None:
        """Fetch the count and the rows around the cursor again; keep the cursor on
        `select_key` (default: the current task) wherever it moved. `after_frame`:
        the reload in flight stops at once, and the new one waits `FRAME_FIRST` on
        its worker (a key's frame is drawn and written meanwhile, without a thread
        building a query beside it)."""
        self._generation += 1
        if select_key is None:
            # A task asked for by `select_key` whose reload has not landed yet still
            # wins over where the cursor is now (a change-feed reload can overtake it).
            select_key = self._explicit if self._explicit is not None else self.cursor_key
        self._wanted_key = select_key
        self._moved_to = None  # this request carries where the cursor is now
        reset = self._wanted_reset or reset
        request = ReloadRequest(
            self._generation,
            select_key,
            self.query_state,
            reset,
            int(self.scroll_y),
            self._cursor,
            max(self._body_height, 1),
        )
        # A reset waiting behind a reload in flight must survive a newer request.
        self._wanted_reset = reset and self._reloader.busy
        self._reloader.request(request, debounce=after_frame)

    def apply_changes(self, keys: frozenset[str] | None, fields: frozenset[str]) -> None:
        """The change feed moved: `keys` were touched, `fields` of rows may differ.

        Only the changed rows shown are read again when nothing the list filters or
        sorts by can have changed (their place cannot move); otherwise the page."""
        if (
            keys is None
            or not self.loaded
            or self._landed != self._generation
            or fields & self.query_state.depends_on()
        ):
            self.reload()
            return
        cached = frozenset(row.key for row in self._rows.values())
        if not keys or not cached:
            return
        generation, query = self._generation, self.query_state

        def load(orch: Orchestrator) -> RowsChanged:
            considered, rows = orch.queries.changed_rows(keys, cached, query.to_filter())
            return RowsChanged(generation, considered, rows)

        run_db(
            self, load, itself, group="tasks-rows", title="Task list", provider=self._orch_provider
        )

    @on(RowsChanged)
    def _on_rows_changed(self, message: RowsChanged) -> None:
        message.stop()
        if message.generation != self._generation or not message.considered:
            return
        fresh = {row.key: row for row in message.rows}
        where = {row.key: i for i, row in self._rows.items() if row.key in message.considered}
        sort = self.query_state.sort
        for key, index in where.items():
            new, old = fresh.get(key), self._rows[index]
            if new is None or getattr(new, sort) != getattr(old, sort):
                self.reload()  # it left the filter or moved: the page changes
                return
        for key, index in where.items():
            self._set_row(index, fresh[key])
        self.post_message(self.Reloaded(self, self.total))

    def _set_row(self, index: int, row: TaskRow) -> None:
        """Show a task's new state in its place (the UI thread only)."""
        self._rows[index] = row
        if row.key in self.marks:
            self.marks[row.key] = row.status
        self.refresh_line(index + 1)
        if index == self._cursor:
            self._highlight(row)

    def preview(self, total: int, rows: list[ListRow]) -> None:
        """Show the first rows read before the database layer loaded, unless a real
        load has been asked for (which replaces them anyway). A `ListRow` has every
        field and rule of a `TaskRow`, and `model_copy`, all the list uses of one."""
        if not self.loaded and self._generation == 0:
            lines = cast("list[TaskRow]", rows)
            self._on_reloaded(TasksReloaded(0, total, 0, lines, None, None))

    def select_key(self, key: str) -> None:
        """Move the cursor to `key` (reloading around it); `NotShown` if filtered out."""
        self._explicit = key
        self.reload(key)

    def show_move(self, key: str, status: TaskStatus) -> None:
        """Show `key` in `status` ahead of the commit (which confirms or takes it back)."""
        for index, row in list(self._rows.items()):
            if row.key == key:
                moved = {"status": status, "readiness": readiness(status, row.unfinished_blockers)}
                self._set_row(index, row.model_copy(update=moved))

    def update_row(self, detail: TaskDetail) -> None:
        """Show a task's new state at once (the change feed then confirms it)."""
        for index, row in list(self._rows.items()):
            if row.key == detail.key:
                self._set_row(index, detail.as_row(row))

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    # -- loading ----------------------------------------------------------------

    @on(TasksReloaded)
    def _on_reloaded(self, message: TasksReloaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._landed = message.generation
        self._wanted_reset = False
        first = not self.loaded
        self.loaded = True
        self.total = message.total
        self._rows = {message.offset + i: row for i, row in enumerate(message.rows)}
        self._pending.clear()
        self._fit_keys(message.rows, reset=first)
        if not self._longest_asked and message.generation > 0:
            # Once, with the first rows read through the database layer (the first
            # page's quick rows come before it loads): no filter widens it later.
            self._longest_asked = True
            run_db(self, lambda o: LongestKey(o.queries.longest_key()), itself, group="keys")
        self._fit_height()
        if self._explicit is not None and message.key == self._explicit:
            self._explicit = None
            if message.position is None:
                self.post_message(self.NotShown(message.key))
        position, key = message.position, message.key
        moved_to, self._moved_to = self._moved_to, None
        if moved_to is not None and moved_to != key:
            found = [i for i, row in enumerate(message.rows) if row.key == moved_to]
            if not found:  # the person moved while it loaded, beyond its rows
                self.reload(moved_to)
                return
            position, key = message.offset + found[0], moved_to
        cursor = self._cursor if position is None else position
        if position is not None and key is not None:
            # The cursor is on this task even before its page arrives: a reload
            # meanwhile must keep it, not the task highlighted before.
            self._highlighted = key
        self._move(max(0, min(cursor, self.total - 1)), force_event=True, by_person=False)
        # The new size applies with the next layout; until then a scroll is clamped.
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()
        self.post_message(self.Reloaded(self, self.total))

    @on(TasksPage)
    def _on_page(self, message: TasksPage) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._pending.discard(message.offset)
        for i, row in enumerate(message.rows):
            self._rows[message.offset + i] = row
        self._fit_keys(message.rows, reset=False)
        self._evict()
        if message.offset <= self._cursor < message.offset + len(message.rows):
            self._announce()
        self.refresh()

    @on(LongestKey)
    def _fit_longest(self, message: LongestKey) -> None:
        message.stop()
        if (width := max(self._key_width, min(16, message.length))) != self._key_width:
            self._key_width = width
            self.refresh()

    def _fit_keys(self, rows: list[TaskRow], reset: bool) -> None:
        """Widen the key column to the longest key seen (5 to 16 cells), from the
        first rows on: it never narrows, so that a filter's rows (a letter typed, a
        view) or a change cannot move the columns by a cell."""
        longest = max((cell_len(r.key) for r in rows), default=0)
        start = 5 if reset else self._key_width
        self._key_width = max(start, min(16, longest))

    def _fetch_missing(self) -> None:
        pages = {index - index % PAGE for index in self._missing}
        self._missing.clear()
        query, generation = self.query_state, self._generation
        for offset in sorted(pages - self._pending):
            self._pending.add(offset)

            def load(orch: Orchestrator, offset: int = offset) -> TasksPage:
                flt = query.to_filter()
                rows = orch.queries.list_tasks(
                    flt, SORTABLE[query.sort], query.descending, PAGE, offset
                )
                return TasksPage(generation, offset, rows)

            run_db(
                self,
                load,
                itself,
                group="tasks-page",
                title="Task list",
                provider=self._orch_provider,
            )

    def _evict(self) -> None:
        if len(self._rows) <= MAX_CACHED:
            return
        keep = range(self._cursor - MAX_CACHED // 2, self._cursor + MAX_CACHED // 2)
        self._rows = {i: r for i, r in self._rows.items() if i in keep}

    # -- cursor -----------------------------------------------------------------

    @property
    def _body_height(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)

    def _move(self, index: int, force_event: bool = False, by_person: bool = True) -> None:
        if self.total == 0:
            index = 0
        old = self._cursor
        self._cursor = max(0, min(index, max(self.total - 1, 0)))
        self._scroll_to_cursor()
        self.refresh_line(old + 1)
        self.refresh_line(self._cursor + 1)
        if force_event or old != self._cursor:
            self._announce(by_person)

    def _scroll_to_cursor(self) -> None:
        """Scroll the least that shows the cursor's row."""
        body = self._body_height
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif body and self._cursor >= top + body:
            self.scroll_to(y=self._cursor - body + 1, animate=False, immediate=True)

    def _announce(self, by_person: bool = False) -> None:
        row = self.cursor_row if self.total else None
        key = row.key if row else None
        if row is None and self.total:
            return  # its page is on the way
        self._highlighted = key
        self._highlight(row, by_person)

    def _highlight(self, row: TaskRow | None, by_person: bool = False) -> None:
        """`Highlighted`, posted to the screen: the containers between have nothing to
        do with it, and bubbling up through them was a turn of the event loop each,
        on every cursor key."""
        self.screen.post_message(self.Highlighted(self, row, by_person))

    def _person_moves(self, index: int) -> None:
        """A move the person asked for: a reload still on its way keeps this task
        (it was asked for with the task the cursor was on before). It is not asked
        for again: at 100k tasks a reload sorts the whole list, and keys held down
        would start one each and never let one land."""
        self._move(index)
        if self._landed != self._generation and self.cursor_row is not None:
            self._moved_to = self.cursor_row.key
            self._explicit = None  # the person's move wins over an earlier `select_key`

    async def on_key(self, event: events.Key) -> None:
        """Keys sent to the list run here, in the order they were typed, looked up
        from the list up to the app (the priority bindings had their turn before the
        key was sent). The app would look a key up only once it has climbed through
        every container above the list, a turn of the event loop each: a move typed
        just before `/` would be looked up under the filter and lost, and the keys
        typed after `n` would run before `n` opened the form. A key sent here before
        another screen opened is that screen's: it goes to its focus."""
        if self.loading:
            return
        if self.screen is not self.app.screen:
            event.stop()
            event.prevent_default()
            target = self.app.focused or self.app.screen
            target._forward_event(events.Key(event.key, event.character))
            return
        for node in self.ancestors_with_self:
            for binding in own_bindings(node, event.key):
                if not binding.priority and await self.app.run_action(binding.action, node):
                    event.stop()
                    event.prevent_default()
                    return

    def action_cursor_down(self) -> None:
        self._person_moves(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._person_moves(self._cursor - 1)

    def action_cursor_top(self) -> None:
        self._person_moves(0)

    def action_cursor_bottom(self) -> None:
        self._person_moves(self.total - 1)

    def action_page_down(self) -> None:
        self._person_moves(self._cursor + max(1, self._body_height - 1))

    def action_page_up(self) -> None:
        self._person_moves(self._cursor - max(1, self._body_height - 1))

    def action_toggle_mark(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        if row.key in self.marks:
            del self.marks[row.key]
        else:
            self.marks[row.key] = row.status
        self.refresh_line(self._cursor + 1)
        self._move(self._cursor + 1, force_event=True)

    def action_open(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.Opened(row.key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = 0
            for column, width in layout(self.scrollable_content_region.width, self._key_width):
                if x <= event.x < x + width + 1 and column.name in SORTABLE:
                    self.post_message(self.SortClicked(column.name))
                    return
                x += width + 1
            return
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < self.total:
            self._move(index)
            if event.chain == 2:
                self.action_open()

    def on_focus(self) -> None:
        self._forget_styles()
        self.refresh()

    def on_blur(self) -> None:
        self._forget_styles()
        self.refresh()

    def notify_style_update(self) -> None:
        self._forget_styles()
        super().notify_style_update()

    def _forget_styles(self) -> None:
        self._styles.clear()
        self._drawn.clear()

    def _style(self, name: str) -> Style:
        """A component's Rich style ("" for the widget's own), kept until the styles
        change: Textual forgets its own copy on every `refresh`, which each cursor
        move makes, and working them out again was most of drawing a row."""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(name) if name else self.rich_style
            self._styles[name] = style
        return style

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total + 1)
        self.call_after_refresh(self._scroll_to_cursor)

    def _fit_height(self) -> None:
        """Make the scrollable height the rows and the header. Setting `virtual_size`
        lays the whole screen out and repaints it, although only the list's scrollbar
        can change: the list's own size is fixed. So a new height that leaves the
        scrollbar shown (or hidden) as it is is taken without a layout, its thumb
        redrawn; only one that shows or hides it (the rows' width changes) lays out."""
        new, old = Size(self.size.width, self.total + 1), self.virtual_size
        if new == old:
            return
        height = self.container_size.height
        shown = self.show_vertical_scrollbar
        if (
            new.width != old.width
            or not height
            or self.styles.overflow_y != "auto"
            or self.show_horizontal_scrollbar
            or (old.height > height) != shown
            or (new.height > height) != shown
        ):
            self.virtual_size = new
            return
        self.set_reactive(Widget.virtual_size, new)
        if shown:
            self.vertical_scrollbar.window_virtual_size = new.height
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """ScrollView's, except that the scrollbar is drawn again only when its thumb
        moves: over 100k tasks it moves once in hundreds of rows, and drawing it was a
        fifth of the frame of a key that scrolls the list."""
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            if _thumb(bar, bar.position) == _thumb(bar, new_value):
                bar.set_reactive(ScrollBar.position, new_value)
            else:
                bar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    # -- drawing ----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = layout(width, self._key_width)
        if y == 0:
            return self._header(columns, width)
        index = int(self.scroll_y) + y - 1
        base = self._style("")
        if index >= self.total:
            if index == 0:
                text = "loading…" if not self.loaded else self._empty_text()
                style = base + self._style("task-table--placeholder")
                return Strip([Segment(set_cell_size(f" {text}", width), style)], width)
            return Strip.blank(width, base)
        row = self._rows.get(index)
        if row is None:
            if not self._missing:
                self.call_after_refresh(self._fetch_missing)
            self._missing.add(index)
            style = base + self._style("task-table--placeholder")
            return Strip([Segment(set_cell_size("  …", width), style)], width)
        return self._row_line(row, index, columns, width, base)

    def _row_line(
        self, row: TaskRow, index: int, columns: list[tuple[Column, int]], width: int, base: Style
    ) -> Strip:
        """The row's line as drawn last time if nothing it shows has changed since (a
        scroll moves every line but draws one new row; the styles clear this)."""
        cursor, marked = index == self._cursor, row.key in self.marks
        drawn = self._drawn.get(index)
        if drawn is not None:
            was, was_cursor, was_marked, was_key_width, strip = drawn
            fits = strip.cell_length == width and was_key_width == self._key_width
            if was is row and was_cursor == cursor and was_marked == marked and fits:
                return strip
        if len(self._drawn) >= MAX_DRAWN:
            self._drawn.clear()
        strip = self._row_strip(row, index, columns, width, base)
        self._drawn[index] = (row, cursor, marked, self._key_width, strip)
        return strip

    def _empty_text(self) -> str:
        query = self.query_state
        if query.text or query.view != "all":
            return "no tasks match (A shows every status; / then escape clears the text)"
        return EMPTY_DATABASE

    def _header(self, columns: list[tuple[Column, int]], width: int) -> Strip:
        header = self._style("") + self._style("task-table--header")
        sorted_style = header + self._style("task-table--sorted")
        query = self.query_state
        segments: list[Segment] = []
        for column, cell in columns:
            label = column.label
            style = header
            if column.name == query.sort:
                label += " ▼" if query.descending else " ▲"
                style = sorted_style
            segments.append(Segment(set_cell_size(label, cell) + " ", style))
        return Strip(segments).adjust_cell_length(width, header)

    def _row_strip(
        self, row: TaskRow, index: int, columns: list[tuple[Column, int]], width: int, base: Style
    ) -> Strip:
        c = self._style
        marked = row.key in self.marks
        line = base
        if marked:
            line += c("task-table--marked")
        if index == self._cursor:
            line += c("task-table--cursor")
        cells = {
            "mark": ("●" if marked else " ", line),
            "key": (row.key, line + c("task-table--key")),
            "title": (safe(row.title), line),
            "status": (
                (ASKING_LABEL, line + c("task-table--asking"))
                if row.open_questions
                else (
                    row_status_label(row.status, row.has_live_run),
                    line + status_style(self, row.status),
                )
            ),
            "priority": (row.priority.value, line),
            "assignee": (safe(row.assignee) or "-", line + c("task-table--muted")),
            "progress": (progress_bar(row.progress), line),
            "readiness": (
                READINESS_WORD[row.readiness],
                line + c(f"readiness--{row.readiness.value}"),
            ),
        }
        # A highlighted row (cursor, mark) has one background: each cell's component
        # style would otherwise bring its own and leave gaps in the highlight.
        row_background = Style(bgcolor=line.bgcolor) if line is not base else None
        segments = []
        for column, cell in columns:
            text, style = cells[column.name]
            if row_background is not None:
                style += row_background
            segments.append(Segment(fit(text, cell), style))
            segments.append(Segment(" ", line))
        return Strip(segments).adjust_cell_length(width, line)


def _thumb(bar: ScrollBar, position: float) -> list[Segment]:
    """What `bar` draws at `position` (its thumb's place, in eighths of a cell)."""
    segments = ScrollBarRender.render_bar(
        size=bar.size.height,
        virtual_size=bar.window_virtual_size,
        window_size=bar.window_size,
        position=position,
    )
    return list(segments.segments)

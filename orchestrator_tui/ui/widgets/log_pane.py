"""The agent execution log: a task's runs and the selected run's output.

The database keeps every line of a run; the pane holds a bounded window of
them (`WINDOW` lines, already sanitised into Rich `Text`) and pages older or
newer windows in from the database as the view nears an edge, so a run with
100k lines costs as much memory as one with 3k. Every database call runs in a
thread worker that posts its result back as a message; results that arrive
for a task, run or window that is no longer shown are dropped.

| Key | Action (log focused) |
| :- | :- |
| `/` | Search the run (the whole run, not only the window). |
| `n` / `N` | Next / previous match. |
| `F` | Follow new output (jump to the end). |
| `[` / `]` | Older / newer run of the task. |
| `g` / `home` | First line of the run. |
| `G` / `end` | Last line of the run, following. |
| `j` `k` `up` `down` `pageup` `pagedown` | Scroll; scrolling up stops following. |
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...domain.enums import LogStream
from ...domain.errors import NotFound
from ...domain.event_text import words
from ...domain.rules import no_output_text
from ...domain.text import printable
from ...domain.words import counted
from ..ansi import plain_text, to_text
from ..db import itself, run_db
from ..host import own_bindings
from ..messages import DataMessage
from ..render import describe_run
from .paint_style import StyleOncePerPaint

if TYPE_CHECKING:
    from ...domain.models import LogLineView, RunView
    from ...services import Orchestrator

WINDOW = 3000
"""Lines held in memory at most."""
PAGE = 1000
"""Lines fetched on a jump (task shown, home, end, search) and when the view nears
an edge of the window, which then grows up to `WINDOW`."""
SEARCH_BATCH = 500

Direction = Literal["older", "newer"]


@dataclass(frozen=True, slots=True)
class LogRow:
    """One sanitised line of the window."""

    seq: int
    stderr: bool
    text: Text
    width: int


def make_rows(views: Sequence[LogLineView]) -> list[LogRow]:
    """Sanitise lines (done in workers, off the UI thread)."""
    rows = []
    for v in views:
        text = to_text(v.text)
        rows.append(LogRow(v.seq, v.stream is LogStream.STDERR, text, cell_len(text.plain)))
    return rows


class LogView(StyleOncePerPaint, ScrollView, can_focus=True):
    """Line-API view over a window of sanitised rows; knows nothing of the database."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False, id="log.down"),
        Binding("k", "scroll_up", "Up", show=False, id="log.up"),
        Binding("g", "scroll_home", "First line", show=False, id="log.first"),
        Binding("G", "scroll_end", "Last line", show=False, id="log.last"),
        Binding(
            "left,h",
            "scroll_columns(-1)",
            "Left",
            show=False,
            id="log.left",
            tooltip="Scroll left by half the pane's width",
        ),
        Binding(
            "right,l",
            "scroll_columns(1)",
            "Right",
            show=False,
            id="log.right",
            tooltip="Scroll right by half the pane's width",
        ),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--stderr",
        "log-view--match",
        "log-view--current-match",
        "log-view--placeholder",
        "log-view--ending",
    }
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        overflow: auto auto;
        &:focus { background-tint: $foreground 5%; }
        & > .log-view--stderr { color: $text-error; }
        & > .log-view--match { background: $warning 40%; }
        & > .log-view--current-match { background: $accent; color: $text; text-style: bold; }
        & > .log-view--placeholder { color: $text-muted; text-style: italic; }
        & > .log-view--ending { color: $text-muted; text-style: bold; }
    }
    """

    class Edge(Message):
        """The view is near an edge of its window and more lines may exist."""

        def __init__(self, direction: Direction) -> None:
            super().__init__()
            self.direction = direction

    class Jump(Message):
        """The user asked for the first or last line of the run."""

        def __init__(self, to_end: bool) -> None:
            super().__init__()
            self.to_end = to_end

    class FollowChanged(Message):
        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[LogRow] = []
        self.older = False
        self.newer = False
        #: The number of rows[0] among the run's shown lines, from 1 (the status says it).
        self.first_number = 1
        self.following = False
        self.placeholder = ""
        self._placeholder_key: tuple[str, int, Style] | None = None
        self._placeholder_strips: list[Strip] = []
        #: How the run ended and why, drawn after its last line once the window
        #: reaches it ("" while it runs).
        self.ending = ""
        self.pattern: re.Pattern[str] | None = None
        self.match_seq: int | None = None
        self._width = 0
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(512)
        self._look = 0  # bumps when highlights change; part of the cache key
        self._pinned_end = False  # showing the end of a fresh window: keep it there

    # -- the window ---------------------------------------------------------------

    @property
    def first_seq(self) -> int | None:
        return self.rows[0].seq if self.rows else None

    @property
    def last_seq(self) -> int | None:
        return self.rows[-1].seq if self.rows else None

    def index_of(self, seq: int) -> int | None:
        i = bisect_left([r.seq for r in self.rows], seq) if self.rows else 0
        return i if i < len(self.rows) and self.rows[i].seq == seq else None

    def top_seq(self) -> int | None:
        """Seq of the first line on screen."""
        if not self.rows:
            return None
        return self.rows[min(int(self.scroll_y), len(self.rows) - 1)].seq

    def replace(
        self, rows: list[LogRow], older: bool, newer: bool, at: int | None, first_number: int = 1
    ) -> None:
        """A new window; `at`: a seq to bring into view, -1 for the top, None for the end."""
        self.rows = rows
        self.first_number = first_number
        self.older, self.newer = older, newer
        self._width = max((r.width for r in rows), default=0)
        self._cache.clear()
        self._resize()
        self._pinned_end = at is None
        if at is None:
            self.stick_to_end()
        elif at < 0:
            self.jump_to(0)
        else:
            index = self.index_of(at)
            self.jump_to(max(0, (index or 0) - self.size.height // 3))
        self.refresh()

    def prepend(self, rows: list[LogRow], older: bool) -> None:
        keep = max(0, WINDOW - len(rows))
        dropped = len(self.rows) - keep
        if dropped > 0:
            del self.rows[keep:]
            self.newer = True
        self.rows[:0] = rows
        self.first_number = max(1, self.first_number - len(rows))
        self.older = older
        self._width = max([self._width, *(r.width for r in rows)])
        self._resize()
        self.jump_to(self.scroll_y + len(rows))

    def append(self, rows: list[LogRow], newer: bool) -> None:
        self.rows.extend(rows)
        self.newer = newer
        dropped = len(self.rows) - WINDOW
        if dropped > 0:
            del self.rows[:dropped]
            self.first_number += dropped
            self.older = True
        self._width = max([self._width, *(r.width for r in rows)])
        self._resize()
        if self.following:
            self.stick_to_end()
        elif dropped > 0:
            self.jump_to(max(0.0, self.scroll_y - dropped))
        self.refresh()

    @property
    def ending_shown(self) -> bool:
        """Whether the ending is drawn: the run ended and the window holds its end."""
        return bool(self.ending and self.rows and not self.newer)

    def set_ending(self, ending: str) -> None:
        """How the run ended (printable text; "" while it runs)."""
        if ending == self.ending:
            return
        self.ending = ending
        self._resize()
        if self.following or self._pinned_end:
            self.stick_to_end()
        self.refresh()

    def _resize(self) -> None:
        width = max(self._width, cell_len(self._ending_text()) if self.ending_shown else 0)
        self.virtual_size = Size(width, len(self.rows) + self.ending_shown)

    def _ending_text(self) -> str:
        return f"── {self.ending}"

    def stick_to_end(self) -> None:
        """Show the last line now, and again after the next layout if still wanted."""
        self.jump_to(self.max_scroll_y)
        self.call_after_refresh(self._end_if_stuck)

    def _end_if_stuck(self) -> None:
        if self.following or self._pinned_end:
            self.jump_to(self.max_scroll_y)

    def jump_to(self, y: float) -> None:
        self.scroll_to(y=y, animate=False, force=True)

    # -- follow, highlights ---------------------------------------------------------

    def set_following(self, following: bool) -> None:
        self._pinned_end = False
        if following != self.following:
            self.following = following
            self.post_message(self.FollowChanged(following))

    def set_highlight(self, pattern: re.Pattern[str] | None, match_seq: int | None) -> None:
        self.pattern, self.match_seq = pattern, match_seq
        self._look += 1
        self._cache.clear()
        self.refresh()

    def show_seq(self, seq: int) -> None:
        index = self.index_of(seq)
        if index is None:
            return
        top = int(self.scroll_y)
        if not top <= index < top + self.size.height:
            self.jump_to(max(0, index - self.size.height // 3))

    # -- scrolling --------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.check_edges()

    def on_resize(self) -> None:
        if self.following or self._pinned_end:
            self.stick_to_end()

    def check_edges(self) -> None:
        if not self.rows or not self.is_mounted:
            return
        margin = max(2 * self.size.height, 100)
        top = int(self.scroll_y)
        if self.older and top < margin:
            self.post_message(self.Edge("older"))
        if self.newer and top + self.size.height > len(self.rows) - margin:
            self.post_message(self.Edge("newer"))

    # Scrolling by key jumps (no animation): the next frame shows the new lines.

    def action_scroll_up(self) -> None:
        self._scroll_by_key(-1, up=True)

    def action_page_up(self) -> None:
        self._scroll_by_key(-self.scrollable_content_region.height, up=True)

    def action_scroll_down(self) -> None:
        self._scroll_by_key(1, up=False)

    def action_page_down(self) -> None:
        self._scroll_by_key(self.scrollable_content_region.height, up=False)

    def _scroll_by_key(self, lines: int, up: bool) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        if up:
            self.set_following(False)
        self._pinned_end = False
        self.jump_to(self.scroll_y + lines)
        self.check_edges()

    def action_scroll_columns(self, direction: int) -> None:
        """Long lines: half a pane of columns per key (one column per key is unusable)."""
        step = max(8, self.scrollable_content_region.width // 2)
        self.scroll_to(x=self.scroll_x + direction * step, animate=False, immediate=True)

    def action_scroll_home(self) -> None:
        self.set_following(False)
        self.post_message(self.Jump(to_end=False))

    def action_scroll_end(self) -> None:
        self.post_message(self.Jump(to_end=True))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.set_following(False)
        self.check_edges()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.check_edges()

    # -- rendering --------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if not self.rows:
            lines = self._placeholder_lines(width)
            if y < len(lines):
                return lines[y].crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self.rows):
            if index == len(self.rows) and self.ending_shown:
                look = self.get_component_rich_style("log-view--ending")
                text = Text(self._ending_text(), style=base, end="")
                text.stylize(Style(color=look.color, bold=look.bold, italic=look.italic))
                strip = Strip(text.render(self.app.console))
                return strip.crop_extend(scroll_x, scroll_x + width, base)
            return Strip.blank(width, base)
        row = self.rows[index]
        key = (row.seq, self._look)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._render_row(row)
        return cached.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, index)

    def _placeholder_lines(self, width: int) -> list[Strip]:
        """The placeholder wrapped at `width` (a start error names a whole path), wrapped
        once for every line of the pane that asks."""
        if not self.placeholder:
            return []
        style = self.get_component_rich_style("log-view--placeholder")
        key = (self.placeholder, width, style)
        if self._placeholder_key != key:
            text = Text(self.placeholder, style=style, end="")
            console = self.app.console
            lines = text.wrap(console, max(1, width))
            self._placeholder_strips = [Strip(line.render(console)) for line in lines]
            self._placeholder_key = key
        return self._placeholder_strips

    def _render_row(self, row: LogRow) -> Strip:
        text = row.text.copy()
        if row.stderr:
            text.stylize_before(self.get_component_rich_style("log-view--stderr"))
        text.stylize_before(self.rich_style)
        if self.pattern is not None:
            current = row.seq == self.match_seq
            name = "log-view--current-match" if current else "log-view--match"
            style = self.get_component_rich_style(name)
            for m in self.pattern.finditer(text.plain):
                text.stylize(style, m.start(), m.end())
        return Strip(text.render(self.app.console), row.width)


class StatusLine(Widget):
    """One line of plain text; changing it repaints the line, never the layout.
    `keep` ends the line whole: when both do not fit, the text before it is cut
    (with an ellipsis) at the width the line has when drawn."""

    DEFAULT_CSS = "StatusLine { height: 1; width: 1fr; }"

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = Text(end="")
        self.keep = Text(end="")

    def show(self, text: Text, keep: Text | None = None) -> None:
        keep = keep if keep is not None else Text(end="")
        if text != self.text or keep != self.keep:
            self.text, self.keep = text, keep
            self.refresh()

    def render(self) -> Text:
        if not self.keep:
            return self.text
        room = self.size.width - self.keep.cell_len
        head = self.text.copy()
        if head.cell_len > room:
            head.truncate(max(room, 0), overflow="ellipsis")
        return Text.assemble(head, self.keep, end="")


# -- results posted by workers ----------------------------------------------------------


class _Window(DataMessage):
    """A run's runs list and a window of its lines, read on a worker (see `load_window`)."""

    gen: int
    runs: list[RunView] | None
    run_id: int | None
    rows: list[LogRow]
    older: bool
    newer: bool
    at: int | None
    follow: bool | None
    error: str = ""
    #: The number (from 1, of the lines a person reads) of the window's first row.
    first_number: int = 1


class _Page(DataMessage):
    """The lines before or after `anchor`, read as the person scrolled past the window."""

    gen: int
    run_id: int
    direction: Direction
    anchor: int
    rows: list[LogRow]
    more: bool


class _Polled(DataMessage):
    """What a poll found: new runs, and new lines when following (see `poll_log`)."""

    gen: int
    runs: list[RunView]
    run_id: int | None
    anchor: int | None
    rows: list[LogRow] | None
    replace: bool
    newer: bool
    first_number: int = 1  # of `rows` when they replace the window


class _Found(DataMessage):
    """The line a search found (`seq`), or None; `wrapped`: found past the run's end."""

    gen: int
    run_id: int
    query: str
    seq: int | None
    wrapped: bool


class _Counted(DataMessage):
    """Every line of the run that shows `query` (see `count_matches`)."""

    gen: int
    run_id: int
    query: str
    seqs: list[int]


class _PageFailed(DataMessage):
    """Reading a page failed: the pane may ask for that direction again."""

    direction: Direction


def _cancelled() -> bool:
    return get_current_worker().is_cancelled


def _runs_of(orch: Orchestrator, key: str) -> list[RunView] | None:
    """The task's runs; None once it is gone (`db reset`): there is nothing to say,
    as the list, reloaded, moves the cursor off it."""
    try:
        return orch.queries.runs_for(key)
    except NotFound:
        return None


def load_window(
    orch: Orchestrator,
    gen: int,
    key: str | None,
    run_id: int | None,
    at: int | None,
    follow: bool | None,
) -> _Window | None:
    """On a worker: runs (when `key` is given) and a window of `run_id` (see `_load`)."""
    q = orch.queries
    runs: list[RunView] | None = None
    if key is not None:
        runs = _runs_of(orch, key)
        if runs is None:
            return None
        if run_id is None and runs:
            run_id = runs[-1].id
            follow = not runs[-1].status.is_finished
    if run_id is None:
        return _Window(gen, runs, None, [], False, False, None, False)
    if _cancelled():
        return None
    if at is None:
        views = q.log_lines_before(run_id, None, PAGE)
        older, newer = len(views) == PAGE, False
    elif at < 0:
        views = q.log_lines(run_id, -1, PAGE)
        older, newer = False, len(views) == PAGE
    else:
        half = PAGE // 2
        before = q.log_lines_before(run_id, at, half)
        after = q.log_lines(run_id, at - 1, half)
        views = before + after
        older, newer = len(before) == half, len(after) == half
    first = q.shown_lines_before(run_id, views[0].seq) + 1 if older and views else 1
    if _cancelled():
        return None
    return _Window(gen, runs, run_id, make_rows(views), older, newer, at, follow, "", first)


def load_page(
    orch: Orchestrator, gen: int, run_id: int, direction: Direction, anchor: int
) -> _Page:
    q = orch.queries
    if direction == "older":
        views = q.log_lines_before(run_id, anchor, PAGE)
    else:
        views = q.log_lines(run_id, anchor, PAGE)
    return _Page(gen, run_id, direction, anchor, make_rows(views), len(views) == PAGE)


def poll_log(
    orch: Orchestrator,
    gen: int,
    key: str,
    run_id: int | None,
    anchor: int | None,
    following: bool,
    newer: bool,
) -> _Polled | None:
    """New runs of `key`, and the lines after `anchor` when following (else whether
    there are any)."""
    q = orch.queries
    runs = _runs_of(orch, key)
    if runs is None:
        return None
    rows: list[LogRow] | None = None
    replace, first = False, 1
    if run_id is not None and not newer:
        after = -1 if anchor is None else anchor
        if following:
            views = q.log_lines(run_id, after, WINDOW + 1)
            if len(views) > WINDOW:
                views, replace = q.log_lines_before(run_id, None, PAGE), True
                first = q.shown_lines_before(run_id, views[0].seq) + 1
            rows = make_rows(views)
        else:
            newer = bool(q.log_lines(run_id, after, 1))
    if _cancelled():
        return None
    return _Polled(gen, runs, run_id, anchor, rows, replace, newer, first)


def search_log(
    orch: Orchestrator, gen: int, run_id: int, query: str, start: int, backwards: bool
) -> _Found | None:
    """The nearest line after (before) `start` whose visible text holds `query`."""
    q = orch.queries
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    # From `start` to the end of the run (its start, backwards), then wrapped round.
    forwards = [(start, None), (None, start + 1)]
    passes = [(None, start), (start - 1, None)] if backwards else forwards
    for wrapped, (after, before) in enumerate(passes):
        while not _cancelled():
            batch = q.find_log_lines(
                run_id,
                query,
                after_seq=after,
                before_seq=before,
                backwards=backwards,
                limit=SEARCH_BATCH,
            )
            for v in batch:
                if pattern.search(plain_text(v.text)):
                    return _Found(gen, run_id, query, v.seq, bool(wrapped))
            if len(batch) < SEARCH_BATCH:
                break
            if backwards:
                before = batch[-1].seq
            else:
                after = batch[-1].seq
    return None if _cancelled() else _Found(gen, run_id, query, None, False)


def count_matches(orch: Orchestrator, gen: int, run_id: int, query: str) -> _Counted | None:
    """Every line of the run that shows `query` (for "match 3/17")."""
    q = orch.queries
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    seqs: list[int] = []
    after: int | None = None
    while not _cancelled():
        batch = q.find_log_lines(run_id, query, after_seq=after, limit=SEARCH_BATCH)
        seqs.extend(v.seq for v in batch if pattern.search(plain_text(v.text)))
        if len(batch) < SEARCH_BATCH:
            return _Counted(gen, run_id, query, seqs)
        after = batch[-1].seq
    return None


class ExecutionLogPane(Widget):
    """A task's runs (agent, start, duration, exit code, status) and the selected run's log."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="log.search", priority=True),
        Binding("n", "next_match", "Next match", id="log.next_match"),
        Binding("N", "previous_match", "Prev match", id="log.previous_match"),
        Binding("F", "follow", "Follow", id="log.follow"),
        Binding("left_square_bracket", "older_run", "Older run", id="log.older_run"),
        Binding("right_square_bracket", "newer_run", "Newer run", id="log.newer_run"),
        Binding("escape", "close_search", "Close search", show=False, id="log.close_search"),
    ]
    DEFAULT_CSS = """
    ExecutionLogPane {
        layout: vertical;
        height: 1fr;
        & > .log-runs {
            height: auto; max-height: 4; border: none; padding: 0;
            text-wrap: nowrap; text-overflow: ellipsis;  /* a run per line, however narrow */
        }
        & > .log-runs.-stale { color: $text-disabled; }
        & > .log-status { height: 1; background: $panel; color: $text-muted; }
        & > LogView { height: 1fr; }
        & > .log-search { dock: bottom; display: none; }
        & > .log-search.-open { display: block; }
    }
    """

    def __init__(
        self,
        orch_provider: Callable[[], Orchestrator],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._orch = orch_provider
        self._key: str | None = None
        self._gen = 0
        self._runs: list[RunView] = []
        self._run_id: int | None = None
        self._chosen_run: int | None = None  # an older run the person chose (None: the newest)
        self._paging: set[Direction] = set()
        self._query = ""
        self._pattern: re.Pattern[str] | None = None
        self._searching = False  # a search for the next match is on its way
        self._queued_steps = 0  # n (+1) and N (-1) pressed while it was
        self._match_seqs: list[int] | None = None  # every match of the query in the run
        self._view = LogView()
        self._view.placeholder = "no task selected"
        #: The list of runs and the search field, made when first needed (a task with
        #: runs, `/`): the first frame neither builds nor styles them.
        self._runs_list: OptionList | None = None
        self._search_field: Input | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(classes="log-status")
        yield self._view

    # -- the contract the app relies on ----------------------------------------------------

    @property
    def view(self) -> LogView:
        return self._view

    @property
    def task_key(self) -> str | None:
        return self._key

    @property
    def run(self) -> RunView | None:
        return next((r for r in self._runs if r.id == self._run_id), None)

    @property
    def is_running(self) -> bool:
        """True while the shown run is running: the app then polls about every 0.5 s."""
        run = self.run
        return run is not None and not run.status.is_finished

    def show_task(self, key: str | None) -> None:
        """Show `key`'s runs with the latest selected (following it if it runs)."""
        self._key = key
        self._start_over()
        self._forget_search()
        self._runs, self._run_id, self._chosen_run = [], None, None
        self._view.set_following(False)
        self._view.set_ending("")
        self._view.replace([], False, False, None)
        # The old task's runs stay (dimmed) until the new ones arrive: no relayout per key.
        if self._runs_list is not None:
            self._runs_list.add_class("-stale")
        self._render_status()
        if key is None:
            self._view.placeholder = "no task selected"
            self._render_runs()
            return
        self._view.placeholder = "loading..."
        self._load(self._gen, key, None, None, None)

    def refresh_data(self) -> None:
        """Pick up new runs and lines (fetches only what is newer than the window)."""
        key = self._key
        if key is None:
            return
        gen, run_id, view = self._gen, self._run_id, self._view
        anchor, following, newer = view.last_seq, view.following, view.newer
        self._work(
            "log-poll", lambda orch: poll_log(orch, gen, key, run_id, anchor, following, newer)
        )

    # -- database work (see ui/db.py: plain arguments in, a message out) ------------------

    def _start_over(self) -> None:
        self._gen += 1
        self._paging.clear()

    def _load(
        self,
        gen: int,
        key: str | None,
        run_id: int | None,
        at: int | None,
        follow: bool | None,
    ) -> None:
        """Runs (when `key` is given) and a window of `run_id` (None: the latest run).

        `at`: None for the end of the run, -1 for its start, else a seq to centre on.
        """

        def failed(exc: Exception) -> _Window:
            return _Window(gen, None, run_id, [], False, False, None, False, str(exc))

        self._work("log-load", lambda orch: load_window(orch, gen, key, run_id, at, follow), failed)

    def _page(self, gen: int, run_id: int, direction: Direction, anchor: int) -> None:
        self._work(
            "log-page",
            lambda orch: load_page(orch, gen, run_id, direction, anchor),
            lambda _: _PageFailed(direction),
            exclusive=False,
        )

    def _search(self, gen: int, run_id: int, query: str, start: int, backwards: bool) -> None:
        self._work(
            "log-search",
            lambda orch: search_log(orch, gen, run_id, query, start, backwards),
            lambda _: _Found(gen, run_id, query, None, False),
        )

    def _count(self, gen: int, run_id: int, query: str) -> None:
        self._work("log-count", lambda orch: count_matches(orch, gen, run_id, query))

    def _work(
        self,
        group: str,
        call: Callable[[Orchestrator], Message | None],
        failed: Callable[[Exception], Message | None] | None = None,
        *,
        exclusive: bool = True,
    ) -> None:
        """Run `call` on a worker of `group` and post the message it returns to this
        pane; when it raises, the failure is reported under the pane's title and
        `failed` makes the message posted instead."""
        run_db(
            self,
            call,
            itself,
            group=group,
            exclusive=exclusive,
            title="Execution log",
            failed=failed,
            provider=self._orch,
        )

    # -- results -----------------------------------------------------------------------------

    @on(_Window)
    def _on_window(self, msg: _Window) -> None:
        if msg.gen != self._gen:
            return
        if msg.runs is not None:
            self._runs = msg.runs
        if msg.run_id != self._run_id and self._run_id is not None:
            self._forget_search()  # a newer run came up: the search was made in the old one
        self._run_id = msg.run_id
        self._render_runs()
        view = self._view
        if msg.error:
            view.placeholder = f"cannot load the log: {printable(msg.error)}"
        elif msg.run_id is None:
            view.placeholder = f"no runs for {self._key}"
        else:
            view.placeholder = self._no_output()
        if msg.follow is not None:
            view.set_following(msg.follow)
        view.ending = self._ending(msg.rows)  # drawn by the replace
        view.replace(msg.rows, msg.older, msg.newer, msg.at, msg.first_number)
        self._render_status()

    @on(_Page)
    def _on_page(self, msg: _Page) -> None:
        self._paging.discard(msg.direction)
        view = self._view
        if msg.gen != self._gen or msg.run_id != self._run_id:
            return
        if msg.direction == "older" and msg.anchor == view.first_seq:
            view.prepend(msg.rows, msg.more)
        elif msg.direction == "newer" and msg.anchor == view.last_seq:
            view.append(msg.rows, msg.more)
            view.set_ending(self._ending())  # after the run's last line, if it came
        self._render_status()
        view.check_edges()

    @on(_PageFailed)
    def _on_page_failed(self, msg: _PageFailed) -> None:
        self._paging.discard(msg.direction)

    @on(_Polled)
    def _on_polled(self, msg: _Polled) -> None:
        if msg.gen != self._gen:
            return
        view = self._view
        if msg.runs != self._runs:
            self._runs = msg.runs
            latest = msg.runs[-1].id if msg.runs else None
            # The newest run, unless the person chose an older one (an approver must
            # not read old output thinking it is the run awaiting approval).
            switch = self._run_id is None or self._chosen_run is None or view.following
            if latest is not None and switch and latest != self._run_id:
                self._select_run(latest)
                return
            self._render_runs()
            if self._run_id is not None:
                view.placeholder = self._no_output()  # it may have ended meanwhile
        if msg.run_id == self._run_id and msg.anchor == view.last_seq:
            if msg.rows is not None and msg.replace:
                view.replace(msg.rows, True, False, None, msg.first_number)
            elif msg.rows:
                view.append(msg.rows, False)
            elif msg.newer:
                view.newer = True
                view.check_edges()
        view.set_ending(self._ending())  # after its last lines: it may have ended meanwhile
        self._render_status()

    @on(_Counted)
    def _on_counted(self, msg: _Counted) -> None:
        # Not by generation: moving to a far match reloads the window (a new one).
        if msg.run_id == self._run_id and msg.query == self._query:
            self._match_seqs = msg.seqs
            self._render_status()

    @on(_Found)
    def _on_found(self, msg: _Found) -> None:
        self._searching = False
        if msg.gen != self._gen or msg.run_id != self._run_id or msg.query != self._query:
            self._queued_steps = 0
            return
        if msg.seq is not None and self._queued_steps:
            # n pressed again meanwhile: go on from this match, one search per press.
            backwards = self._queued_steps < 0
            self._queued_steps += 1 if backwards else -1
            self._searching = True
            self._search(self._gen, msg.run_id, msg.query, msg.seq, backwards)
            return
        self._queued_steps = 0
        if msg.seq is None:
            self.notify(f"no match for {msg.query!r}", severity="warning", markup=False)
            return
        if msg.wrapped:
            self.notify("search wrapped round", markup=False, timeout=2)
        view = self._view
        view.set_following(False)
        view.set_highlight(self._pattern, msg.seq)
        if view.index_of(msg.seq) is not None:
            view.show_seq(msg.seq)
        else:
            self._reload(at=msg.seq, follow=False)
        self._render_status()

    # -- view events -------------------------------------------------------------------------

    @on(LogView.Edge)
    def _on_edge(self, msg: LogView.Edge) -> None:
        msg.stop()
        view = self._view
        anchor = view.first_seq if msg.direction == "older" else view.last_seq
        if self._run_id is None or anchor is None or msg.direction in self._paging:
            return
        self._paging.add(msg.direction)
        self._page(self._gen, self._run_id, msg.direction, anchor)

    @on(LogView.Jump)
    def _on_jump(self, msg: LogView.Jump) -> None:
        msg.stop()
        view = self._view
        if msg.to_end:
            view.set_following(True)
            if view.newer:
                self._reload(at=None, follow=True)
            else:
                view.stick_to_end()
        elif view.older:
            self._reload(at=-1, follow=False)
        else:
            view.jump_to(0)

    @on(LogView.FollowChanged)
    def _on_follow_changed(self, msg: LogView.FollowChanged) -> None:
        msg.stop()
        self._render_status()

    @on(OptionList.OptionSelected, ".log-runs")
    def _on_run_selected(self, msg: OptionList.OptionSelected) -> None:
        msg.stop()
        if msg.option.id is not None:
            self._choose_run(int(msg.option.id))

    @on(Input.Submitted, ".log-search")
    def _on_search_submitted(self, msg: Input.Submitted) -> None:
        msg.stop()
        self._close_search()
        self._query = msg.value
        self._pattern = re.compile(re.escape(msg.value), re.IGNORECASE) if msg.value else None
        self._view.set_highlight(self._pattern, None)
        top = self._view.top_seq()
        self._match_seqs, self._queued_steps = None, 0
        if self._pattern is not None and self._run_id is not None and top is not None:
            self._searching = True
            self._search(self._gen, self._run_id, self._query, top - 1, False)
            self._count(self._gen, self._run_id, self._query)
        self._render_status()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_match", "previous_match"):
            return True if self._query else None
        if action == "search":  # a priority key (see `action_search`): not while typing
            return not isinstance(self.screen.focused, Input)
        if action == "close_search":
            return self._search_field is not None and self._search_field.has_class("-open")
        if action in ("older_run", "newer_run"):
            return True if len(self._runs) > 1 else None
        return True

    def on_key(self, event: events.Key) -> None:
        """A dimmed key of this pane says why and goes no further: the screen binds
        some of the same letters (`n` adds a task), and Textual passes a disabled
        binding's key on to them."""
        if isinstance(self.screen.focused, Input):
            return
        for binding in own_bindings(self, event.key):
            if self.check_action(binding.action, ()) is None:
                event.stop()
                event.prevent_default()
                self.notify(self._why_disabled(binding.action), severity="warning", markup=False)
                return

    def _why_disabled(self, action: str) -> str:
        if self._key is None:
            return "no task selected"
        if not self._runs:
            return f"{self._key} has not run yet: no output to search or page through"
        if action in ("next_match", "previous_match"):
            return "nothing searched in this run yet: / searches it"
        return f"{self._key} has no other run to show"

    def action_search(self) -> None:
        search = self._search_field
        if search is None:  # mounting registers it at once: it can take the focus now
            search = self._search_field = Input(placeholder="search this run", classes="log-search")
            self.mount(search)
        search.add_class("-open")
        search.value = self._query
        # At once, so the keys read with the `/` are typed into the search.
        self.screen.set_focus(search)

    def action_close_search(self) -> None:
        self._close_search()

    def _close_search(self) -> None:
        if self._search_field is not None:
            self._search_field.remove_class("-open")
        self._view.focus()

    def action_next_match(self) -> None:
        self._next_match(backwards=False)

    def action_previous_match(self) -> None:
        self._next_match(backwards=True)

    def _next_match(self, backwards: bool) -> None:
        if self._searching and self._query:
            self._queued_steps += -1 if backwards else 1
            return
        view = self._view
        start = view.match_seq if view.match_seq is not None else view.top_seq()
        if not self._query or self._run_id is None or start is None:
            return
        if view.match_seq is None and not backwards:
            start -= 1
        self._searching = True
        self._search(self._gen, self._run_id, self._query, start, backwards)

    def action_follow(self) -> None:
        self._view.action_scroll_end()

    def action_older_run(self) -> None:
        self._step_run(-1)

    def action_newer_run(self) -> None:
        self._step_run(1)

    def _step_run(self, step: int) -> None:
        ids = [r.id for r in self._runs]
        if self._run_id in ids:
            index = ids.index(self._run_id) + step
            if 0 <= index < len(ids):
                self._choose_run(ids[index])

    def _choose_run(self, run_id: int) -> None:
        """The person picked this run: kept when newer runs arrive, unless it is the newest."""
        newest = self._runs[-1].id if self._runs else None
        self._chosen_run = None if run_id == newest else run_id
        self._select_run(run_id)

    def _select_run(self, run_id: int) -> None:
        run = next((r for r in self._runs if r.id == run_id), None)
        if run_id != self._run_id:
            self._forget_search()
        self._run_id = run_id
        self._render_runs()
        self._reload(at=None, follow=run is not None and not run.status.is_finished)

    def _forget_search(self) -> None:
        """A search belongs to the run it was made in: another run shown drops it (its
        highlight, its place in the status line, what n and N look for)."""
        self._query, self._pattern = "", None
        self._searching, self._queued_steps, self._match_seqs = False, 0, None
        if self._view.pattern is not None or self._view.match_seq is not None:
            self._view.set_highlight(None, None)

    def _reload(self, at: int | None, follow: bool) -> None:
        self._start_over()
        self._load(self._gen, None, self._run_id, at, follow)

    # -- drawing -----------------------------------------------------------------------------

    def _no_output(self) -> str:
        """What an empty run shows (`rules.no_output_text`)."""
        run = self.run
        return "no output yet" if run is None else no_output_text(run.status, run.error)

    def _ending(self, rows: Sequence[LogRow] | None = None) -> str:
        """How the shown run ended and why, in the words of its timeline (the
        `run_finished` event) and the run list's reason, the why left out when the
        last of `rows` (the window's) says it already; "" while it runs."""
        run = self.run
        rows = self._view.rows if rows is None else rows
        ending = run.ending(rows[-1].text.plain if rows else None) if run is not None else None
        return printable(ending) if ending else ""

    def _render_runs(self) -> None:
        runs = self._runs_list
        if runs is None:
            if not self._runs:
                return  # (it would be hidden)
            runs = self._runs_list = OptionList(classes="log-runs")
            runs.can_focus = False  # the log is the pane's one focus stop: `[` `]` or a click
            self.mount(runs, before=0)
        runs.remove_class("-stale")
        options = [Option(describe_run(r), id=str(r.id)) for r in reversed(self._runs)]
        if [str(o.prompt) for o in options] != [str(o.prompt) for o in runs.options]:
            runs.set_options(options)
        runs.display = bool(self._runs)
        if self._run_id is not None:
            ids = [r.id for r in reversed(self._runs)]
            if self._run_id in ids:
                runs.highlighted = ids.index(self._run_id)

    def _match_position(self) -> str:
        """` · match 3/17` (or ` · 17 matches` before the first is shown)."""
        seqs = self._match_seqs
        if seqs is None:
            return ""
        if not seqs:
            return " · no matches"
        current = self._view.match_seq
        if current is None or current not in seqs:
            return f" · {counted(len(seqs), 'match')}"
        return f" · match {bisect_left(seqs, current) + 1}/{len(seqs)}"

    def _render_status(self) -> None:
        view = self._view
        run = self.run
        parts: list[str] = [self._key] if self._key else []
        if run is not None:
            parts.append(f"run #{run.id} {printable(run.state_text)}")
            newest = self._runs[-1]
            if run.id != newest.id:
                parts.append(f"older run: the newest is #{newest.id} {words(newest.state)}")
            if view.rows:
                first, last = view.first_number, view.first_number + len(view.rows) - 1
                total = max(run.line_count, last)  # lines may have come since the count
                parts.append(f"lines {first:,}-{last:,} of {total:,}")
            if view.newer and not view.following:
                parts.append("more below (F follows)")
            parts.append("following" if view.following else "paused")
        # The search and its match count end the line whole (what the person is doing
        # now); the run's details before them give way on a narrow pane.
        keep = ""
        if self._query:
            keep = f"search: {self._query}{self._match_position()}"
            keep = f"  ·  {keep}" if parts else keep
        self.query_one(".log-status", StatusLine).show(
            Text("  ·  ".join(parts), end=""), Text(keep, end="")
        )

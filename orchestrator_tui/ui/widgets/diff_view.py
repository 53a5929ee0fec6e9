"""The review of a task's changes: its run's summary, the files changed with
+/- counts, and the diff against base, coloured and scrollable.

A diff is untrusted text: every control character is shown as a literal
escape (`\\x1b]52;...`), nothing is parsed as markup. It may be huge (tens of
megabytes): a thread worker reads and splits it, and the view draws only the
lines on screen (the line API, like the execution log), so the size of a diff
never shows in the time a key takes.

| Key | Action (diff focused; `]` and `[` also work from the inbox table) |
| :- | :- |
| `]` / `[` | Next / previous file. |
| `j` `k` `up` `down` `pageup` `pagedown` `space` | Scroll. |
| `g` / `G` | Top / bottom. |
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ...domain.command_text import argv_text
from ...domain.event_text import words
from ...domain.text import needs_visible, visible
from ..db import run_db
from ..messages import DataMessage
from ..render import safe

if TYPE_CHECKING:
    from ...domain.models import RunView
    from ...domain.workspace import ChangeSummary
    from ...services import Orchestrator

#: Longest line (in characters) the view scrolls to; longer ones are cut.
MAX_WIDTH = 4000
#: Files listed above the diff at most (all of them are in the diff).
MAX_FILES_SHOWN = 200


@dataclass(frozen=True)
class DiffDocument:
    """A diff split into display lines (controls escaped) and where each file starts."""

    lines: list[str]
    file_starts: list[int]
    width: int


def build_document(text: str) -> DiffDocument:
    """Split and escape a diff (in a worker: linear in its size)."""
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    if needs_visible(text):
        lines = [visible(line) if needs_visible(line) else line for line in raw]
    else:
        lines = raw
    starts = [i for i, line in enumerate(lines) if line.startswith("diff --git ")]
    width = min(max((len(line) for line in lines), default=0), MAX_WIDTH)
    return DiffDocument(lines, starts, width)


class DiffView(ScrollView, can_focus=True):
    """Line-API view of a DiffDocument; knows nothing of the database."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "next_file", "Next file", id="diff.next_file"),
        Binding("left_square_bracket", "previous_file", "Prev file", id="diff.previous_file"),
        Binding("j", "scroll_down", "Down", show=False, id="diff.down"),
        Binding("k", "scroll_up", "Up", show=False, id="diff.up"),
        Binding("space", "page_down", "Page down", show=False, id="diff.page_down"),
        Binding("g", "scroll_home", "Top", show=False, id="diff.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="diff.bottom"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff-view--added",
        "diff-view--removed",
        "diff-view--hunk",
        "diff-view--file",
        "diff-view--meta",
        "diff-view--placeholder",
    }
    DEFAULT_CSS = """
    DiffView {
        background: $surface;
        overflow: auto auto;
        &:focus { background-tint: $foreground 5%; }
        & > .diff-view--added { color: $text-success; }
        & > .diff-view--removed { color: $text-error; }
        & > .diff-view--hunk { color: $text-accent; }
        & > .diff-view--file { color: $text-warning; text-style: bold; }
        & > .diff-view--meta { color: $text-muted; }
        & > .diff-view--placeholder { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.document = DiffDocument([], [], 0)
        self.placeholder = ""
        self._cache: LRUCache[int, Strip] = LRUCache(1024)

    def set_document(self, document: DiffDocument, placeholder: str = "") -> None:
        """Show a new diff from its top (constant time whatever its size)."""
        self.document = document
        self.placeholder = placeholder
        self._cache.clear()
        self._resize()
        self.scroll_to(0, 0, animate=False, force=True)
        self.refresh()

    def _resize(self) -> None:
        # Room below the last line, so a jump can bring even the last file to the top.
        lines = len(self.document.lines)
        room = max(self.size.height - 1, 0) if lines else 0
        self.virtual_size = Size(self.document.width, lines + room)

    def on_resize(self) -> None:
        self._resize()

    @property
    def current_file(self) -> int:
        """Index of the file the top line belongs to (-1 before the first)."""
        return bisect_right(self.document.file_starts, int(self.scroll_y)) - 1

    def action_next_file(self) -> None:
        starts = self.document.file_starts
        i = bisect_right(starts, int(self.scroll_y))
        if i < len(starts):
            self.scroll_to(y=starts[i], animate=False, force=True)

    def action_previous_file(self) -> None:
        starts = self.document.file_starts
        i = bisect_right(starts, int(self.scroll_y)) - 2
        self.scroll_to(y=starts[i] if i >= 0 else 0, animate=False, force=True)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def _style_for(self, line: str) -> str | None:
        if line.startswith("diff --git "):
            return "diff-view--file"
        if line.startswith(("+++ ", "--- ")):
            return "diff-view--meta"
        if line.startswith("+"):
            return "diff-view--added"
        if line.startswith("-"):
            return "diff-view--removed"
        if line.startswith("@@"):
            return "diff-view--hunk"
        if line.startswith(("index ", "new file", "deleted file", "Binary files", "similarity")):
            return "diff-view--meta"
        return None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        lines = self.document.lines
        if not lines:
            if y == 0 and self.placeholder:
                style = self.get_component_rich_style("diff-view--placeholder")
                text = Text(self.placeholder, style=style, end="")
                return Strip(text.render(self.app.console)).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(lines):
            return Strip.blank(width, base)
        strip = self._cache.get(index)
        if strip is None:
            line = lines[index][:MAX_WIDTH]
            name = self._style_for(line)
            text = Text(line, end="", no_wrap=True)  # plain text: never markup
            if name is not None:
                text.stylize_before(self.get_component_rich_style(name))
            text.stylize_before(base)
            strip = Strip(text.render(self.app.console))
            self._cache[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, index)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()


class ReviewLoaded(DataMessage):
    key: str
    summary: ChangeSummary | None
    #: The summary's run; without a summary, the task's newest run (when asked to
    #: say why there is none).
    run: RunView | None
    document: DiffDocument
    #: Without a summary: whether the task declares a workspace.
    workspace: bool = False


def load_review(
    orch: Orchestrator, key: str, known: tuple[int, str] | None = None, why_none: bool = False
) -> ReviewLoaded | None:
    """The review of `key`; None when its latest changes are `known` (run, head)
    already. `why_none`: for a task without recorded changes, read its newest run and
    whether it has a workspace, to say so."""
    if known is not None:
        latest = orch.workspaces.changes(key)
        if latest is not None and (latest.run_id, latest.head_commit) == known:
            return None
    found = orch.workspaces.diff(key)
    if found is None:
        empty = DiffDocument([], [], 0)
        if not why_none:
            return ReviewLoaded(key, None, None, empty)
        declared = orch.workspaces.declared(key) is not None
        return ReviewLoaded(key, None, orch.queries.latest_run(key), empty, declared)
    summary, text = found
    return ReviewLoaded(key, summary, orch.runs.run(summary.run_id), build_document(text))


def describe(summary: ChangeSummary, run: RunView | None) -> Text:
    """The run's summary (and what its agent said it did) and its files, as plain text."""
    text = Text(summary.headline(), style="bold", end="")
    if run is not None:
        seconds = run.duration_seconds
        took = "-" if seconds is None else f"{seconds:.1f}s"
        text.append(f"\n{words(run.state)} in {took}", style="dim")
        if run.reason:
            text.append(f" · {safe(run.reason, 300)}", style="dim")
        add_said(text, run)
    for check in summary.verify:
        argv = argv_text([str(a) for a in check.get("argv", [])])
        text.append(f"\nverify {safe(argv, 200)}: exit {check.get('exit_code')}", style="dim")
    shown = summary.file_lines()[:MAX_FILES_SHOWN]
    if shown:
        text.append("\n" + "\n".join(shown))
    if len(summary.files) > MAX_FILES_SHOWN:
        text.append(f"\n  … and {len(summary.files) - MAX_FILES_SHOWN} more files", style="dim")
    return text


def add_said(text: Text, run: RunView) -> None:
    """What the run's agent said it did, on a line of its own, if it said anything."""
    if run.summary:
        text.append(f"\n{safe(run.profile, 40) or 'the agent'} said: ", style="dim")
        text.append(safe(" ".join(run.summary.split()), 300))


def describe_unrecorded(run: RunView | None, workspace: bool) -> Text:
    """For a task none of whose runs recorded changes: one line saying so (and that
    the task has no workspace, if so), then what its newest run's agent said."""
    if run is None:
        line = "No changes recorded: the task has not run"
        if not workspace:
            line += " (it has no workspace)"
    else:
        line = f"No changes recorded for run {run.id}"
        if not workspace:
            line += ": it ran without a workspace"
    text = Text(line, style="bold", end="")
    if run is not None:
        add_said(text, run)
    return text


class ReviewPanel(Vertical):
    """What the task under review changed; `show(key)` loads it off the UI thread."""

    class Shown(DataMessage):
        """What the panel shows changed: whether the screen's diff keys apply
        (`has_diff`) may have too."""

    def _shown(self) -> None:
        self.screen.refresh_bindings()
        self.post_message(self.Shown())

    def page(self, action: str) -> None:
        """The diff keys of the screens that show this panel: `next_file`,
        `previous_file`, `page_down`, `page_up`."""
        if action == "page_up":
            self.view.scroll_page_up(animate=False)
        else:
            getattr(self.view, f"action_{action}")()

    DEFAULT_CSS = """
    ReviewPanel {
        height: 2fr;
        display: none;
        border-top: solid $panel-lighten-2;
        & > #review-summary { height: auto; max-height: 12; overflow-y: auto; padding: 0 1; }
        & > DiffView { height: 1fr; }
        /* a run that changed nothing: its summary and one line, not the screen's lower part */
        &.-nothing { height: auto; & > DiffView { height: 1; } }
        /* no changes recorded at all: the lines saying so, no diff */
        &.-unrecorded { height: auto; & > DiffView { display: none; } }
    }
    """

    def __init__(self, *, id: str | None = None, why_none: bool = False) -> None:
        """`why_none`: for a task without recorded changes, say so (and why) rather
        than hide."""
        super().__init__(id=id)
        self.key: str | None = None
        self.summary: ChangeSummary | None = None
        self.why_none = why_none

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="review-summary")
        yield DiffView(id="review-diff")

    @property
    def view(self) -> DiffView:
        return self.query_one(DiffView)

    @property
    def has_diff(self) -> bool:
        """Whether a run's changes are shown (the diff keys apply)."""
        return self.display and self.summary is not None

    def show(self, key: str | None, reload: bool = False) -> None:
        if key == self.key and not reload:
            return
        self.key = key
        if key is None:
            self.display = False
            self.summary = None
            self.query_one("#review-summary", Static).update(Text(""))
            self.view.set_document(DiffDocument([], [], 0))
            self._shown()
            return
        known = None
        if reload and self.summary is not None and self.summary.task_key == key:
            known = (self.summary.run_id, self.summary.head_commit)
        why_none = self.why_none
        run_db(
            self,
            lambda o: load_review(o, key, known, why_none),
            lambda m: m,
            group="review",
            exclusive=True,
        )

    @on(ReviewLoaded)
    def _loaded(self, message: ReviewLoaded) -> None:
        message.stop()
        if message.key != self.key:
            return  # another task was selected meanwhile
        self.summary = message.summary
        info = self.query_one("#review-summary", Static)
        # Without recorded changes: hidden, or (`why_none`) the lines saying so.
        self.display = message.summary is not None or self.why_none
        self.set_class(message.summary is not None and message.summary.no_changes, "-nothing")
        self.set_class(message.summary is None, "-unrecorded")
        self._shown()
        if message.summary is None:
            if self.why_none:
                info.update(describe_unrecorded(message.run, message.workspace))
            else:
                info.update(Text(""))
            self.view.set_document(message.document)
            return
        info.update(describe(message.summary, message.run))
        empty = "no changes against base" if message.summary.no_changes else ""
        self.view.set_document(message.document, empty)

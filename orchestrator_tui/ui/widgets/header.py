"""The top line of every screen: where we are, who is acting, whether the
runner runs (and how many commands), how many tasks wait for approval
(always visible) and how many questions wait for an answer (when any do)."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ..host import host
from ..render import safe
from ..runner_control import OFF, ON, ON_DEMAND, RunnerState

RUNNER_ICON = {OFF: "○", ON: "●", ON_DEMAND: "◐"}
FLASH_SECONDS = 2.0
#: Fewer columns than this left for the database's location: leave it out.
MIN_LOCATION = 8
#: The brief header's word for why the runner is idle (a plan's budget is spent;
#: the dashboard says which and by how much).
IDLE_BRIEF = "budget spent"


class _Title(Static):
    """The header's title: it takes the room the labels on its right leave, and fits
    its text again whenever that room changes (a label appeared, grew or went)."""

    def on_resize(self) -> None:
        header = self.parent
        if isinstance(header, AppHeader):
            header.show_title()


class AppHeader(Horizontal):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"app-header--muted"}

    def __init__(self, screen_title: str = "") -> None:
        super().__init__()
        self.screen_title = screen_title
        self._compact = False

    def compose(self) -> ComposeResult:
        yield _Title(id="header-title")
        yield Static(id="header-runner")
        yield Static(id="header-approvals")
        yield Static(id="header-questions")

    def on_mount(self) -> None:
        self.watch(self.app, "awaiting_approval", self._show_awaiting)
        self.watch(self.app, "open_questions", self._show_questions)
        self.watch(self.app, "location", self.show_title)
        if hasattr(self.app, "runner_state"):
            self.watch(self.app, "runner_state", self._show_runner)
        if hasattr(self.app, "idle_reason"):
            self.watch(self.app, "idle_reason", self._show_idle_reason)

    def on_resize(self) -> None:
        if self._compact:  # a new width: try the counts in full again
            self._set_compact(False)

    def _set_compact(self, compact: bool) -> None:
        """Say the counts briefly ("◆ 2 awaiting", "? 1 to answer"), and why the runner
        is idle in a few words, when in full they leave no room to name who acts (80
        columns, the runner on, a question; a plan's spent budget hid the counts)."""
        self._compact = compact
        app = host(self)  # the counts are the app's; the header only draws them
        self._show_awaiting(app.awaiting_approval)
        self._show_questions(app.open_questions)
        if hasattr(self.app, "runner_state"):
            self._show_runner(self.app.runner_state)
        self.refresh(layout=True)  # the labels' widths change with their words

    def _refit_title(self) -> None:
        """The labels on the right changed width: the title's own resize refits it;
        this covers a change that leaves its width as it was."""
        self.call_after_refresh(self.show_title)

    def show_title(self) -> None:
        """Fit who acts and where the database is into the title's width."""
        app = host(self)
        title = self.query_one("#header-title", Static)
        laid_out = self.size.width > 0
        room = title.content_size.width if laid_out else 10_000  # not laid out: everything
        muted = self.get_component_rich_style("app-header--muted")
        # Who acts, then where the database is (another terminal's --db needs it):
        # on a short line the product's name goes first, then the path's start.
        acting = f"  as {safe(app.actor, 40)}"
        if not self._compact and laid_out and room < cell_len(acting):
            # After this layout settles; the title refits once the labels are shorter.
            self.call_after_refresh(self._set_compact, True)
        location = safe(app.location, 200)
        name = "orchestrator-tui"
        where = f" · {self.screen_title}" if self.screen_title else ""
        if cell_len(name + where + acting + "  " + location) > room:
            name, where = "", self.screen_title
            acting = acting if where else acting.lstrip()
        if where and cell_len(where + acting) > room:  # the screen's title gives way to who acts
            cut = Text(where, no_wrap=True)
            cut.truncate(max(room - cell_len(acting), 1), overflow="ellipsis")
            where = cut.plain
        left = room - cell_len(name + where + acting) - 2
        if len(location) > left:
            location = "…" + location[-(left - 1) :] if left > MIN_LOCATION else ""
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(name, "bold")
        text.append(where)
        text.append(acting, muted)
        if location:
            text.append(f"  {location}", muted)
        title.update(text)

    def flash(self) -> None:
        """Draw the eye to the approvals count for a moment (a task started waiting)."""
        label = self.query_one("#header-approvals", Static)
        label.add_class("-flash")
        self.set_timer(FLASH_SECONDS, lambda: label.remove_class("-flash"))

    def _show_awaiting(self, count: int) -> None:
        label = self.query_one("#header-approvals", Static)
        label.set_class(count > 0, "-waiting")
        shown = "…" if count < 0 else str(count)  # not read yet: never a false 0
        what = "awaiting" if self._compact else "awaiting approval"
        label.update(Text(f"◆ {shown} {what}", no_wrap=True, end=""))
        self._refit_title()

    def _show_questions(self, count: int) -> None:
        label = self.query_one("#header-questions", Static)
        label.display = count > 0
        noun = "" if self._compact else "question " if count == 1 else "questions "
        label.update(Text(f"? {count} {noun}to answer", no_wrap=True, end=""))
        self._refit_title()

    def _show_runner(self, state: RunnerState) -> None:
        label = self.query_one("#header-runner", Static)
        label.set_class(state.phase in (ON, ON_DEMAND), "-on")
        label.set_class(state.phase not in (OFF, ON, ON_DEMAND), "-changing")
        icon = RUNNER_ICON.get(state.phase, "◌")
        text = Text(f"{icon} {state.label()}", no_wrap=True, end="")
        reason = getattr(self.app, "idle_reason", "")
        if reason and self._compact:
            text.append(f" · {IDLE_BRIEF}", "bold")
        elif reason:  # why nothing new starts: a plan's budget is spent
            text.append(f" · idle: {safe(reason, 120)}", "bold")
        label.update(text)
        self._refit_title()

    def _show_idle_reason(self, _reason: str) -> None:
        self._show_runner(getattr(self.app, "runner_state", RunnerState()))

"""Pure helpers turning plain data into Rich `Text`, never parsing markup.

Untrusted strings (titles, names, comments) pass through `safe()`, which drops
escape sequences and folds newlines, and always land in `Text(...)` objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.style import Style, StyleType
from rich.text import Text

from ..domain.enums import Readiness, TaskStatus
from ..domain.event_text import words
from ..domain.money import usd
from ..domain.text import printable
from ..domain.words import age as age  # where the TUI has always found it

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..domain.models import EventView, RunView

S = TaskStatus

STATUS_ICON: dict[TaskStatus, str] = {
    S.PENDING: "○",
    S.IN_PROGRESS: "▶",
    S.AWAITING_APPROVAL: "◆",
    S.BLOCKED: "■",
    S.DEFERRED: "◌",
    S.FAILED: "✗",
    S.DONE: "✓",
    S.CANCELLED: "⊘",
}

#: Short words for the task list; the detail screen spells the status out. In
#: progress is "working" (a person's), or "running" while its command runs.
STATUS_WORD: dict[TaskStatus, str] = {
    S.PENDING: "pending",
    S.IN_PROGRESS: "working",
    S.AWAITING_APPROVAL: "awaiting",
    S.BLOCKED: "blocked",
    S.DEFERRED: "deferred",
    S.FAILED: "failed",
    S.DONE: "done",
    S.CANCELLED: "cancelled",
}

#: Each status spelt out, in the words the CLI and every message use (`words`).
STATUS_LONG: dict[TaskStatus, str] = {s: words(s.value) for s in S}

#: A task in progress whose command is running now (a runner holds it).
RUNNING_LABEL = "▶ running"
#: A task in progress with nothing running: a person works on it.
WORKING_LABEL = "▷ working"

#: A task whose agent waits for a person's answer (its status is unchanged).
ASKING_LABEL = "? asking"


def status_class(status: TaskStatus) -> str:
    """The component class `status` is coloured by (styles/status.tcss)."""
    return f"status--{status.value}"


#: The status colours' component classes, declared once by the main screen
#: (styles/status.tcss); widgets read them with `status_style`.
STATUS_CLASSES: set[str] = {status_class(s) for s in S}

#: Each readiness as `task list` and `task show` print it.
READINESS_WORD: dict[Readiness, str] = {r: r.value for r in Readiness}


def safe(text: str | None, limit: int = 500) -> str:
    """One printable line of untrusted text (no escapes, no newlines)."""
    if not text:
        return ""
    line = printable(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def about_task(key: str, title: str, then: str = "", lead: str = "") -> Text:
    """What a prompt about one task says first: `lead`, its key and its title in bold
    (untrusted: one safe line), then `then` on a line of its own when given."""
    text = Text(end="")
    text.append(f"{lead}{key} ")
    text.append(safe(title, 200), "bold")
    if then:
        text.append(f"\n{then}")
    return text


def status_style(widget: Widget, status: TaskStatus) -> Style:
    """The Rich style `widget` draws `status` in. The colours are component classes of
    the screen rather than of each widget that colours statuses: Textual makes a
    styling node per component class and widget and restyles them whenever the
    widget's styles change (the table's three times before the first frame)."""
    return widget.screen.get_component_rich_style(status_class(status))


def status_label(status: TaskStatus, long: bool = False) -> str:
    word = STATUS_LONG[status] if long else STATUS_WORD[status]
    return f"{STATUS_ICON[status]} {word}"


def row_status_label(status: TaskStatus, live_run: bool) -> str:
    """The task list's status cell: in progress says whether its command runs."""
    if status is S.IN_PROGRESS:
        return RUNNING_LABEL if live_run else WORKING_LABEL
    return status_label(status)


def progress_bar(percent: int, width: int = 4) -> str:
    """A small bar plus the percentage, e.g. `██▌░ 62%`."""
    percent = max(0, min(100, percent))
    eighths = round(percent * width * 8 / 100)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return f"{bar.ljust(width, '░')}{percent:>4}%"


def bar(value: int, maximum: int, width: int) -> str:
    """A horizontal bar of `width` cells scaled to `maximum`."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / maximum))
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def when(moment: datetime | None) -> str:
    """A fixed-format UTC time (no wall-clock dependence)."""
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def plain(text: str | None, style: str = "") -> Text:
    """Untrusted text as a `Text` that is never parsed as markup."""
    return Text(safe(text), style=style, no_wrap=True, end="")


def block(text: str | None, style: str = "") -> Text:
    """Multi-line untrusted text (descriptions, notes): escapes stripped, lines kept."""
    lines = [printable(line) for line in (text or "").splitlines()]
    return Text("\n".join(lines), style=style)


def event_line(
    event: EventView, moment: str, limit: int, muted: StyleType = "dim", with_key: bool = False
) -> Text:
    """One event as the dashboard and the detail timeline show it: time, task,
    the event's own sentence (it names what happened, so no kind label) and who."""
    text = Text(end="")
    text.append(f"{moment} ", muted)
    if with_key:
        text.append(f"{event.task_key or '-'} ")
    text.append(safe(event.summary(), limit))
    if event.actor:  # what no person did (a request made by a plan) names no one
        text.append(f" ({safe(event.actor, 30)})", muted)
    return text


def describe_run(run: RunView) -> Text:
    """One plain line for the run selector: nothing in it is markup."""
    started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "not started"
    seconds = run.duration_seconds
    duration = "-" if seconds is None else _duration(seconds)
    exit_code = "-" if run.exit_code is None else str(run.exit_code)
    lines = "line" if run.line_count == 1 else "lines"
    usage = ""
    if run.profile:
        cost = "" if run.cost_usd is None else f" {usd(run.cost_usd)}"
        usage = f"  {printable(run.profile)} {run.tokens:,} tok{cost}"
    return Text(
        f"#{run.id} {printable(run.agent or '-')}  {started}  {duration}  exit {exit_code}  "
        f"{printable(run.state_text)}  {run.line_count:,} {lines}{usage}",
        no_wrap=True,
        end="",
    )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"

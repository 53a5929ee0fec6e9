"""Everything about one task: questions its agent asked, description, success
criteria, shared context, notes, progress history, approvals, its runs and the
event timeline; below them, for a task that ran in a workspace, what its latest run
changed (approve, reject and request changes work from here too)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ...domain.agent import SpendRow
from ...domain.command_text import argv_text, limits, what_runs
from ...domain.errors import NotFound
from ...domain.event_text import words
from ...domain.models import (
    ApprovalView,
    EventView,
    NoteView,
    ProgressView,
    QuestionView,
    RunView,
    TaskDetail,
    TaskRow,
)
from ...domain.money import spent
from ...domain.words import counted
from ..db import run_db
from ..messages import DataChanged, DataMessage
from ..render import (
    READINESS_WORD,
    STATUS_ICON,
    STATUS_LONG,
    block,
    describe_run,
    event_line,
    safe,
    when,
)
from ..reset import TITLE as RESET_TITLE
from ..reset import close_with_dialogs_over
from ..style_sheets import SCREEN_STYLES
from ..widgets.diff_view import ReviewPanel
from ..widgets.footer import KeyFooter
from ..widgets.header import AppHeader
from .actions import DECISIONS, TaskActions, TaskChanged
from .questions import QuestionActions

if TYPE_CHECKING:
    from ...services import Orchestrator

HEADING = "bold"
MUTED = "dim"


class DetailLoaded(DataMessage):
    task: TaskDetail
    context: str
    notes: list[NoteView]
    progress: list[ProgressView]
    approvals: list[ApprovalView]
    timeline: list[EventView]
    questions: list[QuestionView] = field(default_factory=list)  # the newest
    runs: list[RunView] = field(default_factory=list)
    open_questions: int = 0  # of all the task's questions, listed or not
    agent_timeout: float | None = None  # its agent profile's, when the task sets none


class TaskGone(DataMessage):
    """The task shown is not in the database any more (it was reset under it)."""


def _still_there(orch: Orchestrator, key: str) -> DetailLoaded | TaskGone:
    """The task's detail as the database holds it now, or that it is gone."""
    try:
        return load_detail(orch, key)
    except NotFound:
        return TaskGone()


def load_detail(orch: Orchestrator, key: str) -> DetailLoaded:
    q = orch.queries
    task = q.get_task(key)
    return DetailLoaded(
        task,
        q.context_for(key),
        q.notes_for(key),
        q.progress_for(key),
        q.approvals_for(key),
        q.timeline(key),
        orch.questions.for_task(key),
        q.runs_for(key),
        orch.questions.count_open(key),
        _agent_timeout(task),
    )


def _agent_timeout(task: TaskDetail) -> float | None:
    from ...services.agent_profiles import agent_timeout

    command = task.command
    return (
        None if command is None or command.timeout_seconds is not None else agent_timeout(command)
    )


class DetailScreen(QuestionActions, TaskActions, Screen[None]):
    CSS_PATH = SCREEN_STYLES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="detail.back"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="detail.down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="detail.up"),
        Binding("g,home", "scroll('home')", "Top", show=False, id="detail.top"),
        Binding("G,end", "scroll('end')", "Bottom", show=False, id="detail.bottom"),
        Binding("a", "approve", "Approve", id="detail.approve"),
        Binding("x", "reject", "Reject", id="detail.reject"),
        Binding("m", "request_changes", "Changes", id="detail.request_changes"),
        Binding("right_square_bracket", "diff('next_file')", "Next file", id="detail.next_file"),
        Binding(
            "left_square_bracket", "diff('previous_file')", "Prev file", id="detail.previous_file"
        ),
        Binding("ctrl+d", "diff('page_down')", "Diff down", show=False, id="detail.diff_down"),
        Binding("ctrl+u", "diff('page_up')", "Diff up", show=False, id="detail.diff_up"),
        Binding("y", "answer", "Answer", id="detail.answer"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__(classes="detail")
        self.key = key
        self.loaded: DetailLoaded | None = None
        self._review_stale = False  # the review panel waits for the reload after a reset
        self.gone = False  # its task went with a reset while another screen covered it

    def compose(self) -> ComposeResult:
        yield AppHeader(f"task {self.key}")
        with VerticalScroll(id="detail-body"):
            yield Static(Text("loading…"), id="detail-summary")
            yield Static(id="detail-questions", classes="detail-section")
            for section in (
                "description",
                "criteria",
                "context",
                "notes",
                "progress",
                "approvals",
                "runs",
                "timeline",
            ):
                yield Static(id=f"detail-{section}", classes="detail-section")
            yield Static(id="detail-agent", classes="detail-section")
        yield ReviewPanel(id="detail-review")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()
        self._load()
        self.query_one(ReviewPanel).show(self.key)

    def _load(self) -> None:
        key = self.key
        run_db(self, lambda o: load_detail(o, key), lambda m: m, group="detail", exclusive=True)

    def on_data_changed(self, message: DataChanged) -> None:
        message.stop()
        if not message.events:
            return  # only new log lines
        if message.reset:  # the task may be gone with the rows it was read from
            key = self.key
            self._review_stale = True  # reloaded once the task is found there
            self.loaded = None  # no key acts on the row read before (it is another now)
            self.refresh_bindings()
            run_db(
                self, lambda o: _still_there(o, key), lambda m: m, group="detail", exclusive=True
            )
            return
        self._load()
        self.query_one(ReviewPanel).show(self.key, reload=True)

    @on(TaskGone)
    def _gone(self, message: TaskGone) -> None:
        """Closed, with any dialog over it, back to the screen under it (which shows
        the database as it is now), saying why; under another screen, the moment that
        one is left."""
        self.gone = not close_with_dialogs_over(self)
        self.app.notify(
            f"{self.key} is gone: the database was reset (emptied) while it was shown",
            title=RESET_TITLE,
            severity="warning",
            markup=False,
        )

    def on_screen_resume(self) -> None:
        if self.gone:
            self.app.pop_screen()

    def selected(self) -> TaskRow | None:
        if self.loaded is None:
            return None
        return self.loaded.task.as_row(open_questions=self.loaded.open_questions)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in DECISIONS:  # shown only while it awaits approval
            return self.task_action_state(action) is True
        if action == "diff":  # the file keys show only while there is a diff
            return self.query_one(ReviewPanel).has_diff
        if action == "answer":  # disabled (and silent) until the task is loaded
            return None if self.loaded is None or self.refusal(action) else True
        return True

    def refusal(self, action: str) -> str | None:
        if action == "answer":  # as the task list says it (`TaskRow.answer_refusal`)
            row = self.selected()
            return None if row is None else row.answer_refusal
        return super().refusal(action)

    def after_change(self, message: TaskChanged) -> None:
        self._load()

    def action_diff(self, action: str) -> None:
        self.query_one(ReviewPanel).page(action)

    def action_answer(self) -> None:
        self.answer_oldest(self.key)

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        {
            "down": body.scroll_down,
            "up": body.scroll_up,
            "home": body.scroll_home,
            "end": body.scroll_end,
        }[where]()

    @on(DetailLoaded)
    def _show(self, message: DetailLoaded) -> None:
        self.loaded = message
        if self._review_stale:
            self._review_stale = False
            self.query_one(ReviewPanel).show(self.key, reload=True)
        self.refresh_bindings()
        t = message.task
        self.query_one("#detail-summary", Static).update(summary(t, message.agent_timeout))
        asked = self.query_one("#detail-questions", Static)
        asked.display = bool(message.questions)
        asked.update(_questions(message.questions, message.open_questions))
        self.refresh_bindings()
        sections = {
            "description": ("Description", block(t.description) if t.description else None),
            "criteria": ("Success criteria", _lines(f"• {safe(c)}" for c in t.success_criteria)),
            "context": ("Shared context", block(message.context) if message.context else None),
            "notes": ("Notes", _notes(message.notes)),
            "progress": (
                "Progress history",
                _lines(
                    f"{when(p.created_at)}  {p.percent:>3}%  {safe(p.message)}  ({safe(p.actor)})"
                    for p in message.progress
                ),
            ),
            "approvals": (
                "Approvals",
                _lines(
                    f"{when(a.decided_at)}  {words(a.decision.value)} by {safe(a.actor)}"
                    + (f": {safe(a.comment)}" if a.comment else "")
                    for a in message.approvals
                ),
            ),
            "runs": ("Runs", _joined(describe_run(r) for r in message.runs)),
            "timeline": (
                "Event timeline",
                _joined(event_line(e, when(e.created_at), 200, MUTED) for e in message.timeline),
            ),
        }
        for name, (title, body) in sections.items():
            text = Text(end="")
            text.append(title, HEADING)
            text.append("\n")
            text.append_text(body if body is not None else Text("none", style=MUTED))
            self.query_one(f"#detail-{name}", Static).update(text)
        agent = self.query_one("#detail-agent", Static)
        shown = agent_section(message.runs, message.approvals)
        agent.display = shown is not None
        if shown is not None:
            agent.update(shown)


def agent_section(runs: list[RunView], approvals: list[ApprovalView]) -> Text | None:
    """Tokens and cost over every attempt, change rounds, the last prompt and summary."""
    mine = [r for r in runs if r.profile]
    if not mine:
        return None
    last = mine[-1]
    total = SpendRow.of_runs("task", mine)
    tokens, cached, cost = total.tokens, total.cached_tokens, spent(total.reported_cost)
    rounds = sum(1 for a in approvals if a.decision.value == "changes_requested")
    text = Text(end="")
    text.append("Agent runs", HEADING)
    text.append(
        f"\n{counted(len(mine), 'run')} · {tokens:,} tokens ({cached:,} cached) · {cost}"
        f" · {counted(rounds, 'change round')}"
    )
    text.append(f"\nlast: {safe(last.profile)} · model {safe(last.model) or '-'}", MUTED)
    text.append(f" · session {safe(last.session_id) or '-'}", MUTED)
    if last.summary:
        text.append("\nsummary ", MUTED)
        text.append(safe(last.summary, 300))
    if last.prompt:
        text.append(f"\nprompt of run {last.id}\n", MUTED)
        text.append_text(block(last.prompt))
    return text


def summary(t: TaskDetail, agent_timeout: float | None = None) -> Text:
    text = Text(end="")
    text.append(f"{t.key}  ", HEADING)
    text.append(safe(t.title), HEADING)
    text.append(f"\n{STATUS_ICON[t.status]} {STATUS_LONG[t.status]}")
    text.append(f" · {READINESS_WORD[t.readiness]} · priority {t.priority.value}")
    text.append(f" · {t.complexity.value.replace('_', ' ')} complexity · phase {t.phase}")
    text.append(f"\nassignee {safe(t.assignee) or '-'}")
    if t.agent_type:
        text.append(f" · agent type {t.agent_type.value}")
    hours = "-" if t.estimated_hours is None else f"{t.estimated_hours:g}h"
    actual = "-" if t.actual_hours is None else f"{t.actual_hours:g}h"
    text.append(f" · estimated {hours} · actual {actual} · progress {t.progress}%")
    if t.requires_approval:
        text.append(" · requires approval")
    text.append(f"\ncreated {when(t.created_at)} · updated {when(t.updated_at)}", MUTED)
    if t.deadline:
        text.append(f" · deadline {when(t.deadline)}", MUTED)
    if t.blockers:
        text.append("\nwaits for ")
        text.append(", ".join(f"{STATUS_ICON[b.status]} {b.key}" for b in t.blockers))
    if t.dependents:
        text.append("\nneeded by ")
        text.append(", ".join(f"{STATUS_ICON[d.status]} {d.key}" for d in t.dependents))
    if t.command:
        label, runs = what_runs(t.command)
        text.append(f"\n{label} ", MUTED)
        text.append(safe(runs, 400))
        workspace = t.command.workspace
        if workspace is not None:
            text.append("\nworkspace ", MUTED)
            text.append(
                f"{safe(workspace.repo, 200)} · base {safe(workspace.base, 100)} · "
                f"branch {safe(workspace.branch_for(t.key), 100)} · "
                f"on approve {workspace.on_approve.value}"
            )
        elif t.command.cwd:
            text.append("\ncwd ", MUTED)
            text.append(safe(t.command.cwd, 200))
        for label, limit in limits(t.command, agent_timeout):
            text.append(f"\n{label} ", MUTED)
            text.append(limit)
        for argv in t.command.verify:
            text.append("\nverify ", MUTED)
            text.append(safe(argv_text(argv), 400))
    if t.tags:
        text.append("\ntags ", MUTED)
        text.append(", ".join(safe(tag, 50) for tag in t.tags))
    return text


def _questions(questions: list[QuestionView], waiting: int) -> Text:
    """The task's newest questions; `waiting`: how many of all its questions are open."""
    text = Text(end="")
    text.append("Questions", HEADING)
    if waiting:
        text.append(f"  ({waiting} waiting for an answer: y answers the oldest)", MUTED)
    for q in questions:
        text.append(f"\n{when(q.asked_at)}  {'?' if q.is_open else '✓'} {safe(q.asked_by)} asks: ")
        text.append(safe(q.text, 2000), "bold" if q.is_open else "")
        if q.closed_at is not None:
            text.append(f"\n    closed unanswered ({when(q.closed_at)}): its work ended")
        if not q.is_open and q.answered_at is not None:
            text.append(f"\n    answered by {safe(q.answered_by)} ({when(q.answered_at)}): ")
            text.append(safe(q.answer, 2000))
    return text


def _lines(lines: Iterable[str]) -> Text | None:
    items = list(lines)
    return Text("\n".join(items)) if items else None


def _joined(lines: Iterable[Text]) -> Text | None:
    items = list(lines)
    return Text("\n", end="").join(items) if items else None


def _notes(notes: list[NoteView]) -> Text | None:
    if not notes:
        return None
    text = Text(end="")
    for i, note in enumerate(notes):
        if i:
            text.append("\n")
        text.append(f"{safe(note.author)} ({when(note.updated_at)})\n", MUTED)
        text.append_text(block(note.body))
    return text

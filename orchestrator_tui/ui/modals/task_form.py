"""Add or edit a task. Returns the entered fields; the screen turns them into a
`TaskSpec` or `TaskPatch`. The form refuses, in its own error line and keeping
what was typed, what it can tell is wrong: a field that does not validate, a
coding agent no profile defines, a workspace repository that is not a git
repository (looked up off the UI thread: the profiles are the user's file, the
repository is on disk), a workspace with nothing to run; when editing, a change
of agent, model or worktree that `task edit` would refuse. What only the database
can tell (a key taken, a dependency that does not exist) becomes a notification
once the form has closed."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from ...domain.agent import AgentUse
from ...domain.command_text import MODEL_WITHOUT_AGENT, what_runs
from ...domain.enums import AgentType, DependencyType, Priority
from ...domain.errors import validation_message
from ...domain.models import TaskDetail, TaskSpec
from ...domain.text import strip_ansi
from ...domain.workspace import WorkspaceSpec
from ..db import EXPECTED_ERRORS, for_people, run_db
from ..messages import DataMessage
from ..render import safe
from .type_ahead import TypeAheadDialog

if TYPE_CHECKING:
    from ...domain.models import CommandSpec
    from ...services.task_command import CommandChange


class _TaskRead(DataMessage):
    """The task to edit was read (None: it could not be; the error is shown)."""

    detail: TaskDetail | None


class _Checked(DataMessage):
    """The new task's agent and workspace were looked up: `refusal` says why the
    task cannot be made as typed."""

    values: dict[str, Any]
    refusal: str | None


#: What the workspace's two fields are called in the form's refusals.
WORKSPACE_FIELDS = ("repository", "base branch")


def _refusal(values: dict[str, Any]) -> str | None:
    """Why the new task cannot be made, in one line (the rules the task's creation
    applies); None when it can, with `values["workspace"]` then the workspace as
    the task will hold it. Reads the user's profiles file and the repository."""
    from ...services.agent_profiles import with_agent
    from ...services.task_workspace import workspace_over

    typed = values["workspace"] or {}
    agent = values["agent"] or {}
    try:
        workspace = workspace_over(None, typed.get("repo"), typed.get("base"), WORKSPACE_FIELDS)
        with_agent(
            task_spec(values), agent.get("profile"), agent.get("model"), as_workspace(workspace)
        )
    except EXPECTED_ERRORS as exc:
        return str(for_people(exc))
    values["workspace"] = workspace
    return None


def task_spec(values: dict[str, Any]) -> TaskSpec:
    """The new task's own fields as a `TaskSpec` (its agent and workspace are added
    by `with_agent`); raises pydantic's ValidationError."""
    return TaskSpec(**{k: v for k, v in values.items() if k not in ("agent", "workspace")})


def as_workspace(workspace: dict[str, Any] | None) -> WorkspaceSpec | None:
    """The form's checked workspace as the task's command takes it."""
    return WorkspaceSpec(**workspace) if workspace else None


#: What the edit form says of a task that has nothing to run.
NOTHING_RUNS = "nothing: no command or agent"

#: The fields of the form's Agent and Workspace lines, by input id.
RUNS_FIELDS = ("agent", "model", "repo", "base")


def _what_runs_it(t: TaskDetail) -> ComposeResult:
    """The edit form's lines on what runs the task (its coding agent and model, or its
    command), then its agent and git worktree as fields to change."""
    command = t.command
    runs = NOTHING_RUNS
    if command is not None:
        label, what = what_runs(command)
        runs = f"{label} {safe(what, 300)}"
    with _row("Runs"):
        yield Static(Text(runs, no_wrap=True, overflow="ellipsis"), classes="form-value")
    yield from _agent_and_workspace_rows(shown_runs(t))


def shown_runs(t: TaskDetail) -> dict[str, str]:
    """The edit form's Agent and Workspace fields as it opens (by `RUNS_FIELDS` id)."""
    command = t.command
    agent = command.agent if command is not None else None
    workspace = command.workspace if command is not None else None
    return {
        "agent": safe(agent.profile or "") if agent is not None else "",
        "model": safe(agent.model or "") if agent is not None else "",
        "repo": safe(workspace.repo) if workspace is not None else "",
        "base": safe(workspace.base) if workspace is not None else "",
    }


def _agent_and_workspace_rows(shown: dict[str, str] | None = None) -> ComposeResult:
    """The coding agent and its model, and the repository and base branch of the
    task's git worktree: empty for a new task, the task's own (`shown`) when editing."""
    value = shown or {}
    rows = (
        ("Agent", ("agent", "coding agent, e.g. claude"), ("model", "its model (optional)")),
        ("Workspace", ("repo", "git repo for its worktree"), ("base", "base branch (main)")),
    )
    for label, *fields in rows:
        with _row(label):
            for field_id, placeholder in fields:
                yield Input(
                    value.get(field_id, ""), placeholder=placeholder, id=field_id, compact=True
                )


def runs_change(key: str, shown: dict[str, str], typed: dict[str, str]) -> CommandChange | None:
    """What the edit form's Agent and Workspace fields change of the task's command
    (None: nothing); ValueError (with a sentence) for what the form cannot do. A new
    agent takes the model as typed (none if empty); an emptied base branch is main."""
    if typed["model"] and not typed["agent"]:
        raise ValueError(MODEL_WITHOUT_AGENT)
    if typed == shown:
        return None
    if shown["agent"] and not typed["agent"]:
        raise ValueError(f"agent: cannot be emptied here (task edit {key} -- COMMAND replaces it)")
    if shown["repo"] and not typed["repo"]:
        raise ValueError("repository: a task's worktree cannot be removed")
    from ...services.task_command import CommandChange

    new_agent = typed["agent"] != shown["agent"]
    return CommandChange(
        agent=typed["agent"] if new_agent else None,
        model=typed["model"] if new_agent or typed["model"] != shown["model"] else None,
        workspace=typed["repo"] if typed["repo"] != shown["repo"] else None,
        base=(typed["base"] or "main") if typed["base"] != shown["base"] else None,
    )


def _command_refusal(
    values: dict[str, Any], current: CommandSpec | None, change: CommandChange
) -> str | None:
    """Why the task's command cannot be changed as typed, in one line; None when it
    can, with `values["command"]` then the command as the task will hold it (the rule
    `task edit` applies). Reads the user's profiles file and the repository."""
    from ...services.task_command import command_over

    try:
        values["command"] = command_over(current, change)
    except EXPECTED_ERRORS as exc:
        return str(for_people(exc))
    return None


def _hours(text: str) -> float | None:
    """The estimated hours typed (None if empty); ValueError with the form's sentence."""
    try:
        return float(text) if text else None
    except ValueError:
        raise ValueError("estimated hours must be a number") from None


def _row(label: str, classes: str = "") -> Horizontal:
    """A line of the form: `label` in the label column, then its fields."""
    row = Horizontal(classes=f"form-row {classes}".strip())
    row.compose_add_child(Label(Text(label), classes="field-label"))
    return row


class TaskForm(TypeAheadDialog[dict[str, Any] | None]):
    """ctrl+s saves, escape cancels.

    `TaskForm()` adds a task, `TaskForm(key=KEY)` edits one: it opens at once and
    reads the task off the UI thread, and what is typed meanwhile waits for its
    title field (see `TypeAheadDialog`); if the task cannot be read, the form
    closes (the error is shown) and drops it."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    #: Nothing has the focus (and what is typed waits) until `_focus_title`.
    AUTO_FOCUS = ""
    #: Under this many lines the form is `-short` (styles/modals.tcss).
    SHORT_BELOW = 30

    def __init__(self, task: TaskDetail | None = None, *, key: str | None = None) -> None:
        super().__init__(classes="prompt form")
        self.editing = task
        #: The task being read to be edited (None once read, or for a new task).
        self.reading = key if task is None else None
        #: Editing a task, a reset closes it (`ui.reset`); a new task is added anew.
        edited = key if task is None else task.key
        self.about_rows = None if edited is None else f"Edit {edited}"

    def compose(self) -> ComposeResult:
        t = self.editing
        if self.reading is not None:
            with Vertical(id="dialog"):
                yield Label(Text(f"Edit {self.reading}"), id="dialog-title")
                yield Static(Text(f"reading {self.reading}…"), id="dialog-message")
            return
        heading = "New task" if t is None else f"Edit {t.key}"
        with Vertical(id="dialog"):
            yield Label(Text(heading), id="dialog-title")
            yield from self._fields(t)
            yield Static(Text(""), id="dialog-error")
            # Outside the scrolling fields: Save is on screen at any terminal size.
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _fields(self, t: TaskDetail | None) -> ComposeResult:
        """One line per field (a label, then the field), so that every field fits on
        an 80x24 terminal without scrolling; the description takes what is left."""
        with VerticalScroll(id="form-fields"):
            with _row("Title"):
                # Not selected on focus: what was typed ahead (and any key typed on)
                # adds to the title, and never replaces it at one key.
                yield Input(
                    value=safe(t.title) if t else "",
                    id="title",
                    compact=True,
                    select_on_focus=False,
                )
            with _row("Description", "form-description"):
                yield TextArea(
                    strip_ansi(t.description) if t else "",
                    id="description",
                    soft_wrap=True,
                    compact=True,
                )
            with _row("Priority"):
                yield Select(
                    [(p.value, p.value) for p in Priority],
                    value=(t.priority if t else Priority.MEDIUM).value,
                    allow_blank=False,
                    id="priority",
                    compact=True,
                )
                yield Label(Text("assignee"), classes="inline-label")
                yield Input(value=(t.assignee or "") if t else "", id="assignee", compact=True)
                hours = "" if t is None or t.estimated_hours is None else f"{t.estimated_hours:g}"
                yield Label(Text("est. hours"), classes="inline-label")
                yield Input(value=hours, id="hours", compact=True)
            with _row("Review"):
                yield Checkbox(
                    "requires approval",
                    t.requires_approval if t else False,
                    id="approval",
                    compact=True,
                )
            if t is None:
                yield from self._new_task_fields()
            else:
                yield from _what_runs_it(t)

    def _new_task_fields(self) -> ComposeResult:
        """What only a new task sets here: its key, what runs it, how it is judged."""
        with _row("Key"):
            yield Input(placeholder="optional, e.g. PAY-47", id="key", compact=True)
            yield Select(
                [(a.value, a.value) for a in AgentType],
                prompt="agent type",
                id="agent-type",
                compact=True,
            )
        with _row("Command"):
            yield Input(
                placeholder="e.g. pytest -q (split like a shell would, never run by one)",
                id="command",
                compact=True,
            )
        yield from _agent_and_workspace_rows()
        with _row("Criteria"):
            yield Input(placeholder="success criteria, separated by ;", id="criteria", compact=True)
        with _row("Depends on"):
            yield Input(
                placeholder="keys separated by spaces or commas", id="depends", compact=True
            )
            yield Select(
                [(d.value, d.value) for d in DependencyType],
                value=DependencyType.BLOCKS.value,
                allow_blank=False,
                id="dep-type",
                compact=True,
            )

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < self.SHORT_BELOW, "-short")

    def on_mount(self) -> None:
        self.set_class(self.app.size.height < self.SHORT_BELOW, "-short")
        key = self.reading
        if key is None:
            self._focus_title()
            return
        run_db(
            self,
            lambda o: _TaskRead(o.queries.get_task(key)),
            lambda m: m,
            failed=lambda _: _TaskRead(None),
        )

    def _focus_title(self) -> None:
        """Focus the title field now (what was typed ahead goes to it), leaving the
        fields scrolled to their top."""
        self.set_focus(self.query_one("#title", Input), scroll_visible=False)

    @on(_TaskRead)
    async def _task_read(self, message: _TaskRead) -> None:
        if message.detail is None:
            self.dismiss(None)
            return
        self.editing, self.reading = message.detail, None
        await self.recompose()
        self._focus_title()

    def values(self) -> dict[str, Any]:
        hours_text = self.query_one("#hours", Input).value.strip()
        values: dict[str, Any] = {
            "title": self.query_one("#title", Input).value.strip(),
            "description": self.query_one("#description", TextArea).text,
            "priority": self.query_one("#priority", Select).value,
            "assignee": self.query_one("#assignee", Input).value.strip() or None,
            "estimated_hours": _hours(hours_text),
            "requires_approval": self.query_one("#approval", Checkbox).value,
        }
        if self.editing is None:
            values.update(self._new_task_values())
            return values
        typed = {name: self.query_one(f"#{name}", Input).value.strip() for name in RUNS_FIELDS}
        values["runs"] = runs_change(self.editing.key, shown_runs(self.editing), typed)
        if typed["agent"]:
            values["agent"] = {"profile": typed["agent"], "model": typed["model"] or None}
        return values

    def _new_task_values(self) -> dict[str, Any]:
        """The new-task fields; ValueError (with a sentence) for a command that cannot be split."""
        raw = self.query_one("#depends", Input).value.replace(",", " ")
        dep_type = self.query_one("#dep-type", Select).value
        agent = self.query_one("#agent-type", Select).value
        command_text = self.query_one("#command", Input).value.strip()
        try:
            argv = shlex.split(command_text)
        except ValueError as exc:
            raise ValueError(f"command: {exc}") from None
        criteria = self.query_one("#criteria", Input).value.split(";")
        profile = self.query_one("#agent", Input).value.strip()
        model = self.query_one("#model", Input).value.strip()
        if model and not profile:
            raise ValueError(MODEL_WITHOUT_AGENT)
        repo = self.query_one("#repo", Input).value.strip() or None
        base = self.query_one("#base", Input).value.strip() or None
        return {
            "agent": {"profile": profile, "model": model or None} if profile else None,
            "workspace": {"repo": repo, "base": base} if repo or base else None,
            "key": self.query_one("#key", Input).value.strip() or None,
            "agent_type": None if agent is Select.NULL else agent,
            "command": {"argv": argv} if argv else None,
            "success_criteria": [c.strip() for c in criteria if c.strip()],
            "depends_on": [{"key": k, "type": dep_type} for k in raw.split() if k],
        }

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.reading is not None:
            return  # nothing to save yet (keys typed meanwhile wait for the title)
        error = self.query_one("#dialog-error", Static)
        try:
            values = self.values()
        except ValueError as exc:  # each with its sentence (`values`)
            error.update(Text(str(exc)))
            return
        if not values["title"]:
            error.update(Text("a task needs a title"))
            return
        change = values.pop("runs", None)
        agent = values.get("agent")
        try:
            task_spec(values)
            if agent is not None:
                AgentUse(**agent)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            field = field if exc.title == TaskSpec.__name__ else f"agent.{field}"
            error.update(Text(f"{field}: {validation_message(first)}"))
            return
        if self.editing is not None:
            values.pop("agent", None)  # in `change`
            if change is not None:
                current = self.editing.command
                self._check(values, lambda: _command_refusal(values, current, change))
                return
        elif agent is not None or values.get("workspace") is not None:
            self._check(values, lambda: _refusal(values))
            return
        self.dismiss(values)

    def _check(self, values: dict[str, Any], refusal_of: Callable[[], str | None]) -> None:
        """Save once `refusal_of` (run off the UI thread: it reads the user's profiles
        file and the repository) finds nothing wrong (the newest save wins)."""

        def work() -> None:
            refusal = refusal_of()
            if not get_current_worker().is_cancelled:
                self.post_message(_Checked(values, refusal))

        self.run_worker(work, thread=True, group="form-agent", exclusive=True)

    @on(_Checked)
    def _checked(self, message: _Checked) -> None:
        if not self.is_current:
            return  # cancelled meanwhile
        if message.refusal:
            self.query_one("#dialog-error", Static).update(Text(message.refusal))
            return
        self.dismiss(message.values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

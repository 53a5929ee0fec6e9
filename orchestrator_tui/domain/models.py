"""Pydantic models for everything that crosses a boundary.

Inputs (`TaskSpec`, `TaskPatch`, `CommandSpec`, `AgentReport`, ...) validate
what people, files and agents hand us. Views (`TaskRow`, `TaskDetail`,
`RunView`, ...) are the plain, frozen data the CLI and the TUI render; no
live ORM row ever leaves the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_serializer,
)

from . import rules
from .agent import AgentRunFacts, AgentUse, Spend
from .enums import (
    AgentStatus,
    AgentType,
    ApprovalDecision,
    Complexity,
    ComponentArea,
    DependencyType,
    LogStream,
    Priority,
    Readiness,
    RunStatus,
    TaskStatus,
)
from .errors import ValidationFailed
from .list_row import RowRules
from .status_map import map_status
from .workspace import OnVerifyFail, WorkspaceSpec

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CommandSpec(_Input):
    """A command as an argument list: never parsed by a shell."""

    argv: list[str] = Field(min_length=1)
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float | None = Field(default=None, gt=0)
    #: Run in a git worktree of its own (see domain/workspace.py).
    workspace: WorkspaceSpec | None = None
    #: Commands run in the working directory after exit 0, before the task counts as done.
    verify: list[list[str]] = Field(default_factory=list)
    on_verify_fail: OnVerifyFail = OnVerifyFail.RETRY
    #: Run through a coding-agent profile: argv is then the profile's, with the prompt.
    agent: AgentUse | None = None

    @field_validator("argv")
    @classmethod
    def _no_empty_program(cls, argv: list[str]) -> list[str]:
        if not argv[0].strip():
            raise ValueError("the program (first argument) is empty")
        return argv

    @field_validator("verify")
    @classmethod
    def _verify_argv(cls, verify: list[list[str]]) -> list[list[str]]:
        for argv in verify:
            if not argv or not argv[0].strip():
                raise ValueError("each verify command is a non-empty argument list")
        return verify

    @model_serializer(mode="wrap")
    def _without_unused_review_options(self, handler: Any) -> dict[str, Any]:
        """Commands without workspace, verify or agent store exactly what they always did."""
        data: dict[str, Any] = handler(self)
        if data.get("workspace") is None:
            data.pop("workspace", None)
        if not data.get("verify"):
            data.pop("verify", None)
            if data.get("on_verify_fail") in (OnVerifyFail.RETRY, "retry"):
                data.pop("on_verify_fail", None)
        if data.get("agent") is None:  # nor does a plain command (no coding agent)
            data.pop("agent", None)
        return data


class DependencyRef(_Input):
    key: str = Field(pattern=KEY_PATTERN)
    type: DependencyType = DependencyType.BLOCKS


def _dependency_refs(value: Any) -> Any:
    if isinstance(value, list):
        return [{"key": v} if isinstance(v, str) else v for v in value]
    return value


class TaskSpec(_Input):
    """A task to create, from a person, a plan file or an importer."""

    key: str | None = Field(default=None, pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=100_000)
    status: TaskStatus = TaskStatus.PENDING
    priority: Priority = Priority.MEDIUM
    complexity: Complexity = Complexity.MEDIUM
    component_area: ComponentArea = ComponentArea.GENERAL
    phase: int = Field(default=1, ge=1, le=99)
    parent: str | None = Field(default=None, pattern=KEY_PATTERN)
    assignee: str | None = Field(default=None, max_length=100)
    agent_type: AgentType | None = None
    estimated_hours: float | None = Field(default=None, ge=0, le=100_000)
    actual_hours: float | None = Field(default=None, ge=0, le=100_000)
    deadline: datetime | None = None
    success_criteria: list[str] = Field(default_factory=list)
    requires_approval: bool = False
    command: CommandSpec | None = None
    max_retries: int = Field(default=0, ge=0, le=100)
    tags: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    progress: int = Field(default=0, ge=0, le=100)
    depends_on: list[DependencyRef] = Field(default_factory=list)
    source: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)

    _refs = field_validator("depends_on", mode="before")(_dependency_refs)


class TaskPatch(_Input):
    """Fields to change on an existing task; None means leave as is."""

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=100_000)
    priority: Priority | None = None
    complexity: Complexity | None = None
    component_area: ComponentArea | None = None
    phase: int | None = Field(default=None, ge=1, le=99)
    assignee: str | None = Field(default=None, max_length=100)
    agent_type: AgentType | None = None
    estimated_hours: float | None = Field(default=None, ge=0, le=100_000)
    actual_hours: float | None = Field(default=None, ge=0, le=100_000)
    deadline: datetime | None = None
    success_criteria: list[str] | None = None
    requires_approval: bool | None = None
    command: CommandSpec | None = None
    max_retries: int | None = Field(default=None, ge=0, le=100)
    tags: list[str] | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class TaskRow(_View, RowRules):
    """One line of the task list (what it allows: `RowRules`; the same line without
    pydantic: `ListRow`)."""

    id: int
    key: str
    title: str
    status: TaskStatus
    priority: Priority
    assignee: str | None
    progress: int
    phase: int
    estimated_hours: float | None
    requires_approval: bool
    unfinished_blockers: int
    readiness: Readiness
    updated_at: datetime
    #: Questions its agent asked that nobody has answered yet.
    open_questions: int = 0
    has_command: bool = False
    #: A runner holds the task (its command is running).
    leased: bool = False


class ChangePreview(_View):
    """What a status change would do to one task, before it is made: the status it
    would reach, or why it is refused (the planner's own words)."""

    key: str
    title: str = ""
    status: TaskStatus | None = None
    target: TaskStatus | None = None
    refusal: str | None = None


class TaskDetail(_View):
    """Everything about one task (the detail screen, `task show`)."""

    id: int
    key: str
    title: str
    description: str
    status: TaskStatus
    readiness: Readiness
    priority: Priority
    complexity: Complexity
    component_area: ComponentArea
    phase: int
    parent: str | None
    assignee: str | None
    agent_type: AgentType | None
    estimated_hours: float | None
    actual_hours: float | None
    deadline: datetime | None
    success_criteria: list[str]
    requires_approval: bool
    command: CommandSpec | None
    max_retries: int
    attempts: int
    tags: list[str]
    extra: dict[str, Any]
    progress: int
    source: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    version: int
    blockers: list[DependencyView]
    dependents: list[DependencyView]

    @property
    def open_blockers(self) -> int:
        """How many blocking dependencies are not finished."""
        return rules.open_blocker_count(self.blockers)

    def as_row(self, shown: TaskRow | None = None, open_questions: int | None = None) -> TaskRow:
        """This task as a line of the task list. `shown`: the line shown now, which
        keeps what a detail does not say (open questions, a runner's lease);
        `open_questions`: how many are open, when the caller has counted them."""
        fields: dict[str, Any] = {
            "id": self.id,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "progress": self.progress,
            "phase": self.phase,
            "estimated_hours": self.estimated_hours,
            "requires_approval": self.requires_approval,
            "unfinished_blockers": self.open_blockers,
            "readiness": self.readiness,
            "updated_at": self.updated_at,
            "has_command": self.command is not None,
        }
        if open_questions is not None:
            fields["open_questions"] = open_questions
        return TaskRow(**fields) if shown is None else shown.model_copy(update=fields)


class DependencyView(_View):
    key: str
    title: str
    status: TaskStatus
    type: DependencyType


class TreeNode(_View):
    """One task in an upstream or downstream tree."""

    key: str
    title: str
    status: TaskStatus
    type: DependencyType
    on_critical_path: bool
    children: list[TreeNode]


class RunView(_View, AgentRunFacts):
    id: int
    execution_id: str
    task_key: str
    agent: str | None
    attempt: int
    status: RunStatus
    started_at: datetime | None
    ended_at: datetime | None
    exit_code: int | None
    outputs: dict[str, Any]
    outputs_uri: str | None
    error: str | None
    #: Who asked for the run to be stopped, and why (`RunService.cancel`).
    cancel_requested: str | None = None
    log_excerpt: str | None
    line_count: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> str:
        """`stopping` for a cancelled run not yet closed, else its status (in JSON too)."""
        return rules.run_state(self.status, self.cancel_requested)

    @property
    def state_text(self) -> str:
        """The state with who asked for a stop, while the run is stopping."""
        return rules.run_state_text(self.status, self.cancel_requested)

    @property
    def reason(self) -> str | None:
        """Why the run ended (its error) or, while it is stopping, who asked for it
        to stop; None when there is nothing to say."""
        if rules.run_stopping(self.status, self.cancel_requested):
            return self.cancel_requested
        return self.error

    def ending(self, last_line: str | None = None) -> str | None:
        """How the run ended and why, in the words of its `run_finished` event and
        its error (`run 3 failed (exit 1): Not logged in`), the why left out when its
        log's `last_line` says it already (`✗ Not logged in`); None while it is open.
        Untrusted (the error is the agent's): make it printable before showing it."""
        if not self.status.is_finished:
            return None
        return rules.run_ended_text(self.id, self.status, self.exit_code, self.error, last_line)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class LogLineView(_View):
    id: int
    seq: int
    stream: LogStream
    text: str
    created_at: datetime


class EventView(_View):
    id: int
    created_at: datetime
    actor: str
    kind: str
    task_key: str | None
    data: dict[str, Any]

    def summary(self) -> str:
        """One plain sentence: what happened (no markup)."""
        from .event_text import event_sentence

        return event_sentence(self.kind, self.data)


class ApprovalView(_View):
    id: int
    task_key: str
    run_id: int | None
    decision: ApprovalDecision
    actor: str
    comment: str
    decided_at: datetime


class ProgressView(_View):
    percent: int
    message: str
    actor: str
    created_at: datetime


class NoteView(_View):
    author: str
    body: str
    updated_at: datetime


class FeedbackView(_View):
    quality: int
    timeliness: int
    notes: str
    actor: str
    created_at: datetime


class ParticipantView(_View):
    agent: str
    role: str
    joined_at: datetime


class AgentView(_View):
    name: str
    agent_type: AgentType
    capabilities: list[str]
    status: AgentStatus
    last_heartbeat: datetime | None
    heartbeat_age_seconds: float | None


class WaitingApproval(_View):
    """A row of the approvals inbox."""

    key: str
    title: str
    assignee: str | None
    waiting_since: datetime
    last_run_actor: str | None
    #: Who sent it for approval ("" for a task a plan loaded awaiting approval).
    submitted_by: str | None = None

    @property
    def ran_by(self) -> str | None:
        """Who did the work under review: its last run's agent, else whoever sent it
        for approval (an agent through MCP, a person), else its assignee."""
        return self.last_run_actor or self.submitted_by or self.assignee


class QuestionView(_View):
    """A question asked on a task, and its answer once someone gave one."""

    id: int
    task_key: str
    task_title: str
    asked_by: str
    text: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    #: When the task's work ended with the question unanswered (it cannot be answered).
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return rules.question_open(self)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class InboxEntry(_View):
    """A row of the inbox: a task awaiting approval or a question awaiting an answer."""

    kind: str  # "approval" | "question"
    key: str
    title: str
    since: datetime
    who: str | None  # who ran the work under review, or who asked
    text: str = ""  # the question
    question_id: int | None = None
    #: An approval's task as the task list shows it (what the decision keys act on);
    #: None for a question, and for a task that moved on since the inbox was read.
    row: TaskRow | None = None


class DashboardStats(_View):
    total: int
    by_status: dict[TaskStatus, int]
    ready: int
    waiting: int
    awaiting_approval: int
    estimated_hours_total: float
    estimated_hours_done: float
    progress_percent: float
    by_phase: dict[int, dict[TaskStatus, int]]
    by_component: dict[str, int]
    by_assignee: dict[str, dict[TaskStatus, int]]
    critical_path: list[str]
    critical_path_hours: float
    agents: list[AgentView]
    recent_events: list[EventView]
    completions_per_hour: list[int]
    #: Tokens and cost of coding-agent runs (None where not computed).
    agent_spend: Spend | None = None


class TaskDelegation(_Input):
    """A supervisor's hand-off of a task to an agent (seed 000)."""

    assigned_agent: AgentType
    reasoning: str = Field(min_length=1, max_length=1000)
    priority: Priority = Priority.MEDIUM
    estimated_duration_minutes: int = Field(ge=1, le=100_000)
    success_criteria: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)


class AgentReport(_Input):
    """What an agent reports about its work on a task (seed 000)."""

    agent_name: str = Field(min_length=1, max_length=100)
    agent_type: AgentType = AgentType.CODING
    status: TaskStatus
    progress: int | None = Field(default=None, ge=0, le=100)
    summary: str = Field(default="", max_length=10_000)
    outputs: dict[str, Any] = Field(default_factory=dict)
    artifacts_created: list[str] = Field(default_factory=list)
    issues_found: list[str] = Field(default_factory=list)
    blocking_issues: list[str] = Field(default_factory=list)
    error_details: str | None = Field(default=None, max_length=10_000)

    @field_validator("status", mode="before")
    @classmethod
    def _any_known_word(cls, value: Any) -> Any:
        """Agents may speak any mapped status word (`completed`, `succeeded`, ...)."""
        if isinstance(value, str):
            try:
                return map_status(value)
            except ValidationFailed as exc:
                raise ValueError(str(exc)) from None
        return value


TaskDetail.model_rebuild()
TreeNode.model_rebuild()

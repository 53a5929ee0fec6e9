"""SQLModel tables: the one declaration of the schema every front door shares.

The program itself uses the SQLAlchemy Core tables generated from these classes
(`tables.py`, made by `python -m orchestrator_tui.store.generate_tables`; a test
checks they match), so a command never imports sqlmodel, SQLAlchemy's ORM or
pydantic to reach the database. Change a table here, then regenerate.

Enumerated values are stored as their plain string values (validated by the
domain enums in the services), so a new status word never needs an ALTER.
All times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..domain.agent import AgentRunFacts
from .columns import KEY_ORDER, UTCDateTime, new_dict, new_list


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    """A JSON column that also gets its empty default on Core (bulk) inserts."""
    return Field(
        default_factory=default,
        sa_column=Column(JSON, nullable=False, default=new_list if default is list else new_dict),
    )


class TableModel(SQLModel):
    """The base of every table below. SQLModel gives each table class its Core
    `__table__` at run time; this says so to the type checker."""

    if TYPE_CHECKING:
        __table__: ClassVar[Table]


class SchemaMeta(TableModel, table=True):
    __tablename__ = "schema_meta"

    key: str = Field(primary_key=True)
    value: str


class Task(TableModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_priority", "status", "priority"),
        Index("ix_tasks_assignee", "assignee"),
        Index("ix_tasks_phase", "phase"),
        Index("ix_tasks_parent", "parent_id"),
        # the list in key order (its default) read from here, ties by id as it sorts
        Index("ix_tasks_key_order", "key_order", "id"),
        UniqueConstraint("source", "external_id", name="uq_tasks_source_external"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_tasks_progress"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    title: str
    description: str = ""
    status: str = "pending"
    priority: str = "medium"
    complexity: str = "medium"
    component_area: str = "general"
    phase: int = 1
    parent_id: int | None = Field(default=None, foreign_key="tasks.id", ondelete="SET NULL")
    assignee: str | None = None
    agent_type: str | None = None
    estimated_hours: float | None = None
    actual_hours: float | None = None
    deadline: datetime | None = _time()
    success_criteria: list[str] = _json(list)
    requires_approval: bool = False
    #: No command is SQL NULL (databases written before may hold the JSON text
    #: 'null'; readers take both as no command, see `domain.rules.NO_COMMAND_JSON`).
    command: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    max_retries: int = 0
    attempts: int = 0
    tags: list[str] = _json(list)
    extra: dict[str, Any] = _json(dict)
    progress: int = 0
    completion_summary: str = ""
    #: The plan file the task came from, when that plan has a budget.
    plan: str | None = Field(default=None, index=True)
    source: str | None = None
    external_id: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = _time()
    retry_after: datetime | None = _time()
    created_at: datetime = _time(nullable=False)
    updated_at: datetime = _time(nullable=False)
    started_at: datetime | None = _time()
    completed_at: datetime | None = _time(index=True)
    version: int = 1
    #: `natural_key(key)`, filled in with the row (`columns.KEY_ORDER`); NULL only in
    #: a row another program wrote without it (such rows sort first).
    key_order: str | None = Field(
        default=None, sa_column=Column(String, nullable=True, default=KEY_ORDER)
    )


class TaskDependency(TableModel, table=True):
    __tablename__ = "task_dependencies"
    __table_args__ = (
        UniqueConstraint("task_id", "depends_on_id", name="uq_task_dependency"),
        CheckConstraint("task_id != depends_on_id", name="ck_no_self_dependency"),
        Index("ix_dependencies_depends_on", "depends_on_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    depends_on_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    dep_type: str = "blocks"
    created_at: datetime = _time(nullable=False)


class Agent(TableModel, table=True):
    __tablename__ = "agents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    agent_type: str = "coding"
    capabilities: list[str] = _json(list)
    status: str = "idle"
    last_heartbeat: datetime | None = _time()
    registered_at: datetime = _time(nullable=False)
    meta: dict[str, Any] = _json(dict)


class Run(AgentRunFacts, TableModel, table=True):
    """A run of a task's command; a coding agent's run also has the columns of
    `AgentRunFacts` (what it was asked, its session, what it spent)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_task_started", "task_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(unique=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    agent: str | None = Field(default=None, index=True)
    attempt: int = 1
    status: str = Field(default="running", index=True)
    command: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    started_at: datetime | None = _time()
    ended_at: datetime | None = _time()
    exit_code: int | None = None
    outputs: dict[str, Any] = _json(dict)
    outputs_uri: str | None = None
    error: str | None = None
    log_excerpt: str | None = None
    # Who asked for the run to be stopped and why ("run cancelled by NAME: why"):
    # an open run with it is stopping (`rules.run_stopping`); kept once closed.
    cancel_requested: str | None = None
    # Where the attempt's processes live, so a runner or a person can stop them
    # after their runner died: the child's pid and process group, the host, and
    # "<boot id>:<start time in clock ticks>" to tell a reused pid apart.
    pid: int | None = None
    pgid: int | None = None
    host: str | None = None
    proc_start: str | None = None


class PlanBudget(TableModel, table=True):
    """A plan's spending limit and what its tasks' runs have spent so far."""

    __tablename__ = "plan_budgets"

    plan: str = Field(primary_key=True)
    usd: float | None = None
    tokens: int | None = None
    seconds: float | None = None
    spent_usd: float = 0.0
    spent_tokens: int = 0
    spent_seconds: float = 0.0
    #: Why the plan claims no new tasks ("plan P: budget exceeded: $5.10 of $5.00"), or None.
    exhausted: str | None = None
    updated_at: datetime = _time(nullable=False)


class LogLine(TableModel, table=True):
    __tablename__ = "log_lines"
    __table_args__ = (Index("ix_log_lines_run_seq", "run_id", "seq", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", ondelete="CASCADE")
    seq: int
    stream: str = "stdout"
    text: str
    created_at: datetime = _time(nullable=False)


class RunChange(TableModel, table=True):
    """What a run changed in its task's git worktree (one row per run that had one)."""

    __tablename__ = "run_changes"
    __table_args__ = (Index("ix_run_changes_task", "task_id", "run_id"),)

    run_id: int = Field(foreign_key="runs.id", ondelete="CASCADE", primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    repo: str
    base: str
    branch: str
    worktree: str
    base_commit: str
    head_commit: str
    committed: str | None = None
    files: list[dict[str, Any]] = _json(list)
    added: int = 0
    removed: int = 0
    diff_bytes: int = 0
    diff: str = ""
    verify: list[dict[str, Any]] = _json(list)
    created_at: datetime = _time(nullable=False)


class ProgressRecord(TableModel, table=True):
    __tablename__ = "progress"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    percent: int
    message: str = ""
    actor: str
    created_at: datetime = _time(nullable=False)


class Event(TableModel, table=True):
    """Append-only: the audit log and the change feed."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_task", "task_id", "id"),
        Index("ix_events_kind_time", "kind", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _time(nullable=False)
    actor: str
    kind: str
    task_id: int | None = Field(default=None, foreign_key="tasks.id", ondelete="SET NULL")
    run_id: int | None = Field(default=None, foreign_key="runs.id", ondelete="SET NULL")
    data: dict[str, Any] = _json(dict)


class Approval(TableModel, table=True):
    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    run_id: int | None = Field(default=None, foreign_key="runs.id", ondelete="SET NULL")
    decision: str
    actor: str
    comment: str = ""
    decided_at: datetime = _time(nullable=False)


class Participant(TableModel, table=True):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("task_id", "agent", name="uq_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    agent: str
    role: str = ""
    joined_at: datetime = _time(nullable=False)


class TaskContext(TableModel, table=True):
    """Shared context for everyone on a task, kept as YAML text."""

    __tablename__ = "task_context"

    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", primary_key=True)
    yaml_text: str = ""
    updated_by: str
    updated_at: datetime = _time(nullable=False)


class Note(TableModel, table=True):
    """An agent's private Markdown notes on a task (one document per author)."""

    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("task_id", "author", name="uq_note_author"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    author: str
    body: str = ""
    updated_at: datetime = _time(nullable=False)


class Feedback(TableModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("quality BETWEEN 1 AND 5", name="ck_feedback_quality"),
        CheckConstraint("timeliness BETWEEN 1 AND 5", name="ck_feedback_timeliness"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    quality: int
    timeliness: int
    notes: str = ""
    actor: str
    created_at: datetime = _time(nullable=False)


class Question(TableModel, table=True):
    """A question an agent (or any task command) asks a person; one answer wins."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_open", "answered_at", "asked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE", index=True)
    asked_by: str
    text: str
    asked_at: datetime = _time(nullable=False)
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = _time()
    #: Set when the task's work ended (done, failed, cancelled) with it unanswered.
    closed_at: datetime | None = _time()

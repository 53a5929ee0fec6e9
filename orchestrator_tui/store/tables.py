"""The tables as SQLAlchemy Core `Table`s: what every query and write uses.

Generated from the SQLModel declarations in `table_models.py` (where the tables are
documented) by `python -m orchestrator_tui.store.generate_tables`; do not edit. Each
class only holds its table as `__table__`, as the SQLModel class does, without
importing sqlmodel, SQLAlchemy's ORM or pydantic.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from .columns import AGENT_RUN_COLUMNS, KEY_ORDER, UTCDateTime, new_dict, new_list, utcnow

__all__ = [
    "AGENT_RUN_COLUMNS",
    "Agent",
    "Approval",
    "CoreTable",
    "Event",
    "Feedback",
    "LogLine",
    "Note",
    "Participant",
    "PlanBudget",
    "ProgressRecord",
    "Question",
    "Run",
    "RunChange",
    "SchemaMeta",
    "Task",
    "TaskContext",
    "TaskDependency",
    "UTCDateTime",
    "metadata",
    "utcnow",
]

metadata = MetaData()


class CoreTable:
    """A table's class: its Core table is `__table__`."""

    __table__: ClassVar[Table]


class SchemaMeta(CoreTable):
    __table__ = Table(
        "schema_meta",
        metadata,
        Column("key", String(), primary_key=True, nullable=False),
        Column("value", String(), nullable=False),
    )


class Task(CoreTable):
    __table__ = Table(
        "tasks",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column("key", String(), nullable=False, index=True, unique=True),
        Column("title", String(), nullable=False),
        Column("description", String(), nullable=False, default=""),
        Column("status", String(), nullable=False, default="pending"),
        Column("priority", String(), nullable=False, default="medium"),
        Column("complexity", String(), nullable=False, default="medium"),
        Column("component_area", String(), nullable=False, default="general"),
        Column("phase", Integer(), nullable=False, default=1),
        Column("parent_id", Integer(), ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True),
        Column("assignee", String(), nullable=True),
        Column("agent_type", String(), nullable=True),
        Column("estimated_hours", Float(), nullable=True),
        Column("actual_hours", Float(), nullable=True),
        Column("deadline", UTCDateTime(), nullable=True),
        Column("success_criteria", JSON(), nullable=False, default=new_list),
        Column("requires_approval", Boolean(), nullable=False, default=False),
        Column("command", JSON(none_as_null=True), nullable=True),
        Column("max_retries", Integer(), nullable=False, default=0),
        Column("attempts", Integer(), nullable=False, default=0),
        Column("tags", JSON(), nullable=False, default=new_list),
        Column("extra", JSON(), nullable=False, default=new_dict),
        Column("progress", Integer(), nullable=False, default=0),
        Column("completion_summary", String(), nullable=False, default=""),
        Column("plan", String(), nullable=True, index=True),
        Column("source", String(), nullable=True),
        Column("external_id", String(), nullable=True),
        Column("lease_owner", String(), nullable=True),
        Column("lease_expires_at", UTCDateTime(), nullable=True),
        Column("retry_after", UTCDateTime(), nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("started_at", UTCDateTime(), nullable=True),
        Column("completed_at", UTCDateTime(), nullable=True, index=True),
        Column("version", Integer(), nullable=False, default=1),
        Column("key_order", String(), nullable=True, default=KEY_ORDER),
        Index("ix_tasks_assignee", "assignee"),
        Index("ix_tasks_key_order", "key_order", "id"),
        Index("ix_tasks_parent", "parent_id"),
        Index("ix_tasks_phase", "phase"),
        Index("ix_tasks_status_priority", "status", "priority"),
        UniqueConstraint("source", "external_id", name="uq_tasks_source_external"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_tasks_progress"),
    )


class TaskDependency(CoreTable):
    __table__ = Table(
        "task_dependencies",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column(
            "depends_on_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("dep_type", String(), nullable=False, default="blocks"),
        Column("created_at", UTCDateTime(), nullable=False),
        Index("ix_dependencies_depends_on", "depends_on_id"),
        UniqueConstraint("task_id", "depends_on_id", name="uq_task_dependency"),
        CheckConstraint("task_id != depends_on_id", name="ck_no_self_dependency"),
    )


class Agent(CoreTable):
    __table__ = Table(
        "agents",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column("name", String(), nullable=False, index=True, unique=True),
        Column("agent_type", String(), nullable=False, default="coding"),
        Column("capabilities", JSON(), nullable=False, default=new_list),
        Column("status", String(), nullable=False, default="idle"),
        Column("last_heartbeat", UTCDateTime(), nullable=True),
        Column("registered_at", UTCDateTime(), nullable=False),
        Column("meta", JSON(), nullable=False, default=new_dict),
    )


class Run(CoreTable):
    __table__ = Table(
        "runs",
        metadata,
        Column("profile", String(), nullable=True),
        Column("prompt", String(), nullable=True),
        Column("session_id", String(), nullable=True),
        Column("model", String(), nullable=True),
        Column("turns", Integer(), nullable=True),
        Column("input_tokens", Integer(), nullable=True),
        Column("output_tokens", Integer(), nullable=True),
        Column("cached_tokens", Integer(), nullable=True),
        Column("cost_usd", Float(), nullable=True),
        Column("summary", String(), nullable=True),
        Column("id", Integer(), primary_key=True, nullable=False),
        Column("execution_id", String(), nullable=False, unique=True),
        Column("task_id", Integer(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        Column("agent", String(), nullable=True, index=True),
        Column("attempt", Integer(), nullable=False, default=1),
        Column("status", String(), nullable=False, index=True, default="running"),
        Column("command", JSON(), nullable=True),
        Column("started_at", UTCDateTime(), nullable=True),
        Column("ended_at", UTCDateTime(), nullable=True),
        Column("exit_code", Integer(), nullable=True),
        Column("outputs", JSON(), nullable=False, default=new_dict),
        Column("outputs_uri", String(), nullable=True),
        Column("error", String(), nullable=True),
        Column("log_excerpt", String(), nullable=True),
        Column("cancel_requested", String(), nullable=True),
        Column("pid", Integer(), nullable=True),
        Column("pgid", Integer(), nullable=True),
        Column("host", String(), nullable=True),
        Column("proc_start", String(), nullable=True),
        Index("ix_runs_task_started", "task_id", "started_at"),
    )


class PlanBudget(CoreTable):
    __table__ = Table(
        "plan_budgets",
        metadata,
        Column("plan", String(), primary_key=True, nullable=False),
        Column("usd", Float(), nullable=True),
        Column("tokens", Integer(), nullable=True),
        Column("seconds", Float(), nullable=True),
        Column("spent_usd", Float(), nullable=False, default=0.0),
        Column("spent_tokens", Integer(), nullable=False, default=0),
        Column("spent_seconds", Float(), nullable=False, default=0.0),
        Column("exhausted", String(), nullable=True),
        Column("updated_at", UTCDateTime(), nullable=False),
    )


class LogLine(CoreTable):
    __table__ = Table(
        "log_lines",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column("run_id", Integer(), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        Column("seq", Integer(), nullable=False),
        Column("stream", String(), nullable=False, default="stdout"),
        Column("text", String(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Index("ix_log_lines_run_seq", "run_id", "seq", unique=True),
    )


class RunChange(CoreTable):
    __table__ = Table(
        "run_changes",
        metadata,
        Column(
            "run_id",
            Integer(),
            ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        Column("task_id", Integer(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        Column("repo", String(), nullable=False),
        Column("base", String(), nullable=False),
        Column("branch", String(), nullable=False),
        Column("worktree", String(), nullable=False),
        Column("base_commit", String(), nullable=False),
        Column("head_commit", String(), nullable=False),
        Column("committed", String(), nullable=True),
        Column("files", JSON(), nullable=False, default=new_list),
        Column("added", Integer(), nullable=False, default=0),
        Column("removed", Integer(), nullable=False, default=0),
        Column("diff_bytes", Integer(), nullable=False, default=0),
        Column("diff", String(), nullable=False, default=""),
        Column("verify", JSON(), nullable=False, default=new_list),
        Column("created_at", UTCDateTime(), nullable=False),
        Index("ix_run_changes_task", "task_id", "run_id"),
    )


class ProgressRecord(CoreTable):
    __table__ = Table(
        "progress",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("percent", Integer(), nullable=False),
        Column("message", String(), nullable=False, default=""),
        Column("actor", String(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
    )


class Event(CoreTable):
    __table__ = Table(
        "events",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("actor", String(), nullable=False),
        Column("kind", String(), nullable=False),
        Column("task_id", Integer(), ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True),
        Column("run_id", Integer(), ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
        Column("data", JSON(), nullable=False, default=new_dict),
        Index("ix_events_kind_time", "kind", "created_at"),
        Index("ix_events_task", "task_id", "id"),
    )


class Approval(CoreTable):
    __table__ = Table(
        "approvals",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("run_id", Integer(), ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
        Column("decision", String(), nullable=False),
        Column("actor", String(), nullable=False),
        Column("comment", String(), nullable=False, default=""),
        Column("decided_at", UTCDateTime(), nullable=False),
    )


class Participant(CoreTable):
    __table__ = Table(
        "participants",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("agent", String(), nullable=False),
        Column("role", String(), nullable=False, default=""),
        Column("joined_at", UTCDateTime(), nullable=False),
        UniqueConstraint("task_id", "agent", name="uq_participant"),
    )


class TaskContext(CoreTable):
    __table__ = Table(
        "task_context",
        metadata,
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        Column("yaml_text", String(), nullable=False, default=""),
        Column("updated_by", String(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    )


class Note(CoreTable):
    __table__ = Table(
        "notes",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("author", String(), nullable=False),
        Column("body", String(), nullable=False, default=""),
        Column("updated_at", UTCDateTime(), nullable=False),
        UniqueConstraint("task_id", "author", name="uq_note_author"),
    )


class Feedback(CoreTable):
    __table__ = Table(
        "feedback",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("quality", Integer(), nullable=False),
        Column("timeliness", Integer(), nullable=False),
        Column("notes", String(), nullable=False, default=""),
        Column("actor", String(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        CheckConstraint("quality BETWEEN 1 AND 5", name="ck_feedback_quality"),
        CheckConstraint("timeliness BETWEEN 1 AND 5", name="ck_feedback_timeliness"),
    )


class Question(CoreTable):
    __table__ = Table(
        "questions",
        metadata,
        Column("id", Integer(), primary_key=True, nullable=False),
        Column(
            "task_id",
            Integer(),
            ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("asked_by", String(), nullable=False),
        Column("text", String(), nullable=False),
        Column("asked_at", UTCDateTime(), nullable=False),
        Column("answer", String(), nullable=True),
        Column("answered_by", String(), nullable=True),
        Column("answered_at", UTCDateTime(), nullable=True),
        Column("closed_at", UTCDateTime(), nullable=True),
        Index("ix_questions_open", "answered_at", "asked_at"),
    )

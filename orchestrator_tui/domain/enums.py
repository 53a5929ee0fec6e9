"""Every enumerated vocabulary of the product, defined once."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where a task stands. Readiness (ready / waiting) is derived, not stored."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    BLOCKED = "blocked"
    DEFERRED = "deferred"
    FAILED = "failed"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        """Finished work satisfies a blocking dependency; only `done` does."""
        return self is TaskStatus.DONE


class Readiness(StrEnum):
    """Whether a task could start now, derived from its status and its dependencies."""

    READY = "ready"  # pending, every blocking dependency done
    WAITING = "waiting"  # pending, some blocking dependency unfinished
    ACTIVE = "active"  # in progress or awaiting approval
    STOPPED = "stopped"  # blocked, deferred or failed: needs a person
    CLOSED = "closed"  # done or cancelled


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Higher is more urgent."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}


class Complexity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class ComponentArea(StrEnum):
    ENVIRONMENT = "environment"
    DEPENDENCIES = "dependencies"
    CONFIGURATION = "configuration"
    ARCHITECTURE = "architecture"
    DATABASE = "database"
    SERVICES = "services"
    UI = "ui"
    TESTING = "testing"
    DOCUMENTATION = "documentation"
    SECURITY = "security"
    GENERAL = "general"


class AgentType(StrEnum):
    RESEARCH = "research"
    CODING = "coding"
    TESTING = "testing"
    DOCUMENTATION = "documentation"
    HUMAN = "human"


#: An agent whose last heartbeat is older than this is shown as stale.
AGENT_STALE_AFTER_SECONDS = 60.0


class AgentStatus(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"
    OFFLINE = "offline"


class DependencyType(StrEnum):
    """Only `blocks` gates a task; the others are informational links."""

    BLOCKS = "blocks"
    ENABLES = "enables"
    ENHANCES = "enhances"

    @property
    def gates(self) -> bool:
        return self is DependencyType.BLOCKS


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    LOST = "lost"

    @property
    def is_finished(self) -> bool:
        """A run is open (its processes may run, its end is not written) until it
        reaches any other status. The one definition of an open run:
        `rules.RUN_OPEN` and its SQL form (`services.rules.run_open`) come from it."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


class LogStream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"
    SYSTEM = "system"
    VERIFY = "verify"  # output of a task's verify commands
    #: An agent's events exactly as it printed them (shown readably on stdout/stderr).
    RAW = "raw"


class EventKind(StrEnum):
    """Every kind of row in the events table (the audit log and change feed)."""

    TASK_CREATED = "task_created"
    TASK_EDITED = "task_edited"
    TASK_DELETED = "task_deleted"
    STATUS_CHANGED = "status_changed"
    STATUS_REVERTED = "status_reverted"
    FORCED_START = "forced_start"
    UNBLOCKED = "unblocked"
    DEPENDENCY_ADDED = "dependency_added"
    DEPENDENCY_REMOVED = "dependency_removed"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    PROGRESS = "progress"
    NOTE = "note"
    CONTEXT = "context"
    FEEDBACK = "feedback"
    PARTICIPANT_JOINED = "participant_joined"
    AGENT_REGISTERED = "agent_registered"
    RUN_STARTED = "run_started"
    RUN_FINISHED = "run_finished"
    RUN_LOST = "run_lost"
    AGENT_USAGE = "agent_usage"
    PLAN_IMPORTED = "plan_imported"
    DATABASE_SEEDED = "database_seeded"
    CHANGES_RECORDED = "changes_recorded"
    MERGED = "merged"
    QUESTION_ASKED = "question_asked"
    QUESTION_ANSWERED = "question_answered"
    QUESTION_CLOSED = "question_closed"
    QUESTION_REOPENED = "question_reopened"

"""What each view of a stored row holds, field by field, as plain values (enums,
datetimes, lists), in the order the view declares them: `row_views` builds the
pydantic views from these, and the CLI's quick reads print from them directly
(text, and the JSON of a task list row or a task's detail), so those reads never
import pydantic, and the TUI's first page is built from them as plain `ListRow`s.
Any row with the columns as attributes will do (read through SQLAlchemy or
`sqlite3`). Standard library and the domain's rules only.
"""

from __future__ import annotations

from typing import Any

from ..domain.enums import (
    AgentType,
    ApprovalDecision,
    Complexity,
    ComponentArea,
    Priority,
    TaskStatus,
)
from ..domain.list_row import ListRow
from ..domain.rules import open_blocker_count, readiness, stored_word


def task_row_fields(r: Any) -> dict[str, Any]:
    """The fields of a task list row (`TaskRow`) from `id, key, title, status, priority,
    assignee, progress, phase, estimated_hours, requires_approval, updated_at,
    unfinished, has_command, leased` and, when present, `asking` (open questions)."""
    status = TaskStatus(r.status)
    return {
        "id": r.id,
        "key": r.key,
        "title": r.title,
        "status": status,
        "priority": stored_word(Priority, r.priority),
        "assignee": r.assignee,
        "progress": r.progress,
        "phase": r.phase,
        "estimated_hours": r.estimated_hours,
        "requires_approval": bool(r.requires_approval),
        "unfinished_blockers": r.unfinished,
        "readiness": readiness(status, r.unfinished),
        "updated_at": r.updated_at,
        "open_questions": getattr(r, "asking", 0) or 0,
        "has_command": bool(r.has_command),
        "leased": bool(r.leased),
    }


def list_row(r: Any) -> ListRow:
    """The task list's line of a stored row as a plain `ListRow` (what `row_views.task_row`
    gives, without pydantic: the TUI's first page is drawn with it)."""
    return ListRow(**task_row_fields(r))


def task_detail_fields(
    r: Any, parent: str | None, blockers: list[Any], dependents: list[Any]
) -> dict[str, Any]:
    """The fields of a task's detail (`TaskDetail`) from its full row, its parent's key
    and its links (each with `type` and `status`); `command` as stored (a dict or None)."""
    unfinished = open_blocker_count(blockers)
    status = TaskStatus(r.status)
    return {
        "id": r.id,
        "key": r.key,
        "title": r.title,
        "description": r.description,
        "status": status,
        "readiness": readiness(status, unfinished),
        "priority": stored_word(Priority, r.priority),
        "complexity": stored_word(Complexity, r.complexity),
        "component_area": stored_word(ComponentArea, r.component_area),
        "phase": r.phase,
        "parent": parent,
        "assignee": r.assignee,
        "agent_type": stored_word(AgentType, r.agent_type) if r.agent_type else None,
        "estimated_hours": r.estimated_hours,
        "actual_hours": r.actual_hours,
        "deadline": r.deadline,
        "success_criteria": list(r.success_criteria or []),
        "requires_approval": bool(r.requires_approval),
        "command": r.command or None,
        "max_retries": r.max_retries,
        "attempts": r.attempts,
        "tags": list(r.tags or []),
        "extra": dict(r.extra or {}),
        "progress": r.progress,
        "source": r.source,
        "external_id": r.external_id,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "started_at": r.started_at,
        "completed_at": r.completed_at,
        "version": r.version,
        "blockers": blockers,
        "dependents": dependents,
    }


def event_fields(r: Any, key: str | None) -> dict[str, Any]:
    """The fields of an event (`EventView`) from its row and its task's key."""
    return {
        "id": r.id,
        "created_at": r.created_at,
        "actor": r.actor,
        "kind": r.kind,
        "task_key": key,
        "data": dict(r.data or {}),
    }


def approval_fields(r: Any, key: str) -> dict[str, Any]:
    """The fields of a decision on a task (`ApprovalView`) from its row and its task's key."""
    return {
        "id": r.id,
        "task_key": key,
        "run_id": r.run_id,
        "decision": ApprovalDecision(r.decision),
        "actor": r.actor,
        "comment": r.comment,
        "decided_at": r.decided_at,
    }


def progress_fields(r: Any) -> dict[str, Any]:
    """The fields of a progress report (`ProgressView`) from its row."""
    return {
        "percent": r.percent,
        "message": r.message,
        "actor": r.actor,
        "created_at": r.created_at,
    }


def note_fields(r: Any) -> dict[str, Any]:
    """The fields of a note (`NoteView`) from its row."""
    return {"author": r.author, "body": r.body, "updated_at": r.updated_at}


#: The keys `CommandSpec` and the models in it write, in their order, by where they
#: sit in a command ("" the command itself). Read from the models, not written by
#: hand: `tests/core/test_command_shape.py` derives them and holds this equal.
COMMAND_SHAPE: dict[str, tuple[str, ...]] = {
    "": ("argv", "cwd", "env", "timeout_seconds", "workspace", "verify", "on_verify_fail", "agent"),
    "workspace": (
        "repo", "base", "branch", "root", "setup", "keep", "on_approve", "remote", "author",
    ),
    "workspace.setup": ("copy", "run"),
    "agent": ("profile", "model", "args", "env", "template", "budget", "definition", "plan"),
    "agent.budget": ("usd", "tokens", "seconds"),
    "agent.definition": (
        "argv", "resume_argv", "prompt", "parser", "env", "outside_git_args", "template",
        "description", "timeout_seconds",
    ),
}  # fmt: skip

#: The keys of a command its model leaves out when unused (derived from the model
#: likewise: what a bare command's dump lacks).
COMMAND_UNUSED: tuple[str, ...] = ("workspace", "verify", "on_verify_fail", "agent")

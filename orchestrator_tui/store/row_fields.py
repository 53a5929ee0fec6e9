"""A task list line's fields from a stored row (read through SQLAlchemy or `sqlite3`:
any row with the columns as attributes), for the pydantic `TaskRow`
(`row_views.task_row`) and the plain `ListRow` alike. No pydantic here: the TUI's
first page is built with it before pydantic has loaded."""

from __future__ import annotations

from typing import Any

from ..domain.enums import Priority, TaskStatus
from ..domain.list_row import ListRow
from ..domain.rules import readiness


def row_fields(r: Any) -> dict[str, Any]:
    """`TaskRow`'s fields from `id, key, title, status, priority, assignee, progress,
    phase, estimated_hours, requires_approval, updated_at, unfinished, has_command,
    leased` and, when present, `asking` (open questions)."""
    status = TaskStatus(r.status)
    hours = r.estimated_hours
    return {
        "id": r.id,
        "key": r.key,
        "title": r.title,
        "status": status,
        "priority": Priority(r.priority),
        "assignee": r.assignee,
        "progress": r.progress,
        "phase": r.phase,
        "estimated_hours": None if hours is None else float(hours),
        "requires_approval": bool(r.requires_approval),
        "unfinished_blockers": r.unfinished,
        "readiness": readiness(status, r.unfinished),
        "updated_at": r.updated_at,
        "has_command": bool(r.has_command),
        "leased": bool(r.leased),
        "open_questions": getattr(r, "asking", 0) or 0,
    }


def list_row(r: Any) -> ListRow:
    """The list line of a stored row, as `row_views.task_row` without pydantic."""
    return ListRow(**row_fields(r))

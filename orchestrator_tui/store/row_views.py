"""Stored rows to the plain views the front doors show, for rows read through
SQLAlchemy and through `sqlite3` alike (any row with the columns as attributes).
No SQLAlchemy here: the CLI's quick reads use it before (or without) loading it."""

from __future__ import annotations

from typing import Any

from ..domain.enums import AgentType, Complexity, ComponentArea, Priority, TaskStatus
from ..domain.models import CommandSpec, DependencyView, EventView, TaskDetail, TaskRow
from ..domain.rules import blocker_open, readiness
from .row_fields import row_fields


def task_row(r: Any) -> TaskRow:
    """A task list row from a stored row with the columns `row_fields` reads."""
    return TaskRow(**row_fields(r))


def task_detail_of(
    r: Any, parent: str | None, blockers: list[DependencyView], dependents: list[DependencyView]
) -> TaskDetail:
    """A task's detail from its full row, its parent's key and its links."""
    unfinished = sum(1 for b in blockers if blocker_open(b.type, b.status))
    status = TaskStatus(r.status)
    return TaskDetail(
        id=r.id,
        key=r.key,
        title=r.title,
        description=r.description,
        status=status,
        readiness=readiness(status, unfinished),
        priority=Priority(r.priority),
        complexity=Complexity(r.complexity),
        component_area=ComponentArea(r.component_area),
        phase=r.phase,
        parent=parent,
        assignee=r.assignee,
        agent_type=AgentType(r.agent_type) if r.agent_type else None,
        estimated_hours=r.estimated_hours,
        actual_hours=r.actual_hours,
        deadline=r.deadline,
        success_criteria=list(r.success_criteria or []),
        requires_approval=bool(r.requires_approval),
        command=CommandSpec.model_validate(r.command) if r.command else None,
        max_retries=r.max_retries,
        attempts=r.attempts,
        tags=list(r.tags or []),
        extra=dict(r.extra or {}),
        progress=r.progress,
        source=r.source,
        external_id=r.external_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        started_at=r.started_at,
        completed_at=r.completed_at,
        version=r.version,
        blockers=blockers,
        dependents=dependents,
    )


def event_view(r: Any, key: str | None) -> EventView:
    return EventView(
        id=r.id,
        created_at=r.created_at,
        actor=r.actor,
        kind=r.kind,
        task_key=key,
        data=dict(r.data or {}),
    )

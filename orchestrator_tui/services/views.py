"""Rows in, plain pydantic views out: the only place that knows both shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from ..domain.agent import AgentRunFacts
from ..domain.enums import (
    AgentType,
    Complexity,
    ComponentArea,
    DependencyType,
    Priority,
    RunStatus,
    TaskStatus,
)
from ..domain.models import (
    CommandSpec,
    DependencyView,
    RunView,
    TaskDetail,
    TaskRow,
)
from ..domain.rules import blocker_open, readiness
from ..store.tables import Task, TaskDependency
from .base import D, T, open_questions_expr
from .rules import has_command, open_blockers_count

#: The columns a task list row needs, plus its unfinished blocker count.
ROW_COLUMNS = (
    T.id,
    T.key,
    T.title,
    T.status,
    T.priority,
    T.assignee,
    T.progress,
    T.phase,
    T.estimated_hours,
    T.requires_approval,
    T.updated_at,
)


def row_select() -> Any:
    return select(
        *ROW_COLUMNS,
        open_blockers_count(T.id).label("unfinished"),
        has_command().label("has_command"),
        T.lease_owner.is_not(None).label("leased"),
        open_questions_expr(T.id).label("asking"),
    )


def task_row(r: Row[Any]) -> TaskRow:
    status = TaskStatus(r.status)
    return TaskRow(
        id=r.id,
        key=r.key,
        title=r.title,
        status=status,
        priority=Priority(r.priority),
        assignee=r.assignee,
        progress=r.progress,
        phase=r.phase,
        estimated_hours=r.estimated_hours,
        requires_approval=bool(r.requires_approval),
        unfinished_blockers=r.unfinished,
        readiness=readiness(status, r.unfinished),
        updated_at=r.updated_at,
        has_command=bool(r.has_command),
        leased=bool(r.leased),
        open_questions=getattr(r, "asking", 0) or 0,
    )


OTHER = Task.__table__.alias("other")  # built once; see base.BLOCKER


def _links(conn: Connection, task_id: int, upstream: bool) -> list[DependencyView]:
    other = OTHER
    mine, theirs = (D.task_id, D.depends_on_id) if upstream else (D.depends_on_id, D.task_id)
    rows = conn.execute(
        select(other.c.key, other.c.title, other.c.status, D.dep_type)
        .select_from(TaskDependency.__table__.join(other, other.c.id == theirs))
        .where(mine == task_id)
        .order_by(other.c.id)
    )
    return [
        DependencyView(
            key=r.key, title=r.title, status=TaskStatus(r.status), type=DependencyType(r.dep_type)
        )
        for r in rows
    ]


def task_detail(conn: Connection, r: Row[Any]) -> TaskDetail:
    blockers = _links(conn, r.id, upstream=True)
    unfinished = sum(1 for b in blockers if blocker_open(b.type, b.status))
    parent = None
    if r.parent_id is not None:
        parent = conn.execute(select(T.key).where(T.id == r.parent_id)).scalar_one_or_none()
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
        dependents=_links(conn, r.id, upstream=False),
    )


def run_view(r: Row[Any], task_key: str, line_count: int) -> RunView:
    return RunView(
        id=r.id,
        execution_id=r.execution_id,
        task_key=task_key,
        agent=r.agent,
        attempt=r.attempt,
        status=RunStatus(r.status),
        started_at=r.started_at,
        ended_at=r.ended_at,
        exit_code=r.exit_code,
        outputs=dict(r.outputs or {}),
        outputs_uri=r.outputs_uri,
        error=r.error,
        log_excerpt=r.log_excerpt,
        line_count=line_count,
        **{name: getattr(r, name, None) for name in AgentRunFacts.model_fields},
    )

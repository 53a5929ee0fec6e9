"""Rows in, plain pydantic views out: the only place that knows both shapes
(with `store/row_views.py`, which builds the task views from any row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from ..domain.agent import AgentRunFacts
from ..domain.enums import DependencyType, RunStatus, TaskStatus
from ..domain.models import DependencyView, RunView, TaskDetail
from ..store.row_views import task_detail_of, task_row  # noqa: F401  (re-exported)
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


OTHER = Task.__table__.alias("other")  # built once, as rules._BLOCKER is


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
    parent = None
    if r.parent_id is not None:
        parent = conn.execute(select(T.key).where(T.id == r.parent_id)).scalar_one_or_none()
    blockers = _links(conn, r.id, upstream=True)
    return task_detail_of(r, parent, blockers, _links(conn, r.id, upstream=False))


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
        cancel_requested=r.cancel_requested,
        log_excerpt=r.log_excerpt,
        line_count=line_count,
        **{name: getattr(r, name, None) for name in AgentRunFacts.model_fields},
    )

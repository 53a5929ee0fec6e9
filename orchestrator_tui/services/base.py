"""What every service shares: the database, who is acting, the clock, and the
helpers that find tasks and write events inside a transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from ..domain.enums import EventKind
from ..domain.errors import NotFound
from ..domain.nearest import did_you_mean
from ..store.engine import Database, inserted_id
from ..store.tables import Event, Question, Task, TaskDependency, utcnow
from .rules import open_blocker_keys_select, question_open

Clock = Callable[[], datetime]

T = Task.__table__.c
D = TaskDependency.__table__.c

#: Writers that check the dependency graph for cycles take turns (`take_turns`).
DEPENDENCY_GRAPH = "dependency graph"


@dataclass
class ServiceContext:
    db: Database
    actor: str
    clock: Clock = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()


def find_task(conn: Connection, key: str) -> Row[Any]:
    """The task row for a key, or NotFound with the nearest keys suggested."""
    row = conn.execute(select(Task.__table__).where(T.key == key)).first()
    if row is not None:
        return row
    # The keys beginning as it does, case aside (LIKE ignores case on SQLite only).
    prefix = key[:2].lower()
    candidates = conn.execute(
        select(T.key).where(func.lower(T.key).like(f"{prefix}%")).order_by(T.id).limit(2000)
    ).scalars()
    raise NotFound(f"no task {key!r}{did_you_mean(key, candidates)}")


def record_event(
    conn: Connection,
    ctx: ServiceContext,
    kind: EventKind,
    task_id: int | None,
    data: dict[str, Any] | None = None,
    run_id: int | None = None,
    actor: str | None = None,
) -> int:
    """Append one audit/change-feed row in the caller's transaction."""
    result = conn.execute(
        Event.__table__.insert().values(
            created_at=ctx.now(),
            actor=actor or ctx.actor,
            kind=kind.value,
            task_id=task_id,
            run_id=run_id,
            data=data or {},
        )
    )
    return inserted_id(result)


def open_questions_expr(task_id_col: Any) -> Any:
    """A correlated scalar subquery: the task's open questions (`question_open`)."""
    q = Question.__table__.c
    return (
        select(func.count())
        .select_from(Question.__table__)
        .where(q.task_id == task_id_col, question_open())
        .scalar_subquery()
    )


def unfinished_blocker_keys(conn: Connection, task_id: int) -> list[str]:
    """Keys of the task's open blocking dependencies, oldest first."""
    return list(conn.execute(open_blocker_keys_select(task_id)).scalars())


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

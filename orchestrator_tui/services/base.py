"""What every service shares: the database, who is acting, the clock, and the
helpers that find tasks and write events inside a transaction."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from ..domain.enums import DependencyType, EventKind, TaskStatus
from ..domain.errors import NotFound
from ..store.engine import Database
from ..store.tables import Event, Question, Task, TaskDependency, utcnow

Clock = Callable[[], datetime]

T = Task.__table__.c
D = TaskDependency.__table__.c

# Built once: constructing an alias copies every column of the table, which
# cost more than the query itself when done on every call.
BLOCKER = Task.__table__.alias("blocker")
WAITING = Task.__table__.alias("waiting")


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
    prefix = key[:2]
    candidates = conn.execute(select(T.key).where(T.key.like(f"{prefix}%")).limit(2000)).scalars()
    close = difflib.get_close_matches(key, list(candidates), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFound(f"no task {key!r}{hint}")


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
    return int(result.inserted_primary_key[0])


def unfinished_blockers_expr(task_id_col: Any) -> Any:
    """A correlated scalar subquery: blocking dependencies of the task not done."""
    blocker = BLOCKER
    return (
        select(func.count())
        .select_from(TaskDependency.__table__.join(blocker, blocker.c.id == D.depends_on_id))
        .where(
            D.task_id == task_id_col,
            D.dep_type == DependencyType.BLOCKS.value,
            blocker.c.status != TaskStatus.DONE.value,
        )
        .scalar_subquery()
    )


def open_questions_expr(task_id_col: Any) -> Any:
    """A correlated scalar subquery: the task's questions nobody has answered yet."""
    q = Question.__table__.c
    return (
        select(func.count())
        .select_from(Question.__table__)
        .where(q.task_id == task_id_col, q.answered_at.is_(None))
        .scalar_subquery()
    )


def unfinished_blocker_keys(conn: Connection, task_id: int) -> list[str]:
    blocker = BLOCKER
    rows = conn.execute(
        select(blocker.c.key)
        .select_from(TaskDependency.__table__.join(blocker, blocker.c.id == D.depends_on_id))
        .where(
            D.task_id == task_id,
            D.dep_type == DependencyType.BLOCKS.value,
            blocker.c.status != TaskStatus.DONE.value,
        )
        .order_by(blocker.c.id)
    )
    return list(rows.scalars())


def newly_ready_dependents(conn: Connection, task_id: int) -> list[tuple[int, str]]:
    """Pending tasks blocked by `task_id` whose blockers are now all done."""
    waiting = WAITING
    rows = conn.execute(
        select(waiting.c.id, waiting.c.key)
        .select_from(TaskDependency.__table__.join(waiting, waiting.c.id == D.task_id))
        .where(
            D.depends_on_id == task_id,
            D.dep_type == DependencyType.BLOCKS.value,
            waiting.c.status == TaskStatus.PENDING.value,
            unfinished_blockers_expr(waiting.c.id) == 0,
        )
        .order_by(waiting.c.id)
    )
    return [(r.id, r.key) for r in rows]


def record_unblocked(conn: Connection, ctx: ServiceContext, task_id: int, key: str) -> list[str]:
    """After `key` finished: one UNBLOCKED event per dependent that became ready."""
    freed = newly_ready_dependents(conn, task_id)
    for dep_id, _dep_key in freed:
        record_event(conn, ctx, EventKind.UNBLOCKED, dep_id, {"by": key, "message": f"{key} done"})
    return [k for _, k in freed]


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

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
        select(T.key)
        .where(func.lower(T.key).startswith(prefix, autoescape=True))  # `%`, `_` as typed
        .order_by(T.id)
        .limit(2000)
    ).scalars()
    raise NotFound(f"no task {key!r}{did_you_mean(key, candidates)}")


def lock_task(conn: Connection, task_id: int) -> Row[Any]:
    """The task's row, locked until the transaction ends and read after the lock, so
    it is the newest (PostgreSQL; SQLite's BEGIN IMMEDIATE already keeps every other
    writer out). A write touching a task and its runs takes the task first, the
    order a runner's finish takes them (`run_batch.finishing`): the two then wait
    for each other instead of deadlocking.

    Every lock on a task row is FOR NO KEY UPDATE (`key_share=True`), the lock an
    UPDATE of the row takes: a row naming the task (an event, a run) checks its
    reference with FOR KEY SHARE, which FOR UPDATE would make wait for the lock's
    holder, who may be waiting for that writer's run."""
    locked = select(Task.__table__).where(T.id == task_id).with_for_update(key_share=True)
    return conn.execute(locked).one()


def lock_tasks(conn: Connection, task_ids: Iterable[int]) -> None:
    """`lock_task` for many tasks at once (those that exist), in id order."""
    ids = sorted(set(task_ids))
    locked = select(T.id).where(T.id.in_(ids)).order_by(T.id).with_for_update(key_share=True)
    conn.execute(locked).all()


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

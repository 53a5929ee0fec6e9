"""Adding and removing dependencies; a dependency that closes a cycle is refused
with the cycle named."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from ..domain.enums import DependencyType, EventKind, Readiness, TaskStatus
from ..domain.errors import CycleError, NotFound, ValidationFailed
from ..domain.graph import cycle_if_added
from ..domain.rules import blocker_open, readiness
from ..store.engine import take_turns
from ..store.tables import TaskDependency
from .base import (
    DEPENDENCY_GRAPH,
    D,
    ServiceContext,
    T,
    chunks,
    find_task,
    record_event,
    unfinished_blocker_keys,
)


def upstream_edges(conn: Connection, start: int) -> dict[int, list[int]]:
    """{task: [blockers]} for everything upstream of `start`, fetched level by level."""
    deps: dict[int, list[int]] = {}
    frontier = [start]
    while frontier:
        found: list[int] = []
        for part in chunks(frontier, 500):
            for task_id, blocker in conn.execute(
                select(D.task_id, D.depends_on_id).where(D.task_id.in_(part))
            ):
                deps.setdefault(task_id, []).append(blocker)
                if blocker not in deps:
                    found.append(blocker)
        for task_id in frontier:
            deps.setdefault(task_id, [])
        frontier = [b for b in dict.fromkeys(found) if b not in deps]
    return deps


class DependencyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def add(
        self, task_key: str, blocker_key: str, dep_type: DependencyType = DependencyType.BLOCKS
    ) -> None:
        """`task_key` waits for `blocker_key`."""
        with self.ctx.db.write() as conn:
            take_turns(conn, DEPENDENCY_GRAPH)  # the cycle check must see racing links
            task = find_task(conn, task_key)
            blocker = find_task(conn, blocker_key)
            if task.id == blocker.id:
                raise CycleError([task_key, task_key])
            exists = conn.execute(
                select(D.id).where(D.task_id == task.id, D.depends_on_id == blocker.id)
            ).first()
            if exists:
                raise ValidationFailed(f"{task_key} already depends on {blocker_key}")
            cycle = cycle_if_added(upstream_edges(conn, blocker.id), task.id, blocker.id)
            if cycle:
                keys = dict(conn.execute(select(T.id, T.key).where(T.id.in_(set(cycle)))).all())
                raise CycleError([keys[n] for n in cycle])
            conn.execute(
                TaskDependency.__table__.insert().values(
                    task_id=task.id,
                    depends_on_id=blocker.id,
                    dep_type=dep_type.value,
                    created_at=self.ctx.now(),
                )
            )
            record_event(
                conn,
                self.ctx,
                EventKind.DEPENDENCY_ADDED,
                task.id,
                {"on": blocker_key, "type": dep_type.value},
            )

    def remove(self, task_key: str, blocker_key: str) -> None:
        with self.ctx.db.write() as conn:
            task = find_task(conn, task_key)
            blocker = find_task(conn, blocker_key)
            link = (D.task_id == task.id, D.depends_on_id == blocker.id)
            dep_type = conn.execute(select(D.dep_type).where(*link)).scalar_one_or_none()
            if dep_type is None:
                raise NotFound(f"{task_key} does not depend on {blocker_key}")
            conn.execute(delete(TaskDependency.__table__).where(*link))
            record_event(conn, self.ctx, EventKind.DEPENDENCY_REMOVED, task.id, {"on": blocker_key})
            held_back = blocker_open(DependencyType(dep_type), TaskStatus(blocker.status))
            open_now = len(unfinished_blocker_keys(conn, task.id))
            if held_back and readiness(TaskStatus(task.status), open_now) is Readiness.READY:
                record_event(
                    conn,
                    self.ctx,
                    EventKind.UNBLOCKED,
                    task.id,
                    {"by": blocker_key, "message": f"dependency on {blocker_key} removed"},
                )

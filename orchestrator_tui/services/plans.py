"""Loading a YAML plan (the sample data format) into the database.

All or nothing: the whole plan is validated (fields, unique keys, known
dependencies, no cycle) before one transaction writes it; any error writes
nothing and names the file, the record and the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, select, update

from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import ValidationFailed
from ..domain.graph import topological_order
from ..domain.plan import PlanSpec, PlanTask, resolve_time
from ..store.tables import (
    Agent,
    Event,
    Feedback,
    LogLine,
    Note,
    Participant,
    ProgressRecord,
    Run,
    Task,
    TaskContext,
    TaskDependency,
)
from .base import ServiceContext, T, chunks, record_event
from .safe_yaml import describe_validation_error, load_yaml, read_text
from .tasks import spec_to_values

BATCH = 5000
Progress = Callable[[str, int, int], None]


def parse_plan(data: Any, origin: str) -> PlanSpec:
    if not isinstance(data, dict):
        raise ValidationFailed(
            f"{origin}: a plan is a mapping with `tasks:` (got {type(data).__name__})"
        )
    try:
        return PlanSpec.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, data, origin) from None


def read_plan_file(path: Path) -> PlanSpec:
    return parse_plan(load_yaml(read_text(path), str(path)), str(path))


@dataclass(frozen=True)
class LoadResult:
    tasks: int
    dependencies: int
    runs: int
    log_lines: int


def _check(plan: PlanSpec, origin: str, existing: set[str]) -> None:
    seen: dict[str, int] = {}
    for index, task in enumerate(plan.tasks):
        where = f"{origin}: tasks[{index}] ({task.key})"
        if task.key in seen:
            raise ValidationFailed(f"{where}: key: duplicate of tasks[{seen[task.key]}]")
        if task.key in existing:
            raise ValidationFailed(f"{where}: key: a task {task.key!r} already exists")
        seen[task.key] = index
    for index, task in enumerate(plan.tasks):
        where = f"{origin}: tasks[{index}] ({task.key})"
        for ref in task.depends_on:
            if ref.key not in seen and ref.key not in existing:
                raise ValidationFailed(f"{where}: depends_on: unknown task {ref.key!r}")
        if task.parent and task.parent not in seen and task.parent not in existing:
            raise ValidationFailed(f"{where}: parent: unknown task {task.parent!r}")
    topological_order({t.key: [r.key for r in t.depends_on] for t in plan.tasks})


class PlanService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def load_file(self, path: Path, progress: Progress | None = None) -> LoadResult:
        return self.load(read_plan_file(path), str(path), progress)

    def load(self, plan: PlanSpec, origin: str, progress: Progress | None = None) -> LoadResult:
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            keys = {t.key for t in plan.tasks}
            existing = {
                k
                for part in chunks(sorted(keys | _referenced(plan)), 900)
                for k in conn.execute(select(T.key).where(T.key.in_(part))).scalars()
            }
            _check(plan, origin, existing)
            self._agents(conn, plan, now)
            ids = self._tasks(conn, plan, now, progress)
            deps = self._dependencies(conn, plan, ids, now)
            runs, lines = self._history(conn, plan, ids, now)
            record_event(
                conn,
                self.ctx,
                EventKind.PLAN_IMPORTED,
                None,
                {"origin": origin, "name": plan.name, "tasks": len(plan.tasks)},
            )
        return LoadResult(tasks=len(plan.tasks), dependencies=deps, runs=runs, log_lines=lines)

    def _agents(self, conn: Connection, plan: PlanSpec, now: datetime) -> None:
        for agent in plan.agents:
            conn.execute(
                Agent.__table__.insert().values(
                    name=agent.name,
                    agent_type=agent.type.value,
                    capabilities=agent.capabilities,
                    status="active" if agent.last_heartbeat else "idle",
                    last_heartbeat=resolve_time(agent.last_heartbeat, now),
                    registered_at=now,
                )
            )

    def _tasks(
        self, conn: Connection, plan: PlanSpec, now: datetime, progress: Progress | None
    ) -> dict[str, int]:
        total = len(plan.tasks)
        for done, part in enumerate(chunks(plan.tasks, BATCH)):
            rows = []
            for task in part:
                values = spec_to_values(task, now)
                created = resolve_time(task.created, now) or now
                updated = resolve_time(task.updated, now) or created
                values.update(
                    key=task.key,
                    created_at=created,
                    updated_at=updated,
                    deadline=resolve_time(task.deadline, now),
                    completed_at=updated if task.status is TaskStatus.DONE else None,
                    started_at=created if task.status is not TaskStatus.PENDING else None,
                    attempts=len(task.runs),
                )
                rows.append(values)
            conn.execute(Task.__table__.insert(), rows)
            if progress:
                progress("tasks", min((done + 1) * BATCH, total), total)
        ids: dict[str, int] = {}
        wanted = {t.key for t in plan.tasks} | _referenced(plan)
        for part in chunks(sorted(wanted), 900):
            ids.update((k, i) for k, i in conn.execute(select(T.key, T.id).where(T.key.in_(part))))
        parents = [{"id": ids[t.key], "parent_id": ids[t.parent]} for t in plan.tasks if t.parent]
        if parents:
            conn.execute(
                update(Task.__table__)
                .where(T.id == bindparam("b_id"))
                .values(parent_id=bindparam("b_parent")),
                [{"b_id": p["id"], "b_parent": p["parent_id"]} for p in parents],
            )
        events = [
            {
                "created_at": now,
                "actor": self.ctx.actor,
                "kind": EventKind.TASK_CREATED.value,
                "task_id": ids[t.key],
                "data": {"key": t.key, "title": t.title, "source": t.source or "plan"},
            }
            for t in plan.tasks
        ]
        for part in chunks(events, BATCH):
            conn.execute(Event.__table__.insert(), part)
        return ids

    def _dependencies(
        self, conn: Connection, plan: PlanSpec, ids: dict[str, int], now: datetime
    ) -> int:
        rows = [
            {
                "task_id": ids[t.key],
                "depends_on_id": ids[ref.key],
                "dep_type": ref.type.value,
                "created_at": now,
            }
            for t in plan.tasks
            for ref in t.depends_on
        ]
        for part in chunks(rows, BATCH):
            conn.execute(TaskDependency.__table__.insert(), part)
        return len(rows)

    def _history(
        self, conn: Connection, plan: PlanSpec, ids: dict[str, int], now: datetime
    ) -> tuple[int, int]:
        runs = lines = 0
        for task in plan.tasks:
            if not _has_history(task):
                continue
            task_id = ids[task.key]
            for attempt, run in enumerate(task.runs, start=1):
                run_id = conn.execute(
                    Run.__table__.insert().values(
                        execution_id=str(uuid.uuid4()),
                        task_id=task_id,
                        agent=run.agent,
                        attempt=attempt,
                        status=run.status.value,
                        command=task.command.argv if task.command else None,
                        started_at=resolve_time(run.started, now),
                        ended_at=resolve_time(run.ended, now),
                        exit_code=run.exit_code,
                        outputs=run.outputs,
                        outputs_uri=run.outputs_uri,
                        error=run.error,
                        log_excerpt="\n".join(text for _, text in run.lines()[-10:]) or None,
                    )
                ).inserted_primary_key[0]
                started = resolve_time(run.started, now)
                log_rows = [
                    {
                        "run_id": run_id,
                        "seq": seq,
                        "stream": stream.value,
                        "text": text,
                        "created_at": started,
                    }
                    for seq, (stream, text) in enumerate(run.lines())
                ]
                if log_rows:
                    conn.execute(LogLine.__table__.insert(), log_rows)
                runs += 1
                lines += len(log_rows)
            for entry in task.progress_history:
                conn.execute(
                    ProgressRecord.__table__.insert().values(
                        task_id=task_id,
                        percent=entry.percent,
                        message=entry.message,
                        actor=entry.by,
                        created_at=resolve_time(entry.at, now),
                    )
                )
            for author, body in task.notes.items():
                conn.execute(
                    Note.__table__.insert().values(
                        task_id=task_id, author=author, body=body, updated_at=now
                    )
                )
            if task.context is not None:
                conn.execute(
                    TaskContext.__table__.insert().values(
                        task_id=task_id,
                        yaml_text=yaml.safe_dump(task.context, sort_keys=False, allow_unicode=True),
                        updated_by=self.ctx.actor,
                        updated_at=now,
                    )
                )
            for person in task.participants:
                conn.execute(
                    Participant.__table__.insert().values(
                        task_id=task_id, agent=person.agent, role=person.role, joined_at=now
                    )
                )
            for fb in task.feedback:
                conn.execute(
                    Feedback.__table__.insert().values(
                        task_id=task_id,
                        quality=fb.quality,
                        timeliness=fb.timeliness,
                        notes=fb.notes,
                        actor=fb.by,
                        created_at=now,
                    )
                )
        return runs, lines


def _has_history(task: PlanTask) -> bool:
    return bool(
        task.runs
        or task.progress_history
        or task.notes
        or task.context is not None
        or task.participants
        or task.feedback
    )


def _referenced(plan: PlanSpec) -> set[str]:
    refs = {ref.key for t in plan.tasks for ref in t.depends_on}
    return refs | {t.parent for t in plan.tasks if t.parent}


def sample_plan_path() -> Path:
    from ..resources import resource_path

    return resource_path("sample_data", "demo_plan.yaml")

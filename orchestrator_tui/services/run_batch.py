"""Claiming and finishing many runs in one transaction with a handful of
statements, whatever the batch size.

A runner starting and finishing hundreds of short commands a second spends its
time in statement overhead, not in SQLite; doing the same work per batch keeps
it close to the cost of spawning the processes. The rules are those of
`TaskService._move` (the same events, in the same order for each task), and
every status change is still a compare-and-set whose row count is checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, case, or_, select, true, update

from ..domain.enums import DependencyType, EventKind, RunStatus, TaskStatus
from ..domain.errors import Conflict
from ..domain.models import CommandSpec
from ..domain.state_machine import check_transition
from ..store.tables import Event, Run, Task, TaskDependency, UTCDateTime
from .base import D, ServiceContext, T
from .queries import PRIORITY_RANK
from .run_model import Claim, all_blockers_done, has_command, within_plan_budget

S = TaskStatus
R = Run.__table__.c
_WAITING = Task.__table__.alias("unblocked")

_CLOSE_RUN = (
    update(Run.__table__)
    .where(R.id == bindparam("rid"), R.status == RunStatus.RUNNING.value)
    .values(
        status=bindparam("run_status"),
        ended_at=bindparam("ended"),
        exit_code=bindparam("code"),
        error=bindparam("err"),
        outputs=bindparam("outs"),
        outputs_uri=bindparam("uri"),
        log_excerpt=bindparam("excerpt"),
    )
)

_MOVE_TASK = (
    update(Task.__table__)
    .where(T.id == bindparam("tid"), T.status == S.IN_PROGRESS.value)
    .values(
        status=bindparam("to_status"),
        retry_after=bindparam("retry"),
        completed_at=bindparam("completed"),
        progress=case((bindparam("to_status") == S.DONE.value, 100), else_=T.progress),
        updated_at=bindparam("now"),
        version=T.version + 1,
    )
)


_CANDIDATE_COLS = (T.id, T.key, T.title, T.status, T.command, T.max_retries, T.requires_approval)


def _candidates(typed: bool) -> Any:
    when = or_(T.retry_after.is_(None), T.retry_after <= bindparam("now", type_=UTCDateTime()))
    serves = (
        or_(T.agent_type.is_(None), T.agent_type.in_(bindparam("types", expanding=True)))
        if typed
        else true()
    )
    return (
        select(*_CANDIDATE_COLS)
        .where(T.status == S.PENDING.value, has_command(), within_plan_budget(), when, serves)
        .where(all_blockers_done(T.id))
        .order_by(PRIORITY_RANK.desc(), T.id)
        .limit(bindparam("lim"))
    )


# Built once: constructing a statement costs more than SQLite takes to run it.
_CANDIDATES = {True: _candidates(True), False: _candidates(False)}


def _claim_cas(current: TaskStatus, by_list: bool) -> Any:
    # A scheduled retry continues the count; anything else starts a fresh round.
    attempts = (
        case((T.retry_after.is_(None), 1), else_=T.attempts + 1) if current is S.PENDING else 1
    )
    which = T.id.in_(bindparam("ids", expanding=True)) if by_list else T.id == bindparam("tid")
    return (
        update(Task.__table__)
        .where(which, T.status == current.value, all_blockers_done(T.id))
        .values(
            status=S.IN_PROGRESS.value,
            lease_owner=bindparam("owner"),
            lease_expires_at=bindparam("expires"),
            attempts=attempts,
            retry_after=None,
            started_at=bindparam("now"),
            updated_at=bindparam("now"),
            version=T.version + 1,
        )
    )


_CLAIM = {s: _claim_cas(s, True).returning(T.id, T.attempts) for s in (S.PENDING, S.FAILED)}
_CLAIM_ONE = {s: _claim_cas(s, False) for s in (S.PENDING, S.FAILED)}
_ATTEMPTS = select(T.attempts).where(T.id == bindparam("tid"))
_EVENT_INSERT = Event.__table__.insert()
_RELEASE_GUARD = (T.lease_owner == bindparam("owner"), T.status == S.IN_PROGRESS.value)
_RELEASE_VALUES = {"lease_owner": None, "lease_expires_at": None}
_RELEASE = (
    update(Task.__table__)
    .where(T.id.in_(bindparam("ids", expanding=True)), *_RELEASE_GUARD)
    .values(**_RELEASE_VALUES)
    .returning(T.id)
)
_RELEASE_ONE = (
    update(Task.__table__)
    .where(T.id == bindparam("tid"), *_RELEASE_GUARD)
    .values(**_RELEASE_VALUES)
)
_UNBLOCKED = (
    select(D.depends_on_id, _WAITING.c.id)
    .select_from(TaskDependency.__table__.join(_WAITING, _WAITING.c.id == D.task_id))
    .where(
        D.depends_on_id.in_(bindparam("ids", expanding=True)),
        D.dep_type == DependencyType.BLOCKS.value,
        _WAITING.c.status == S.PENDING.value,
        all_blockers_done(_WAITING.c.id),
    )
    .order_by(_WAITING.c.id, D.depends_on_id)
)
_FINISHING = select(
    T.id, T.key, T.title, T.status, T.requires_approval, T.attempts, T.max_retries
).where(T.id.in_(bindparam("ids", expanding=True)))
_RUN_STARTS = select(R.id, R.started_at, R.execution_id).where(
    R.id.in_(bindparam("ids", expanding=True))
)


def candidates(
    conn: Connection, now: datetime, limit: int, agent_types: Sequence[str] | None
) -> list[Row[Any]]:
    """Ready tasks with a command, past any retry delay, of a type served; by priority."""
    params: dict[str, Any] = {"now": now, "lim": limit}
    if agent_types is not None:
        params["types"] = list(agent_types)
    return list(conn.execute(_CANDIDATES[agent_types is not None], params))


def finishing(
    conn: Connection, task_ids: list[int], run_ids: list[int]
) -> tuple[dict[int, Row[Any]], dict[int, Row[Any]]]:
    """The tasks and runs being finished, by id."""
    tasks = {r.id: r for r in conn.execute(_FINISHING, {"ids": task_ids})}
    runs = {r.id: r for r in conn.execute(_RUN_STARTS, {"ids": run_ids})}
    return tasks, runs


class Events:
    """Event rows collected in order, written with one statement."""

    def __init__(self, ctx: ServiceContext, now: datetime) -> None:
        self.ctx, self.now = ctx, now
        self.rows: list[dict[str, Any]] = []

    def add(
        self, kind: EventKind, task_id: int, data: dict[str, Any], run_id: int | None = None
    ) -> None:
        self.rows.append(
            {
                "created_at": self.now,
                "actor": self.ctx.actor,
                "kind": kind.value,
                "task_id": task_id,
                "run_id": run_id,
                "data": data,
            }
        )

    def write(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(_EVENT_INSERT, self.rows)
            self.rows = []


def take(
    conn: Connection,
    ctx: ServiceContext,
    rows: Sequence[Row[Any]],
    owner: str,
    lease_seconds: float,
    now: datetime,
) -> list[Claim]:
    """Move these candidates to in_progress under `owner`'s lease; those won."""
    won: dict[int, int] = {}
    for status in (S.PENDING, S.FAILED):
        ids = [r.id for r in rows if r.status == status.value]
        if ids:
            won.update(_cas_claim(conn, ids, status, owner, lease_seconds, now))
    taken = [r for r in rows if r.id in won]
    if not taken:
        return []
    runs = [
        {
            "execution_id": str(uuid.uuid4()),
            "task_id": r.id,
            "agent": ctx.actor,
            "attempt": won[r.id],
            "status": RunStatus.RUNNING.value,
            "command": CommandSpec.model_validate(r.command).argv,
            "outputs": {},
            "started_at": now,
        }
        for r in taken
    ]
    conn.execute(Run.__table__.insert(), runs)
    run_ids = dict(
        conn.execute(
            select(R.execution_id, R.id).where(
                R.execution_id.in_([r["execution_id"] for r in runs])
            )
        ).all()
    )
    events = Events(ctx, now)
    claims = []
    for r, run in zip(taken, runs, strict=True):
        run_id = run_ids[run["execution_id"]]
        attempt = won[r.id]
        events.add(
            EventKind.STATUS_CHANGED,
            r.id,
            {"from": r.status, "to": S.IN_PROGRESS.value, "reason": f"run {run_id}"},
            run_id,
        )
        events.add(
            EventKind.RUN_STARTED,
            r.id,
            {
                "message": f"run {run_id} (attempt {attempt}) started by {ctx.actor}",
                "attempt": attempt,
                "argv": run["command"],
            },
            run_id,
        )
        claims.append(
            Claim(
                task_id=r.id,
                key=r.key,
                title=r.title,
                run_id=run_id,
                execution_id=run["execution_id"],
                attempt=attempt,
                max_retries=r.max_retries,
                requires_approval=bool(r.requires_approval),
                command=CommandSpec.model_validate(r.command),
            )
        )
    events.write(conn)
    return claims


def _cas_claim(
    conn: Connection,
    ids: list[int],
    current: TaskStatus,
    owner: str,
    lease_seconds: float,
    now: datetime,
) -> dict[int, int]:
    """The compare-and-set itself: task id -> attempt number, for the rows won."""
    params = {"owner": owner, "expires": now + timedelta(seconds=lease_seconds), "now": now}
    if conn.dialect.update_returning:
        return dict(conn.execute(_CLAIM[current], {**params, "ids": ids}).all())
    won: dict[int, int] = {}
    for task_id in ids:
        if conn.execute(_CLAIM_ONE[current], {**params, "tid": task_id}).rowcount == 1:
            won[task_id] = conn.execute(_ATTEMPTS, {"tid": task_id}).scalar_one()
    return won


def release(conn: Connection, owner: str, task_ids: list[int]) -> set[int]:
    """Drop `owner`'s leases on these in-progress tasks; the ids it still held."""
    if conn.dialect.update_returning:
        return set(conn.execute(_RELEASE, {"owner": owner, "ids": task_ids}).scalars())
    return {
        task_id
        for task_id in task_ids
        if conn.execute(_RELEASE_ONE, {"owner": owner, "tid": task_id}).rowcount == 1
    }


def close_runs(conn: Connection, closings: list[dict[str, Any]]) -> None:
    if closings:
        conn.execute(_CLOSE_RUN, closings)


def move_tasks(
    conn: Connection,
    events: Events,
    moves: list[tuple[Row[Any], TaskStatus, str, datetime | None]],
) -> dict[int, TaskStatus]:
    """Move in-progress tasks (task, target, reason, retry at) as `_move` would:
    done becomes awaiting approval where approval is required, and dependents
    that became ready get an UNBLOCKED event. Returns each task's new status."""
    params, targets = [], {}
    for task, target, reason, retry_at in moves:
        if target is S.DONE and task.requires_approval:
            target = S.AWAITING_APPROVAL
        check_transition(task.key, S.IN_PROGRESS, target)
        targets[task.id] = target
        params.append(
            {
                "tid": task.id,
                "to_status": target.value,
                "retry": retry_at,
                "completed": events.now if target is S.DONE else None,
                "now": events.now,
            }
        )
        data: dict[str, Any] = {"from": S.IN_PROGRESS.value, "to": target.value}
        if reason:
            data["reason"] = reason
        events.add(EventKind.STATUS_CHANGED, task.id, data)
        if target is S.AWAITING_APPROVAL:
            events.add(EventKind.APPROVAL_REQUESTED, task.id, {})
    if not params:
        return targets
    moved = conn.execute(_MOVE_TASK, params).rowcount
    if moved != len(params):
        raise Conflict("tasks changed while their runs were being closed; nothing was written")
    done = {t.id: t.key for t, _, _, _ in moves if targets[t.id] is S.DONE}
    if done:
        _unblocked(conn, events, done)
    return targets


def _unblocked(conn: Connection, events: Events, done: dict[int, str]) -> None:
    seen: set[int] = set()
    for by_id, task_id in conn.execute(_UNBLOCKED, {"ids": list(done)}):
        if task_id not in seen:
            seen.add(task_id)
            key = done[by_id]
            events.add(EventKind.UNBLOCKED, task_id, {"by": key, "message": f"{key} done"})

"""Claiming and finishing many runs in one transaction with a handful of
statements, whatever the batch size.

A runner starting and finishing hundreds of short commands a second spends its
time in statement overhead, not in SQLite; doing the same work per batch keeps
it close to the cost of spawning the processes. Every status change is planned
by `domain.transitions.plan_move` and written by `services.moves`, like any
other move, so the rows and events are those of a single change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update

from ..domain.enums import EventKind, RunStatus, TaskStatus
from ..domain.errors import Conflict
from ..domain.models import CommandSpec
from ..domain.rules import held_by
from ..domain.transitions import Intent, PlannedEvent, Via, plan_move
from ..store.bulk import bulk_insert
from ..store.driver import Prepared
from ..store.tables import Run, Task, UTCDateTime
from . import rules
from .base import ServiceContext, T
from .moves import EventBatch, apply_moves, current_of, record_moves
from .run_model import Claim

S = TaskStatus
R = Run.__table__.c

_CLOSE_RUN = Prepared(
    update(Run.__table__)
    .where(R.id == bindparam("rid"), rules.run_open(R))
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

_CANDIDATE_COLS = (
    T.id,
    T.key,
    T.title,
    T.status,
    T.command,
    T.max_retries,
    T.requires_approval,
    T.attempts,
    T.retry_after,
)


@lru_cache(maxsize=64)
def _candidates(types: tuple[str, ...] | None, need_command: bool, lock: bool | None) -> Prepared:
    """The candidate query for agents serving `types` (every type when None), built
    once per set of types: a list bound at each execution would re-render the SQL
    text every time. `lock`: True to lock the rows taken (PostgreSQL), False for
    none, None for SQLite (no row locks; the rows read one priority at a time, see
    `rules.first_by_priority`)."""
    now = bindparam("now", type_=UTCDateTime())
    where = rules.claimable(now, types, need_command)
    if lock is None:
        return Prepared(rules.first_by_priority(_CANDIDATE_COLS, where, bindparam("lim")))
    query = rules.comes_next(_CANDIDATE_COLS, where, bindparam("lim"))
    if not lock:
        return Prepared(query)
    # PostgreSQL: lock the rows taken and step over those another runner is
    # taking, so racing runners each get different tasks without retrying.
    # SQLite renders no FOR UPDATE: its BEGIN IMMEDIATE already serialises claims.
    return Prepared(query.with_for_update(skip_locked=True, of=Task.__table__, key_share=True))


# Rows come back in any order (told apart by execution id), so one statement does.
_INSERT_RUNS_RETURNING = Run.__table__.insert().returning(R.id, R.execution_id)
_RUN_IDS = Prepared(
    select(R.execution_id, R.id).where(R.execution_id.in_(bindparam("ids", expanding=True)))
)

#: How many runs each of these tasks has had (tasks without runs are left out).
_RUNS_SO_FAR = Prepared(
    select(R.task_id, func.count())
    .where(R.task_id.in_(bindparam("ids", expanding=True)))
    .group_by(R.task_id)
)

#: A task's columns that settling its run reads: judging the outcome (attempts,
#: retries), planning the move and telling who held it (the lease).
SETTLING_COLS = (
    T.id,
    T.key,
    T.title,
    T.status,
    T.requires_approval,
    T.attempts,
    T.max_retries,
    T.retry_after,
    T.lease_owner,
)
#: The task's newest run: the attempt its lease is for. A runner's lease owner
#: is the same for every attempt it makes, so the run tells an older attempt
#: (stopped after a person moved the task) from the one that holds the task now.
_LATEST_RUN = select(func.max(R.id)).where(R.task_id == T.id).scalar_subquery()
# The finishing run under another name, so that `_LATEST_RUN` still reads every run.
_ENDING = Run.__table__.alias("ending")
_FINISHING = Prepared(
    select(
        *SETTLING_COLS,
        _LATEST_RUN.label("latest_run"),
        _ENDING.c.id.label("run_id"),
        _ENDING.c.started_at,
        _ENDING.c.execution_id,
    )
    .select_from(_ENDING.join(Task.__table__, T.id == _ENDING.c.task_id))
    .where(_ENDING.c.id.in_(bindparam("ids", expanding=True)))
    # PostgreSQL: nobody moves these tasks until the finish is written. SQLite
    # renders no lock: its BEGIN IMMEDIATE already keeps other writers out.
    .with_for_update(of=Task.__table__, key_share=True)
)


def candidates(
    conn: Connection,
    now: datetime,
    limit: int,
    agent_types: Sequence[str] | None,
    *,
    for_agent: bool = False,
) -> list[Row[Any]]:
    """Ready tasks with a command, past any retry delay, of a type served; by priority.

    Call it in the claim's write transaction: on PostgreSQL the rows are locked
    (`FOR UPDATE SKIP LOCKED`) until `take` has written them. `for_agent`: any
    ready task, command or not, for an agent that does the work itself, and no
    row locked (the caller locks the one it takes)."""
    types = None if agent_types is None else tuple(sorted(set(agent_types)))
    lock = None if conn.dialect.name == "sqlite" else not for_agent
    query = _candidates(types, not for_agent, lock)
    return query.rows(conn, {"now": now, "lim": limit})


def finishing(conn: Connection, run_ids: list[int]) -> tuple[dict[int, Row], dict[int, Row]]:
    """The tasks (by task id) and runs (by run id) being finished, read with one
    statement and locked until the transaction ends: each row is a task's columns
    (with `lease_owner` and its newest run, `latest_run`) and its finishing run's
    `run_id`, `started_at` and `execution_id`."""
    rows = _FINISHING.rows(conn, {"ids": run_ids})
    return {r.id: r for r in rows}, {r.run_id: r for r in rows}


def still_held(owner: str, runs: Sequence[tuple[int, int]], tasks: dict[int, Row[Any]]) -> set[int]:
    """Of these (task id, run id) runs, those whose task `owner` still holds for
    that run (the task's newest): their finish moves the task, and lets go of it.
    `tasks`: the rows `finishing` read (and locked) in this transaction."""
    held = set()
    for task_id, run_id in runs:
        task = tasks[task_id]
        if held_by(S(task.status), task.lease_owner, owner) and task.latest_run == run_id:
            held.add(run_id)
    return held


def take(
    conn: Connection,
    ctx: ServiceContext,
    rows: Sequence[Row[Any]],
    owner: str,
    lease_seconds: float,
    now: datetime,
    events: EventBatch | None = None,
) -> list[Claim]:
    """Move these candidates to in_progress under `owner`'s lease; those won.

    `events`: a batch the caller writes (else they are written here)."""
    expires = now + timedelta(seconds=lease_seconds)
    planned = [
        plan_move(
            current_of(conn, r, with_blockers=False, leased=False),
            Intent(S.IN_PROGRESS, via=Via.CLAIM, lease_owner=owner, lease_expires_at=expires),
            now,
        )
        for r in rows
    ]
    won = {m.task_id: m for m in apply_moves(conn, planned)}
    taken = [r for r in rows if r.id in won]
    if not taken:
        return []
    specs = [CommandSpec.model_validate(r.command) for r in taken]
    earlier = dict(_RUNS_SO_FAR.rows(conn, {"ids": [r.id for r in taken]}))
    runs = [
        {
            "execution_id": str(uuid.uuid4()),
            "task_id": r.id,
            "agent": ctx.actor,
            # The task's run number (what a person reads as its attempt), counting
            # on across resets and requested changes; `attempts` on the task is the
            # retry budget's count, which a fresh round starts over.
            "attempt": earlier.get(r.id, 0) + 1,
            "status": RunStatus.RUNNING.value,
            "command": spec.argv,
            "outputs": {},
            "started_at": now,
        }
        for r, spec in zip(taken, specs, strict=True)
    ]
    run_ids = _insert_runs(conn, runs)
    batch = events if events is not None else EventBatch(ctx, now)
    claims, moves, started = [], [], {}
    for r, run, spec in zip(taken, runs, specs, strict=True):
        run_id = run_ids[run["execution_id"]]
        attempt = run["attempt"]
        moves.append(won[r.id].for_run(run_id))
        started[r.id] = [
            PlannedEvent(
                EventKind.RUN_STARTED,
                {
                    "message": f"run {run_id} (attempt {attempt}) started by {ctx.actor}",
                    "attempt": attempt,
                    "argv": run["command"],
                },
                run_id,
            )
        ]
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
                command=spec,
            )
        )
    record_moves(conn, batch, moves, started)
    if events is None:
        batch.write(conn)
    return claims


def _insert_runs(conn: Connection, runs: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the runs; their ids by execution id (one statement where the
    database returns the ids of a multi-row insert). On SQLite the rows go in
    through `bulk_insert` and the ids are read back by their unique execution
    ids: SQLAlchemy's multi-row insert with RETURNING cost several times as much."""
    if conn.dialect.name == "sqlite":
        bulk_insert(conn, Run.__table__, runs, on_driver=True)
    elif conn.dialect.insert_executemany_returning:
        returned = conn.execute(_INSERT_RUNS_RETURNING, runs)
        return {row.execution_id: row.id for row in returned}
    else:
        conn.execute(Run.__table__.insert(), runs)
    rows = _RUN_IDS.rows(conn, {"ids": [r["execution_id"] for r in runs]})
    return {row.execution_id: row.id for row in rows}


def close_runs(conn: Connection, closings: list[dict[str, Any]]) -> None:
    if closings:
        _CLOSE_RUN.many(conn, closings)


def move_tasks(
    conn: Connection, events: EventBatch, moves: list[tuple[Row[Any], Intent]]
) -> dict[int, TaskStatus]:
    """Move in-progress tasks whose runs ended (each task with its FINISH intent):
    done becomes awaiting approval where approval is required, and dependents
    that became ready get an `unblocked` event. Returns each task's new status."""
    planned = [
        plan_move(current_of(conn, task, with_blockers=False, leased=False), intent, events.now)
        for task, intent in moves
    ]
    try:
        won = apply_moves(conn, planned)
    except Conflict as err:
        raise Conflict(
            "tasks changed while their runs were being closed; nothing was written"
        ) from err
    record_moves(conn, events, won)
    return {m.task_id: m.target for m in won}

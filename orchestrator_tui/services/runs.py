"""Runs of task commands: claiming with a lease, renewing it, storing log lines,
finishing, reclaiming the runs of runners that died, and cancelling.

A claim is one compare-and-set that moves a ready task from `pending` to
`in_progress` and writes the lease (owner and expiry) in the same statement, so
of any number of runners exactly one wins a task. Every later write a runner
makes about the task is guarded by the same lease: a runner whose lease expired
(and was reclaimed) or whose run was cancelled cannot complete the task.

Lease renewals and log lines are not audit events: renewals change nothing a
person sees, and log lines are their own append-only, sequenced record (poll
`queries.log_lines(run_id, after_seq)` to follow them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, String, and_, case, cast, func, or_, select, update

from ..domain.enums import AgentType, EventKind, LogStream, RunStatus, TaskStatus
from ..domain.errors import Conflict, DependenciesUnfinished, InvalidTransition, NotFound
from ..domain.models import CommandSpec, RunView
from ..store.tables import LogLine, Run, Task
from .base import (
    ServiceContext,
    T,
    find_task,
    record_event,
    unfinished_blocker_keys,
    unfinished_blockers_expr,
)
from .queries import PRIORITY_RANK
from .tasks import TaskService
from .views import run_view

S = TaskStatus
R = Run.__table__.c

#: Agent types a runner serves unless told otherwise: everything but people's work.
MACHINE_TYPES: tuple[str, ...] = tuple(t.value for t in AgentType if t is not AgentType.HUMAN)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts: base, 2*base, 4*base ... capped."""

    base_seconds: float = 5.0
    max_seconds: float = 300.0

    def delay(self, attempt: int) -> float:
        return min(self.base_seconds * (2 ** max(attempt - 1, 0)), self.max_seconds)


@dataclass(frozen=True)
class Claim:
    """A task this runner now holds, and the run record opened for it."""

    task_id: int
    key: str
    title: str
    run_id: int
    execution_id: str
    attempt: int
    max_retries: int
    requires_approval: bool
    command: CommandSpec


@dataclass
class RunResult:
    """How a run ended, as the runner saw it."""

    run_id: int
    task_id: int
    status: RunStatus
    exit_code: int | None = None
    error: str | None = None
    log_excerpt: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    outputs_uri: str | None = None
    #: The runner is stopping: hand the task back to `pending` instead of judging it.
    release: bool = False
    #: False when trying again cannot help (the program could not even start).
    retryable: bool = True


@dataclass(frozen=True)
class Settled:
    """What became of a task after its run ended (or was found lost)."""

    task_id: int
    key: str
    title: str
    run_id: int | None
    run_status: RunStatus
    task_status: TaskStatus | None  # None: the lease was gone, nothing written to the task
    reason: str = ""
    retry_at: datetime | None = None
    attempt: int = 0
    exit_code: int | None = None
    outputs_uri: str | None = None
    log_excerpt: str | None = None
    execution_id: str | None = None

    @property
    def failed_for_good(self) -> bool:
        return self.task_status is S.FAILED


@dataclass(frozen=True)
class Outlook:
    """Whether there is anything left for runners to do (for `--until-idle`)."""

    ready: int
    next_retry_at: datetime | None
    leased: int

    @property
    def idle(self) -> bool:
        return self.ready == 0 and self.next_retry_at is None and self.leased == 0


def _has_command() -> Any:
    # JSON None is stored as the JSON text 'null' by SQLAlchemy, not as SQL NULL.
    return and_(T.command.is_not(None), cast(T.command, String) != "null")


def _serves(agent_types: Sequence[str] | None) -> Any:
    if agent_types is None:
        return True
    return or_(T.agent_type.is_(None), T.agent_type.in_(list(agent_types)))


def claimable(now: datetime, agent_types: Sequence[str] | None) -> Any:
    """Ready tasks with a command, past any retry delay, of a type this runner serves."""
    return and_(
        T.status == S.PENDING.value,
        _has_command(),
        or_(T.retry_after.is_(None), T.retry_after <= now),
        _serves(agent_types),
        unfinished_blockers_expr(T.id) == 0,
    )


class RunService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._tasks = TaskService(ctx)

    # -- claiming ---------------------------------------------------------------

    def claim(
        self,
        owner: str,
        lease_seconds: float,
        limit: int = 1,
        agent_types: Sequence[str] | None = MACHINE_TYPES,
        key: str | None = None,
    ) -> list[Claim]:
        """Take up to `limit` ready tasks (or the task `key`, on demand) for `owner`.

        Returns what was won; racing runners each get different tasks.
        """
        if limit <= 0:
            return []
        now = self.ctx.now()
        cols = (T.id, T.key, T.title, T.status, T.command, T.max_retries, T.requires_approval)
        with self.ctx.db.write() as conn:
            if key is not None:
                rows = [self._on_demand(conn, key)]
            else:
                rows = conn.execute(
                    select(*cols)
                    .where(claimable(now, agent_types))
                    .order_by(PRIORITY_RANK.desc(), T.id)
                    .limit(limit)
                ).all()
            claims = []
            for row in rows:
                claim = self._take(conn, row, owner, lease_seconds, now)
                if claim is not None:
                    claims.append(claim)
            if key is not None and not claims:
                raise Conflict(f"{key} was taken or changed meanwhile; nothing was started")
            return claims

    def _on_demand(self, conn: Connection, key: str) -> Row[Any]:
        row = find_task(conn, key)
        if row.command is None:
            raise InvalidTransition(f"{key} has no command to run")
        if S(row.status) not in (S.PENDING, S.FAILED):
            raise InvalidTransition(f"{key} is {row.status}: only pending or failed tasks run")
        blockers = conn.execute(select(unfinished_blockers_expr(row.id))).scalar_one()
        if blockers:
            raise DependenciesUnfinished(key, unfinished_blocker_keys(conn, row.id))
        return row

    def _take(
        self, conn: Connection, row: Row[Any], owner: str, lease_seconds: float, now: datetime
    ) -> Claim | None:
        current = S(row.status)
        # A scheduled retry continues the count; anything else starts a fresh round.
        attempts = (
            case((T.retry_after.is_(None), 1), else_=T.attempts + 1) if current is S.PENDING else 1
        )
        result = conn.execute(
            update(Task.__table__)
            .where(
                T.id == row.id,
                T.status == current.value,
                unfinished_blockers_expr(T.id) == 0,
            )
            .values(
                status=S.IN_PROGRESS.value,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=attempts,
                retry_after=None,
                started_at=now,
                updated_at=now,
                version=T.version + 1,
            )
        )
        if result.rowcount != 1:
            return None  # another runner won it
        attempt = conn.execute(select(T.attempts).where(T.id == row.id)).scalar_one()
        command = CommandSpec.model_validate(row.command)
        execution_id = str(uuid.uuid4())
        run_id = conn.execute(
            Run.__table__.insert().values(
                execution_id=execution_id,
                task_id=row.id,
                agent=self.ctx.actor,
                attempt=attempt,
                status=RunStatus.RUNNING.value,
                command=command.argv,
                outputs={},
                started_at=now,
            )
        ).inserted_primary_key[0]
        record_event(
            conn,
            self.ctx,
            EventKind.STATUS_CHANGED,
            row.id,
            {"from": current.value, "to": S.IN_PROGRESS.value, "reason": f"run {run_id}"},
            run_id=run_id,
        )
        record_event(
            conn,
            self.ctx,
            EventKind.RUN_STARTED,
            row.id,
            {
                "message": f"run {run_id} (attempt {attempt}) started by {self.ctx.actor}",
                "attempt": attempt,
                "argv": command.argv,
            },
            run_id=run_id,
        )
        return Claim(
            task_id=row.id,
            key=row.key,
            title=row.title,
            run_id=run_id,
            execution_id=execution_id,
            attempt=attempt,
            max_retries=row.max_retries,
            requires_approval=bool(row.requires_approval),
            command=command,
        )

    # -- while running -------------------------------------------------------------

    def renew(self, owner: str, lease_seconds: float) -> set[int]:
        """Extend every lease `owner` still holds; the ids of those tasks."""
        now = self.ctx.now()
        held = and_(T.lease_owner == owner, T.status == S.IN_PROGRESS.value)
        with self.ctx.db.write() as conn:
            conn.execute(
                update(Task.__table__)
                .where(held)
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
            )
            return set(conn.execute(select(T.id).where(held)).scalars())

    def held(self, owner: str, task_ids: Iterable[int]) -> set[int]:
        """Which of these tasks `owner` still holds (read-only: cheap to poll)."""
        ids = list(task_ids)
        if not ids:
            return set()
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(T.id).where(
                    T.id.in_(ids), T.lease_owner == owner, T.status == S.IN_PROGRESS.value
                )
            )
            return set(rows.scalars())

    def append_lines(self, rows: Sequence[tuple[int, int, LogStream | str, str, datetime]]) -> None:
        """Store log lines (run id, seq, stream, text, time) in one transaction."""
        if not rows:
            return
        values = [
            {"run_id": r, "seq": seq, "stream": str(stream), "text": text, "created_at": at}
            for r, seq, stream, text, at in rows
        ]
        with self.ctx.db.write() as conn:
            conn.execute(LogLine.__table__.insert(), values)

    # -- finishing -----------------------------------------------------------------

    def finish(
        self, owner: str, results: Sequence[RunResult], policy: RetryPolicy | None = None
    ) -> list[Settled]:
        """Close runs and move their tasks on, in one transaction.

        Exit 0 completes the task (awaiting approval when it requires one); a
        failure retries after a backoff while attempts remain, then fails the
        task; a timeout fails it; a release hands it back to `pending`. Each
        task write is guarded by the lease: if `owner` no longer holds it, only
        the run record is completed and the task is left alone.
        """
        policy = policy or RetryPolicy()
        now = self.ctx.now()
        settled = []
        with self.ctx.db.write() as conn:
            for result in results:
                settled.append(self._finish_one(conn, owner, result, policy, now))
        return settled

    def _finish_one(
        self, conn: Connection, owner: str, res: RunResult, policy: RetryPolicy, now: datetime
    ) -> Settled:
        task = conn.execute(
            select(
                T.id, T.key, T.title, T.status, T.requires_approval, T.attempts, T.max_retries
            ).where(T.id == res.task_id)
        ).one()
        run = conn.execute(select(R.status, R.started_at, R.execution_id).where(R.id == res.run_id))
        run_row = run.one()
        base = {
            "task_id": task.id,
            "key": task.key,
            "title": task.title,
            "run_id": res.run_id,
            "attempt": task.attempts,
            "exit_code": res.exit_code,
            "outputs_uri": res.outputs_uri,
            "log_excerpt": res.log_excerpt,
            "execution_id": run_row.execution_id,
        }
        released = conn.execute(
            update(Task.__table__)
            .where(T.id == task.id, T.lease_owner == owner, T.status == S.IN_PROGRESS.value)
            .values(lease_owner=None, lease_expires_at=None)
        )
        if released.rowcount != 1:
            # Lost the lease (reclaimed or cancelled): record what the child did, no more.
            self._close_late(conn, res, task.id, now)
            return Settled(run_status=res.status, task_status=None, reason="lease lost", **base)
        status, reason, retry_at = self._judge(task, res, policy, now)
        self._close_run(conn, res, now)
        duration = (now - run_row.started_at).total_seconds() if run_row.started_at else None
        record_event(
            conn,
            self.ctx,
            EventKind.RUN_FINISHED,
            task.id,
            {
                "message": f"run {res.run_id} {res.status.value}"
                + (f" (exit {res.exit_code})" if res.exit_code is not None else ""),
                "status": res.status.value,
                "exit_code": res.exit_code,
                "duration_seconds": duration,
            },
            run_id=res.run_id,
        )
        if retry_at is not None:
            conn.execute(update(Task.__table__).where(T.id == task.id).values(retry_after=retry_at))
        moved = self._tasks._move(conn, task, status, reason=reason or None)
        return Settled(
            run_status=res.status, task_status=moved, reason=reason, retry_at=retry_at, **base
        )

    @staticmethod
    def _judge(
        task: Row[Any], res: RunResult, policy: RetryPolicy, now: datetime
    ) -> tuple[TaskStatus, str, datetime | None]:
        """The task's next status, the reason, and when to retry (if at all)."""
        if res.release:
            return S.PENDING, res.error or "runner stopped; handed back", None
        if res.status is RunStatus.SUCCEEDED:
            return S.DONE, "", None
        why = res.error or (
            f"exit code {res.exit_code}" if res.exit_code is not None else res.status.value
        )
        retry = res.status is RunStatus.FAILED and res.retryable
        if retry and task.attempts <= task.max_retries:
            delay = policy.delay(task.attempts)
            retry_at = now + timedelta(seconds=delay)
            total = task.max_retries + 1
            return S.PENDING, f"{why}; retry {task.attempts + 1} of {total} in {delay:g}s", retry_at
        if res.status is RunStatus.FAILED and task.attempts > 1:
            why += f" after {task.attempts} attempts"
        return S.FAILED, why, None

    @staticmethod
    def _close_run(conn: Connection, res: RunResult, now: datetime) -> None:
        conn.execute(
            update(Run.__table__)
            .where(R.id == res.run_id, R.status == RunStatus.RUNNING.value)
            .values(
                status=res.status.value,
                ended_at=now,
                exit_code=res.exit_code,
                error=res.error,
                outputs=res.outputs,
                outputs_uri=res.outputs_uri,
                log_excerpt=res.log_excerpt,
            )
        )

    def _close_late(self, conn: Connection, res: RunResult, task_id: int, now: datetime) -> None:
        """The lease was gone at the end: someone cancelled, reset or reclaimed the task.

        Add what only this runner knows (exit code, outputs, excerpt) to the run;
        close it if nobody did.
        """
        conn.execute(
            update(Run.__table__)
            .where(R.id == res.run_id, R.exit_code.is_(None))
            .values(
                exit_code=res.exit_code,
                outputs=res.outputs,
                outputs_uri=res.outputs_uri,
                log_excerpt=res.log_excerpt,
            )
        )
        closed = conn.execute(
            update(Run.__table__)
            .where(R.id == res.run_id, R.status == RunStatus.RUNNING.value)
            .values(
                status=res.status.value,
                ended_at=now,
                error=res.error or "the task was changed by someone else while it ran",
            )
        )
        if closed.rowcount == 1:
            record_event(
                conn,
                self.ctx,
                EventKind.RUN_FINISHED,
                task_id,
                {
                    "message": f"run {res.run_id} {res.status.value}; task changed meanwhile",
                    "status": res.status.value,
                    "exit_code": res.exit_code,
                },
                run_id=res.run_id,
            )

    # -- runners that died, and people who cancel ------------------------------------

    def reclaim_expired(self, policy: RetryPolicy | None = None) -> list[Settled]:
        """Mark runs whose runner's lease expired as lost; retry or fail their tasks."""
        policy = policy or RetryPolicy()
        now = self.ctx.now()
        settled: list[Settled] = []
        with self.ctx.db.write() as conn:
            rows = conn.execute(
                select(
                    T.id,
                    T.key,
                    T.title,
                    T.status,
                    T.requires_approval,
                    T.attempts,
                    T.max_retries,
                    T.lease_owner,
                    T.lease_expires_at,
                ).where(
                    T.status == S.IN_PROGRESS.value,
                    T.lease_owner.is_not(None),
                    T.lease_expires_at < now,
                )
            ).all()
            for task in rows:
                gone = conn.execute(
                    update(Task.__table__)
                    .where(
                        T.id == task.id,
                        T.status == S.IN_PROGRESS.value,
                        T.lease_owner == task.lease_owner,
                        T.lease_expires_at == task.lease_expires_at,
                    )
                    .values(lease_owner=None, lease_expires_at=None)
                )
                if gone.rowcount == 1:
                    settled.append(self._lost(conn, task, policy, now))
        return settled

    def _lost(
        self, conn: Connection, task: Row[Any], policy: RetryPolicy, now: datetime
    ) -> Settled:
        why = f"lease of {task.lease_owner} expired at {task.lease_expires_at:%H:%M:%S} UTC"
        open_runs = conn.execute(
            select(R.id, R.execution_id)
            .where(R.task_id == task.id, R.status == RunStatus.RUNNING.value)
            .order_by(R.id)
        ).all()
        run_id = open_runs[-1].id if open_runs else None
        for run in open_runs:
            conn.execute(
                update(Run.__table__)
                .where(R.id == run.id)
                .values(status=RunStatus.LOST.value, ended_at=now, error=why)
            )
        record_event(
            conn,
            self.ctx,
            EventKind.RUN_LOST,
            task.id,
            {"message": f"run lost: {why}", "owner": task.lease_owner},
            run_id=run_id,
        )
        res = RunResult(run_id=run_id or 0, task_id=task.id, status=RunStatus.FAILED, error=why)
        status, reason, retry_at = self._judge(task, res, policy, now)
        if retry_at is not None:
            conn.execute(update(Task.__table__).where(T.id == task.id).values(retry_after=retry_at))
        moved = self._tasks._move(conn, task, status, reason=reason)
        return Settled(
            task_id=task.id,
            key=task.key,
            title=task.title,
            run_id=run_id,
            run_status=RunStatus.LOST,
            task_status=moved,
            reason=reason,
            retry_at=retry_at,
            attempt=task.attempts,
            execution_id=open_runs[-1].execution_id if open_runs else None,
        )

    def cancel(self, key: str, reason: str | None = None) -> RunView:
        """Stop a task's running run: the run is cancelled and the task fails.

        The runner holding it notices within its poll interval that the lease is
        gone and kills the process group (SIGTERM, then SIGKILL).
        """
        now = self.ctx.now()
        why = f"run cancelled by {self.ctx.actor}" + (f": {reason}" if reason else "")
        with self.ctx.db.write() as conn:
            task = find_task(conn, key)
            run = conn.execute(
                select(Run.__table__)
                .where(R.task_id == task.id, R.status == RunStatus.RUNNING.value)
                .order_by(R.id.desc())
                .limit(1)
            ).first()
            if run is None or S(task.status) is not S.IN_PROGRESS:
                raise NotFound(f"{key} has no running run to cancel (it is {task.status})")
            conn.execute(
                update(Task.__table__)
                .where(T.id == task.id)
                .values(lease_owner=None, lease_expires_at=None, retry_after=None)
            )
            conn.execute(
                update(Run.__table__)
                .where(R.id == run.id)
                .values(status=RunStatus.CANCELLED.value, ended_at=now, error=why)
            )
            record_event(
                conn,
                self.ctx,
                EventKind.RUN_FINISHED,
                task.id,
                {"message": f"run {run.id} cancelled", "status": RunStatus.CANCELLED.value},
                run_id=run.id,
            )
            self._tasks._move(conn, task, S.FAILED, reason=why)
            closed = conn.execute(select(Run.__table__).where(R.id == run.id)).one()
            return run_view(closed, key, 0)

    # -- reading --------------------------------------------------------------------

    def outlook(self, agent_types: Sequence[str] | None = MACHINE_TYPES) -> Outlook:
        """Ready tasks, the next scheduled retry, and live leases of any runner."""
        now = self.ctx.now()
        with self.ctx.db.read() as conn:
            ready = conn.execute(
                select(func.count()).select_from(Task.__table__).where(claimable(now, agent_types))
            ).scalar_one()
            next_retry = conn.execute(
                select(func.min(T.retry_after)).where(
                    T.status == S.PENDING.value,
                    _has_command(),
                    T.retry_after > now,
                    _serves(agent_types),
                    unfinished_blockers_expr(T.id) == 0,
                )
            ).scalar()
            leased = conn.execute(
                select(func.count())
                .select_from(Task.__table__)
                .where(T.status == S.IN_PROGRESS.value, T.lease_owner.is_not(None))
            ).scalar_one()
        return Outlook(ready=ready, next_retry_at=next_retry, leased=leased)

    def retry_at(self, key: str) -> datetime | None:
        """When a pending task's next attempt is due, if one is scheduled."""
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            return row.retry_after if S(row.status) is S.PENDING else None

    def run(self, run_id: int) -> RunView:
        with self.ctx.db.read() as conn:
            row = conn.execute(select(Run.__table__).where(R.id == run_id)).first()
            if row is None:
                raise NotFound(f"no run {run_id}")
            key = conn.execute(select(T.key).where(T.id == row.task_id)).scalar_one()
            count = conn.execute(
                select(func.count())
                .select_from(LogLine.__table__)
                .where(LogLine.__table__.c.run_id == run_id)
            ).scalar_one()
        return run_view(row, key, count)

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

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, true, update

from ..domain import rules
from ..domain.enums import EventKind, LogStream, RunStatus, TaskStatus
from ..domain.errors import Conflict, InvalidTransition, NotFound
from ..domain.event_text import words
from ..domain.models import RunView
from ..domain.rules import MACHINE_TYPES
from ..domain.transitions import MOVE_EVENTS, Intent, Via, plan_move
from ..store.tables import Event, LogLine, Run, Task
from . import rules as sql_rules
from . import run_batch
from .base import (
    ServiceContext,
    T,
    find_task,
    lock_task,
    lock_tasks,
    record_event,
    unfinished_blocker_keys,
)
from .moves import EventBatch, apply_moves, current_of, move_one, record_moves
from .questions import open_questions_since
from .run_model import Claim, Outlook, RetryPolicy, RunResult, Settled
from .run_processes import ProcessRecord, record_processes
from .views import run_view

__all__ = [
    "Claim",
    "Outlook",
    "RetryPolicy",
    "RunResult",
    "RunService",
    "Settled",
]

S = TaskStatus
R = Run.__table__.c
E = Event.__table__.c


def _lost_error(why: str) -> Any:
    """A lost run's error: why it was lost, after the cancel reason when someone
    had asked for it to stop (a person must still see who cancelled it)."""
    return func.coalesce(R.cancel_requested + "; then " + why, why)


#: The task's id if no other transaction is writing it (and now it is ours to write).
_LOCK_IF_FREE = (
    select(T.id)
    .where(T.id == bindparam("tid"))
    .with_for_update(skip_locked=True, of=Task.__table__, key_share=True)
)


class RunService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

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

        Returns what was won; racing runners each get different tasks. A task
        whose earlier attempt still runs (its run is open) is not taken.
        """
        if limit <= 0:
            return []
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            if key is not None:
                rows = [self._on_demand(conn, key)]
            else:
                rows = run_batch.candidates(conn, now, limit, agent_types)
            claims = run_batch.take(conn, self.ctx, rows, owner, lease_seconds, now)
            if key is not None and not claims:
                raise Conflict(f"{key} was taken or changed meanwhile; nothing was started")
            return claims

    def next_for_agent(self, agent_types: Sequence[str] | None = MACHINE_TYPES) -> str | None:
        """The key `claim_for_agent` would take now (same candidates, same order),
        without taking it; None when nothing is ready for such an agent."""
        with self.ctx.db.read() as conn:
            rows = run_batch.candidates(conn, self.ctx.now(), 1, agent_types, for_agent=True)
        return str(rows[0].key) if rows else None

    def claim_for_agent(
        self, agent: str, agent_types: Sequence[str] | None = MACHINE_TYPES
    ) -> str | None:
        """Take the next ready task (command or not) for an agent that does the work
        itself, e.g. over MCP; its key, or None when nothing is ready.

        The same compare-and-set as a runner's claim, so of an agent and any number
        of runners exactly one gets a task. No lease is written: nobody runs a
        process for it, so there is nothing for a runner to reclaim; the agent
        becomes the assignee and the claim is recorded as its status change."""
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            candidates = run_batch.candidates(conn, now, 20, agent_types, for_agent=True)
            intent = Intent(S.IN_PROGRESS, via=Via.CLAIM, reason=f"claimed by {agent}")
            for row in candidates:
                # PostgreSQL: step over a task another agent or runner is claiming
                # (FOR UPDATE SKIP LOCKED) instead of queueing behind it. Only the
                # one taken is locked: the others stay free for racing agents.
                # SQLite renders no lock: its BEGIN IMMEDIATE already serialises.
                if conn.execute(_LOCK_IF_FREE, {"tid": row.id}).first() is None:
                    continue
                current = current_of(conn, row, with_blockers=False, leased=False)
                won = apply_moves(conn, [plan_move(current, intent, now)])
                if not won:
                    continue
                conn.execute(update(Task.__table__).where(T.id == row.id).values(assignee=agent))
                events = EventBatch(self.ctx, now)
                record_moves(conn, events, won)
                events.write(conn)
                return str(row.key)
        return None

    def _on_demand(self, conn: Connection, key: str) -> Row[Any]:
        row = find_task(conn, key)
        blockers = unfinished_blocker_keys(conn, row.id)
        status, runnable = S(row.status), row.command is not None
        leased = row.lease_owner is not None
        refusal = rules.run_refusal(key, status, runnable, len(blockers), leased)
        if refusal:
            raise InvalidTransition(refusal)
        still_running = not conn.execute(select(sql_rules.no_attempt_running(row.id))).scalar()
        if still_running:
            raise Conflict(f"{key}: its previous run is still being stopped; try again shortly")
        return row

    # -- while running -------------------------------------------------------------

    def renew(self, owner: str, lease_seconds: float) -> set[int]:
        """Extend every lease `owner` still holds; the ids of those tasks."""
        now = self.ctx.now()
        held = sql_rules.held_by(owner)
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
            rows = conn.execute(select(T.id).where(T.id.in_(ids), sql_rules.held_by(owner)))
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
        if not results:
            return []
        policy = policy or RetryPolicy()
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            return self._finish(conn, owner, results, policy, now)

    def settle_and_claim(
        self,
        owner: str,
        results: Sequence[RunResult],
        policy: RetryPolicy | None,
        processes: Sequence[ProcessRecord],
        limit: int,
        lease_seconds: float,
        agent_types: Sequence[str] | None = MACHINE_TYPES,
    ) -> tuple[list[Settled], list[Claim]]:
        """A runner's round in one transaction: record where new processes run,
        `finish` these results, then `claim` up to `limit` tasks (those the finished
        ones made ready among them). The same statements as the three calls but
        for one commit instead of three and one insert of all their events: short
        commands are dominated by that cost."""
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            record_processes(conn, processes)
            events = EventBatch(self.ctx, now)
            settled = []
            if results:
                policy = policy or RetryPolicy()
                settled = self._finish(conn, owner, results, policy, now, events)
            claims = []
            if limit > 0:
                rows = run_batch.candidates(conn, now, limit, agent_types)
                claims = run_batch.take(conn, self.ctx, rows, owner, lease_seconds, now, events)
            events.write(conn)
            return settled, claims

    def _finish(
        self,
        conn: Connection,
        owner: str,
        results: Sequence[RunResult],
        policy: RetryPolicy,
        now: datetime,
        batch: EventBatch | None = None,
    ) -> list[Settled]:
        """`batch`: events the caller writes (else they are written here)."""
        tasks, runs = run_batch.finishing(conn, [r.run_id for r in results])
        held = run_batch.still_held(owner, [(r.task_id, r.run_id) for r in results], tasks)
        events = batch if batch is not None else EventBatch(self.ctx, now)
        closings: list[dict[str, Any]] = []
        moves: list[tuple[Row[Any], Intent]] = []
        judged: list[tuple[str, datetime | None] | None] = []  # None: the lease was lost
        # Why each run whose lease was lost ended, and who took its task (if a person).
        late: dict[int, tuple[str, str | None]] = {}
        for res in results:
            task = tasks[res.task_id]
            if res.run_id not in held:
                late[res.run_id] = self._close_late(conn, res, task, now)
                judged.append(None)
                continue
            status, reason, retry_at = self._judge(task, res, policy, now)
            started = runs[res.run_id].started_at
            # Read after `finishing` locked the task row: see QuestionService.answer.
            asked = _left_open(conn, task.id, started) if _may_wait(res, status) else ()
            waiting = None  # the run says so as it ends, as its task does
            if asked:
                status, reason = rules.WAITING_FOR_ANSWERS, rules.waiting_for_answers(asked)
                waiting = reason  # its error (`rules.ended_on_questions`)
            closings.append(_closing(res, now, waiting or res.error))
            events.add(
                EventKind.RUN_FINISHED,
                task.id,
                {
                    "message": rules.run_ended_text(res.run_id, res.status, res.exit_code, waiting),
                    "status": res.status.value,
                    "exit_code": res.exit_code,
                    "duration_seconds": (now - started).total_seconds() if started else None,
                },
                res.run_id,
            )
            intent = Intent(
                status, via=Via.FINISH, reason=reason or None, retry_at=retry_at, questions=asked
            )
            moves.append((task, intent))
            judged.append((reason, retry_at))
        run_batch.close_runs(conn, closings)
        targets = run_batch.move_tasks(conn, events, moves)
        if batch is None:
            events.write(conn)
        settled = []
        for res, verdict in zip(results, judged, strict=True):
            task = tasks[res.task_id]
            reason, retry_at = verdict if verdict is not None else (late[res.run_id][0], None)
            settled.append(
                Settled(
                    task_id=task.id,
                    key=task.key,
                    title=task.title,
                    run_id=res.run_id,
                    run_status=res.status,
                    task_status=targets[task.id] if verdict is not None else None,
                    reason=reason,
                    retry_at=retry_at,
                    attempt=task.attempts,
                    exit_code=res.exit_code,
                    outputs_uri=res.outputs_uri,
                    log_excerpt=res.log_excerpt,
                    execution_id=runs[res.run_id].execution_id,
                    taken_by=None if verdict is not None else late[res.run_id][1],
                )
            )
        return settled

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
            rules.exit_code_reason(res.exit_code)
            if res.exit_code is not None
            else words(res.status.value)
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

    def _close_late(
        self, conn: Connection, res: RunResult, task: Row[Any], now: datetime
    ) -> tuple[str, str | None]:
        """The lease was gone at the end: someone cancelled, reset or reclaimed the task.

        Add what only this runner knows (exit code, outputs, excerpt) to the run;
        close it if nobody did (as cancelled, with its reason if a person cancelled
        it, else with who moved the task: its processes are gone now). Returns why
        the run ended, as its error says, and who took the task from it: the actor
        of its newest move, unless its lease expired and the run was reclaimed as
        lost (a runner died, or looked dead: a loss, not anyone's decision).
        """
        task_id = task.id
        run = conn.execute(
            select(R.status, R.cancel_requested, R.exit_code, R.error).where(R.id == res.run_id)
        ).one()
        values: dict[str, Any] = {}
        if run.exit_code is None:
            values.update(
                exit_code=res.exit_code,
                outputs=res.outputs,
                outputs_uri=res.outputs_uri,
                log_excerpt=res.log_excerpt,
            )
        closing = rules.run_open(RunStatus(run.status))
        asked = run.cancel_requested
        status = RunStatus.CANCELLED if asked is not None else res.status
        why = run.error or res.error or "the task was changed by someone else while it ran"
        mover, moved = _moved_while_it_ran(conn, task)
        taken_by = None if run.status == RunStatus.LOST.value else mover
        if closing:
            why = asked or moved or why
            values.update(status=status.value, ended_at=now, error=why)
        if not values:
            return why, taken_by
        written = conn.execute(
            update(Run.__table__).where(R.id == res.run_id, R.status == run.status).values(**values)
        )
        if closing and written.rowcount == 1:
            record_event(
                conn,
                self.ctx,
                EventKind.RUN_FINISHED,
                task_id,
                {
                    "message": f"run {res.run_id} {words(status.value)}; task changed meanwhile",
                    "status": status.value,
                    "exit_code": res.exit_code,
                },
                run_id=res.run_id,
            )
        return why, taken_by

    # -- runners that died, and people who cancel ------------------------------------

    def reclaim_expired(
        self, policy: RetryPolicy | None = None, only: Iterable[int] | None = None
    ) -> list[Settled]:
        """Mark runs whose runner's lease expired as lost; retry or fail their tasks.

        `only`: reclaim just these tasks (those whose old processes are known gone).
        """
        policy = policy or RetryPolicy()
        chosen = None if only is None else list(only)
        if chosen == []:
            return []
        now = self.ctx.now()
        settled: list[Settled] = []
        with self.ctx.db.write() as conn:
            rows = conn.execute(
                select(*run_batch.SETTLING_COLS, T.lease_expires_at).where(
                    sql_rules.lease_expired(now),
                    T.id.in_(chosen) if chosen is not None else true(),
                )
            ).all()
            for task in rows:
                gone = conn.execute(
                    update(Task.__table__)
                    .where(
                        T.id == task.id,
                        sql_rules.held_by(task.lease_owner),
                        T.lease_expires_at == task.lease_expires_at,
                    )
                    .values(lease_owner=None, lease_expires_at=None)
                )
                if gone.rowcount == 1:
                    settled.append(self._lost(conn, task, policy, now))
        return settled

    def close_abandoned(self, only: Iterable[int]) -> list[Settled]:
        """Mark as lost the runs left open on these tasks though no runner holds
        them any more (a person moved the task, then its runner died before it
        closed the run; or a plan loaded it open, as the demo's PAY-11); their
        processes must be known gone. The tasks are left
        as they are: only the runs are closed, which lets the tasks be claimed."""
        chosen = list(only)
        if not chosen:
            return []
        now = self.ctx.now()
        held = sql_rules.held_by_runner()
        # A run no runner started (no run_started event: a plan or an import loaded it open).
        started = (
            select(E.id).where(E.run_id == R.id, E.kind == EventKind.RUN_STARTED.value).exists()
        )
        settled = []
        with self.ctx.db.write() as conn:
            lock_tasks(conn, chosen)
            rows = conn.execute(
                select(
                    R.id,
                    R.execution_id,
                    R.attempt,
                    T.id.label("task_id"),
                    T.key,
                    T.title,
                    started.label("started"),
                )
                .select_from(Run.__table__.join(Task.__table__, R.task_id == T.id))
                .where(T.id.in_(chosen), sql_rules.run_open(R), ~held)
                .order_by(R.id)
            ).all()
            for run in rows:
                why = (
                    "its runner stopped before closing it, after the task was moved"
                    if run.started
                    else "it was loaded open (from a plan or an import) and no runner holds it"
                )
                closed = conn.execute(
                    update(Run.__table__)
                    .where(R.id == run.id, sql_rules.run_open(R))
                    .values(status=RunStatus.LOST.value, ended_at=now, error=_lost_error(why))
                )
                if closed.rowcount != 1:
                    continue
                error = conn.execute(select(R.error).where(R.id == run.id)).scalar_one()
                record_event(
                    conn,
                    self.ctx,
                    EventKind.RUN_LOST,
                    run.task_id,
                    {"message": f"{rules.run_ended_text(run.id, RunStatus.LOST, None)}: {error}"},
                    run_id=run.id,
                )
                settled.append(
                    Settled(
                        task_id=run.task_id,
                        key=run.key,
                        title=run.title,
                        run_id=run.id,
                        run_status=RunStatus.LOST,
                        task_status=None,
                        reason=error,
                        attempt=run.attempt,
                        execution_id=run.execution_id,
                        loaded_open=not run.started,
                    )
                )
        return settled

    def _lost(self, conn: Connection, task: Row, policy: RetryPolicy, now: datetime) -> Settled:
        why = f"lease of {task.lease_owner} expired at {task.lease_expires_at:%H:%M:%S} UTC"
        open_runs = conn.execute(
            select(R.id, R.execution_id)
            .where(R.task_id == task.id, sql_rules.run_open(R))
            .order_by(R.id)
        ).all()
        run_id = open_runs[-1].id if open_runs else None
        for run in open_runs:
            conn.execute(
                update(Run.__table__)
                .where(R.id == run.id)
                .values(status=RunStatus.LOST.value, ended_at=now, error=_lost_error(why))
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
        intent = Intent(status, via=Via.LOST, reason=reason, retry_at=retry_at)
        moved = move_one(conn, self.ctx, task, intent).target
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
        """Ask for a task's running run to be stopped: the task fails at once and
        the run is marked with who cancelled it and why (its `cancel_requested`,
        which makes it `stopping`: `rules.run_stopping`).

        The run stays open while its processes may run: the runner holding it
        notices within its poll interval that the lease is gone, kills the
        process group (SIGTERM, then SIGKILL) and only then closes the run as
        cancelled, so the task cannot be claimed again before (see
        `rules.no_attempt_running`). `close_cancelled` closes it for whoever
        made sure its processes are gone (`task cancel-run`). Closed as cancelled,
        its error is the reason; closed as lost, its error starts with it.
        """
        why = f"run cancelled by {self.ctx.actor}" + (f": {reason}" if reason else "")
        with self.ctx.db.write() as conn:
            task = lock_task(conn, find_task(conn, key).id)
            run = conn.execute(
                select(R.id)
                .where(R.task_id == task.id, sql_rules.run_open(R))
                .order_by(R.id.desc())
                .limit(1)
            ).first()
            if run is None or S(task.status) is not S.IN_PROGRESS:
                raise NotFound(rules.cancel_refusal(key, S(task.status), leased=False) or "")
            marking = update(Run.__table__).where(R.id == run.id)
            conn.execute(marking.values(cancel_requested=why))
            move_one(conn, self.ctx, task, Intent(S.FAILED, via=Via.CANCEL, reason=why))
            marked = conn.execute(select(Run.__table__).where(R.id == run.id)).one()
            return run_view(marked, key, 0)

    def close_cancelled(self, run_id: int) -> RunView:
        """Close a cancelled run whose processes are known gone, unless its runner
        closed it already; the run as it now stands."""
        now = self.ctx.now()
        with self.ctx.db.write() as conn:
            task_id = conn.execute(select(R.task_id).where(R.id == run_id)).scalar_one()
            lock_task(conn, task_id)
            closed = conn.execute(
                update(Run.__table__)
                .where(R.id == run_id, sql_rules.run_stopping())
                .values(status=RunStatus.CANCELLED.value, ended_at=now, error=R.cancel_requested)
            )
            row = conn.execute(select(Run.__table__).where(R.id == run_id)).one()
            if closed.rowcount == 1:
                record_event(
                    conn,
                    self.ctx,
                    EventKind.RUN_FINISHED,
                    row.task_id,
                    {
                        "message": rules.run_ended_text(run_id, RunStatus.CANCELLED, None),
                        "status": RunStatus.CANCELLED.value,
                    },
                    run_id=run_id,
                )
            key = conn.execute(select(T.key).where(T.id == row.task_id)).scalar_one()
            return run_view(row, key, 0)

    # -- reading --------------------------------------------------------------------

    def outlook(self, agent_types: Sequence[str] | None = MACHINE_TYPES) -> Outlook:
        """Ready tasks, the next scheduled retry, and live leases of any runner."""
        now = self.ctx.now()
        with self.ctx.db.read() as conn:
            ready = conn.execute(
                select(func.count())
                .select_from(Task.__table__)
                .where(sql_rules.claimable(now, agent_types))
            ).scalar_one()
            # Claimable but for the time: due once `retry_after` has come.
            later = sql_rules.claimable(T.retry_after, agent_types)
            next_retry = conn.execute(
                select(func.min(T.retry_after)).where(later, T.retry_after > now)
            ).scalar()
            leased = conn.execute(
                select(func.count()).select_from(Task.__table__).where(sql_rules.held_by_runner())
            ).scalar_one()
        return Outlook(ready=ready, next_retry_at=next_retry, leased=leased)

    def retry_at(self, key: str) -> datetime | None:
        """When a pending task's next attempt is due, if one is scheduled."""
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            return row.retry_after if S(row.status) in rules.CLAIMED_BY_RUNNERS else None

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


def _may_wait(res: RunResult, status: TaskStatus) -> bool:
    return res.continues_after_answers and status is S.DONE


def _left_open(conn: Connection, task_id: int, started: datetime | None) -> tuple[int, ...]:
    """The task's questions asked during the run (since `started`) still unanswered."""
    if started is None:
        return ()
    return tuple(open_questions_since(conn, task_id, started))


def _moved_while_it_ran(conn: Connection, task: Row[Any]) -> tuple[str | None, str | None]:
    """Who took the task from its run (its newest move's actor), and what they did:
    where to and why (`alice moved A to blocked while it ran: not now`); Nones when
    no move says it."""
    moved = conn.execute(
        select(E.actor, E.data)
        .where(E.task_id == task.id, E.kind.in_([k.value for k in MOVE_EVENTS]))
        .order_by(E.id.desc())
        .limit(1)
    ).first()
    if moved is None or not moved.data.get("to"):
        return None, None
    said = f"{moved.actor} moved {task.key} to {words(moved.data['to'])} while it ran"
    reason = moved.data.get("reason")
    return moved.actor, f"{said}: {reason}" if reason else said


def _closing(res: RunResult, now: datetime, error: str | None) -> dict[str, Any]:
    return {
        "rid": res.run_id,
        "run_status": res.status.value,
        "ended": now,
        "code": res.exit_code,
        "err": error,
        "outs": res.outputs,
        "uri": res.outputs_uri,
        "excerpt": res.log_excerpt,
    }

"""The one writer of status moves planned by `domain.transitions.plan_move`.

Moves are written as compare-and-set statements (`UPDATE ... WHERE id IN (...)
AND status = :expected`), grouped so that a batch of a thousand runner
finishes costs a handful of statements, with their events in the caller's
transaction. A move that loses its compare-and-set raises `Conflict` (nothing
of the transaction is kept), except claims, which lose quietly to the runner
that won. Tasks that became ready because a move finished their last blocker
get an `unblocked` event; a move that ends a task's work closes its open
questions, each with a `question_closed` event, and the undo of such a move
reopens them, each with a `question_reopened` event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, select, update

from ..domain.enums import EventKind, Readiness, TaskStatus
from ..domain.errors import Conflict
from ..domain.event_text import words
from ..domain.rules import GATING, has_live_run
from ..domain.transitions import Current, Intent, Move, PlannedEvent, plan_move
from ..store.bulk import bulk_insert
from ..store.driver import Prepared
from ..store.tables import Event, Question, Task
from .base import D, ServiceContext, T, unfinished_blocker_keys
from .rules import QUESTIONS, all_blockers_done, one_of, question_open, readiness_clause

S = TaskStatus
_EVENTS = Event.__table__
_EVENT_INSERT = _EVENTS.insert()
_WAITING = Task.__table__.alias("unblocked")


def _unblocked_query(materialized: bool) -> Any:
    """Tasks made ready by the moved ones (`ids`), with the move that freed them.

    The gating dependencies on the moved tasks are read first (materialised):
    without table statistics SQLite otherwise starts from every pending task and
    checks each one's blockers (0.6 ms a call at 1000 tasks, against 0.02 ms)."""
    moved = select(D.task_id, D.depends_on_id).where(
        D.depends_on_id.in_(bindparam("ids", expanding=True)),
        one_of(D.dep_type, [t.value for t in GATING]),
    )
    deps = moved.cte("moved_deps")
    if materialized:
        deps = deps.prefix_with("MATERIALIZED")
    return (
        select(deps.c.depends_on_id, _WAITING.c.id, _WAITING.c.key)
        .select_from(deps.join(_WAITING, _WAITING.c.id == deps.c.task_id))
        .where(readiness_clause(Readiness.READY, _WAITING))
        .order_by(_WAITING.c.id, deps.c.depends_on_id)
    )


_UNBLOCKED = Prepared(_unblocked_query(materialized=True))
# SQLite learnt `AS MATERIALIZED` in 3.35.
_UNBLOCKED_PLAIN = Prepared(_unblocked_query(materialized=False))
_SQLITE_MATERIALIZES = sqlite3.sqlite_version_info >= (3, 35)


def current_of(
    conn: Connection, row: Row, *, with_blockers: bool = True, leased: bool | None = None
) -> Current:
    """The planner's view of a task row (any row with the task's columns)."""
    status = S(row.status)
    blockers: tuple[str, ...] = ()
    if with_blockers and status is not S.IN_PROGRESS:
        blockers = tuple(unfinished_blocker_keys(conn, row.id))
    mapping = row._mapping
    if leased is None:
        leased = has_live_run(status, mapping.get("lease_owner") is not None)
    return Current(
        id=row.id,
        key=row.key,
        status=status,
        requires_approval=bool(mapping.get("requires_approval", False)),
        unfinished_blockers=blockers,
        leased=leased,
        attempts=int(mapping.get("attempts") or 0),
        retry_scheduled=mapping.get("retry_after") is not None,
        progress=mapping.get("progress"),
    )


class EventBatch:
    """Event rows collected in order, written with one statement."""

    def __init__(self, ctx: ServiceContext, now: datetime) -> None:
        self.ctx, self.now = ctx, now
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        kind: EventKind,
        task_id: int | None,
        data: Mapping[str, Any],
        run_id: int | None = None,
    ) -> None:
        self.rows.append(
            {
                "created_at": self.now,
                "actor": self.ctx.actor,
                "kind": kind.value,
                "task_id": task_id,
                "run_id": run_id,
                "data": dict(data),
            }
        )

    def write(self, conn: Connection) -> None:
        if self.rows:
            # A runner's round writes ~30 events: built row by row by SQLAlchemy
            # they cost a tenth of its transaction.
            bulk_insert(conn, _EVENTS, self.rows, on_driver=True)
            self.rows = []


#: The actor of an approval request no person made: a task created awaiting
#: approval was submitted by nobody, so whoever created it may still decide it.
NO_SUBMITTER = ""


def record_initial_requests(conn: Connection, requests: Sequence[tuple[int, datetime]]) -> None:
    """The approval requests of new tasks that start out awaiting approval, as
    (task id, when it was last updated): each gets the request a submission
    records, dated by the plan or file, so the inbox orders them by it and later
    writes (an undo, an edit) do not move them. Nobody submitted them, so no
    actor is recorded and the own-work rule finds no submitter."""
    if requests:
        conn.execute(
            _EVENT_INSERT,
            [
                {
                    "created_at": when,
                    "actor": NO_SUBMITTER,
                    "kind": EventKind.APPROVAL_REQUESTED.value,
                    "task_id": task_id,
                    "run_id": None,
                    "data": {},
                }
                for task_id, when in requests
            ],
        )


def apply_moves(conn: Connection, moves: Sequence[Move]) -> list[Move]:
    """The compare-and-set statements alone; the moves that won, in the given order.

    Raises `Conflict` when an uncontested move lost (its task changed meanwhile).
    """
    won: set[int] = set()
    for group in _groups(moves):
        won |= _write_group(conn, group)
    lost = [m for m in moves if m.task_id not in won]
    for move in lost:
        if not move.contested:
            now_status = conn.execute(select(T.status).where(T.id == move.task_id)).scalar()
            raise Conflict(
                f"{move.key} changed meanwhile (expected {words(move.expected.value)}, now "
                f"{words(now_status)}); nothing was written"
            )
    return [m for m in moves if m.task_id in won]


def record_moves(
    conn: Connection,
    events: EventBatch,
    moves: Sequence[Move],
    extra: Mapping[int, Sequence[PlannedEvent]] | None = None,
) -> list[str]:
    """Queue the events of written moves (then `extra` per task), close the open
    questions of tasks whose work ended and reopen those an undo gives back (with
    their events), then queue `unblocked`
    events for dependents that became ready; the keys of those dependents."""
    for move in moves:
        for event in move.events:
            events.add(event.kind, move.task_id, event.data, event.run_id)
        for event in (extra or {}).get(move.task_id, ()):
            events.add(event.kind, move.task_id, event.data, event.run_id)
    ended = {m.task_id: m for m in moves if m.closes_questions}
    if ended:
        _close_questions(conn, events, ended)
    reopening = {m.task_id: m for m in moves if m.reopens_questions}
    if reopening:
        _reopen_questions(conn, events, reopening)
    finished = {m.task_id: m.key for m in moves if m.unblocks}
    return _unblocked(conn, events, finished) if finished else []


def write_moves(
    conn: Connection,
    ctx: ServiceContext,
    moves: Sequence[Move],
    extra: Mapping[int, Sequence[PlannedEvent]] | None = None,
) -> list[Move]:
    """Apply moves and write their events in the caller's transaction; those that won."""
    won = apply_moves(conn, moves)
    events = EventBatch(ctx, ctx.now())
    record_moves(conn, events, won, extra)
    events.write(conn)
    return won


def move_one(conn: Connection, ctx: ServiceContext, row: Row, intent: Intent) -> Move:
    """Plan and write one move of the task `row`."""
    move = plan_move(current_of(conn, row), intent, ctx.now())
    write_moves(conn, ctx, [move])
    return move


def _groups(moves: Iterable[Move]) -> list[list[Move]]:
    """Moves that can share one statement: same expected status, same columns and
    values, same guard."""
    groups: dict[tuple[Any, ...], list[Move]] = {}
    for move in moves:
        shape = (
            move.expected,
            move.target,
            move.needs_blockers_done,
            tuple(sorted(move.values.items(), key=lambda kv: kv[0])),
        )
        groups.setdefault(shape, []).append(move)
    return list(groups.values())


def _write_group(conn: Connection, group: list[Move]) -> set[int]:
    first = group[0]
    columns = tuple(sorted(first.values))
    params = {f"v_{name}": value for name, value in first.values.items()}
    params.update(expected=first.expected.value, target=first.target.value)
    ids = [m.task_id for m in group]
    if conn.dialect.update_returning:
        stmt = _prepared(columns, first.needs_blockers_done)
        won: set[int] = set()
        for start in range(0, len(ids), 900):
            won.update(stmt.scalars(conn, {**params, "ids": ids[start : start + 900]}))
        return won
    one = _statement(columns, first.needs_blockers_done, False)
    return {tid for tid in ids if conn.execute(one, {**params, "tid": tid}).rowcount == 1}


@lru_cache(maxsize=256)
def _prepared(columns: tuple[str, ...], needs_blockers_done: bool) -> Prepared:
    """The compare-and-set of many tasks, with the ids it moved (see `store.driver`)."""
    return Prepared(_statement(columns, needs_blockers_done, True))


@lru_cache(maxsize=256)
def _statement(columns: tuple[str, ...], needs_blockers_done: bool, many: bool) -> Any:
    """The compare-and-set for one shape of move, built once: constructing a
    statement costs more than SQLite takes to run it."""
    which = T.id.in_(bindparam("ids", expanding=True)) if many else T.id == bindparam("tid")
    guards = [which, T.status == bindparam("expected")]
    if needs_blockers_done:
        guards.append(all_blockers_done(T.id))
    values = {name: bindparam(f"v_{name}", type_=T[name].type) for name in columns}
    stmt = (
        update(Task.__table__)
        .where(*guards)
        .values(**values, status=bindparam("target"), version=T.version + 1)
    )
    return stmt.returning(T.id) if many else stmt


class _QuestionUpdate:
    """One UPDATE of the questions `where` picks, built once (a runner's every round
    may run it): `run` answers the (id, task id) of the questions it changed."""

    def __init__(self, where: Any, **values: Any) -> None:
        change = update(Question.__table__).where(where).values(**values)
        self._returning = Prepared(change.returning(QUESTIONS.id, QUESTIONS.task_id))
        self._plain = change
        self._read = select(QUESTIONS.id, QUESTIONS.task_id).where(where)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        if conn.dialect.update_returning:
            return self._returning.rows(conn, params)
        # SQLite before 3.35: the write lock is held, nothing moves in between
        changed = list(conn.execute(self._read, params))
        conn.execute(self._plain, params)
        return changed


#: Closing the open questions of the tasks `ids` at `closed`.
_CLOSE_QUESTIONS = _QuestionUpdate(
    and_(QUESTIONS.task_id.in_(bindparam("ids", expanding=True)), question_open()),
    closed_at=bindparam("closed", type_=QUESTIONS.closed_at.type),
)
#: Reopening the closed, unanswered questions `questions` of the tasks `ids`.
_REOPEN_QUESTIONS = _QuestionUpdate(
    and_(
        QUESTIONS.task_id.in_(bindparam("ids", expanding=True)),
        QUESTIONS.id.in_(bindparam("questions", expanding=True)),
        QUESTIONS.closed_at.is_not(None),
        QUESTIONS.answered_at.is_(None),
    ),
    closed_at=None,
)


def _close_questions(conn: Connection, events: EventBatch, ended: dict[int, Move]) -> None:
    """Close the open questions of the tasks whose work the moves `ended`, one
    `question_closed` event each: nobody waits for their answers any more. Only
    the questions this statement closed get an event (an answer may win first)."""
    ids = list(ended)
    for start in range(0, len(ids), 900):
        params = {"ids": ids[start : start + 900], "closed": events.now}
        closed = _CLOSE_QUESTIONS.run(conn, params)
        for question_id, task_id in sorted(closed, key=lambda r: r[0]):
            move = ended[task_id]
            status = words(move.target.value)
            message = f"question {question_id} closed unanswered: {move.key} is {status}"
            events.add(
                EventKind.QUESTION_CLOSED,
                task_id,
                {"question": question_id, "message": message},
                move.events[0].run_id if move.events else None,
            )


def _reopen_questions(conn: Connection, events: EventBatch, reopening: dict[int, Move]) -> None:
    """Reopen the questions the moves `reopening` undo the closing of, one
    `question_reopened` event each: whoever asked waits for their answers again. A
    question answered meanwhile (none can be: a closed question takes no answer)
    stays as it is, and only the moved tasks' questions are looked at."""
    moves = list(reopening.values())
    for start in range(0, len(moves), 900):
        batch = moves[start : start + 900]
        params = {
            "ids": [m.task_id for m in batch],
            "questions": [q for m in batch for q in m.reopens_questions],
        }
        reopened = _REOPEN_QUESTIONS.run(conn, params)
        for question_id, task_id in sorted(reopened, key=lambda r: r[0]):
            move = reopening[task_id]
            status = words(move.target.value)
            message = f"question {question_id} reopened: {move.key} is {status} again"
            events.add(
                EventKind.QUESTION_REOPENED, task_id, {"question": question_id, "message": message}
            )


def _unblocked(conn: Connection, events: EventBatch, done: dict[int, str]) -> list[str]:
    seen: set[int] = set()
    freed: list[str] = []
    ids = list(done)
    for start in range(0, len(ids), 900):
        old_sqlite = conn.dialect.name == "sqlite" and not _SQLITE_MATERIALIZES
        query = _UNBLOCKED_PLAIN if old_sqlite else _UNBLOCKED
        rows = query.rows(conn, {"ids": ids[start : start + 900]})
        for by_id, task_id, task_key in rows:
            if task_id not in seen:
                seen.add(task_id)
                key = done[by_id]
                events.add(EventKind.UNBLOCKED, task_id, {"by": key, "message": f"{key} done"})
                freed.append(task_key)
    return freed

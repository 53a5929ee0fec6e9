"""Undoing a person's own recorded moves: status changes and approval decisions.

The rule of what may be undone is `domain.undo.undo_refusal`; this module
gathers what it needs from the events table and writes the reversal through
`plan_move` with `Via.UNDO` and the one writer in `moves.py`, in one
transaction, so a refused undo writes nothing. Undoing a move that ended a
task's work reopens the questions that move closed.
"""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import Conflict, NotFound
from ..domain.models import TaskDetail
from ..domain.rules import FINISHED, GATING
from ..domain.transitions import MOVE_EVENTS, START_EVENTS, Intent, Via, plan_move, records_start
from ..domain.undo import UNDOABLE, RecordedMove, SinceThen, UndoPreview, undo_refusal
from ..store.tables import Event, Task
from .base import D, ServiceContext, T, find_task
from .moves import current_of, write_moves
from .views import task_detail

S = TaskStatus
E = Event.__table__.c
_UNDOABLE = tuple(k.value for k in UNDOABLE)
_MOVES = (*_UNDOABLE, EventKind.STATUS_REVERTED.value)
_ALL_MOVES = sorted(k.value for k in MOVE_EVENTS)
_STARTS = sorted(k.value for k in START_EVENTS)


def recorded_move(conn: Connection, event_id: int) -> RecordedMove:
    row = conn.execute(
        select(E.id, E.kind, E.task_id, E.actor, E.data, T.key)
        .join(Task.__table__, T.id == E.task_id)
        .where(E.id == event_id)
    ).first()
    if row is None or row.kind not in _UNDOABLE:
        raise NotFound(f"no recorded move #{event_id} to undo")
    return RecordedMove(
        event_id=row.id,
        kind=EventKind(row.kind),
        task_id=row.task_id,
        key=row.key,
        actor=row.actor,
        before=S(row.data["from"]),
        after=S(row.data["to"]),
        progress_before=row.data.get("progress_from"),
        closed_questions=_questions_closed_by(conn, row.task_id, row.id),
    )


def _questions_closed_by(conn: Connection, task_id: int, event_id: int) -> tuple[int, ...]:
    """The questions the move recorded as `event_id` closed: the `question_closed`
    events the one writer records after the move's own, in its transaction, so
    before the task's next move."""
    next_move = (
        select(E.id)
        .where(E.task_id == task_id, E.id > event_id, E.kind.in_(_ALL_MOVES))
        .order_by(E.id)
        .limit(1)
        .scalar_subquery()
    )
    closes = select(E.data).where(
        E.task_id == task_id,
        E.id > event_id,
        E.kind == EventKind.QUESTION_CLOSED.value,
        or_(next_move.is_(None), E.id < next_move),
    )
    return tuple(int(d["question"]) for d in conn.execute(closes.order_by(E.id)).scalars())


def since_then(conn: Connection, move: RecordedMove) -> SinceThen:
    """What happened to the task after `move`."""
    status = S(conn.execute(select(T.status).where(T.id == move.task_id)).scalar_one())
    later = conn.execute(
        select(E.actor, E.kind, E.data)
        .where(E.task_id == move.task_id, E.id > move.event_id, E.kind.in_(_MOVES))
        .order_by(E.id.desc())
        .limit(500)
    ).all()
    undone = any(
        r.kind == EventKind.STATUS_REVERTED.value and r.data.get("reverts") == move.event_id
        for r in later
    )
    merged = None
    if move.kind is EventKind.APPROVED:
        # An approval writes its merge event just before its decision.
        before = conn.execute(
            select(E.kind, E.data)
            .where(E.task_id == move.task_id, E.id < move.event_id)
            .order_by(E.id.desc())
            .limit(1)
        ).first()
        if before is not None and before.kind == EventKind.MERGED.value:
            merged = str(before.data.get("message") or before.data.get("how") or "merged")
    started: tuple[str, ...] = ()
    if move.after in FINISHED and move.before not in FINISHED:
        started = _dependents_started_since(conn, move)
    return SinceThen(
        status=status,
        undone=undone,
        moved_by=later[0].actor if later else None,
        merged=merged,
        started_dependents=started,
        stopped_run=_run_stopped_by(conn, move) if move.before is S.IN_PROGRESS else None,
    )


def _run_stopped_by(conn: Connection, move: RecordedMove) -> int | None:
    """The run `move` took the task from: the task was in progress by a runner's
    claim (the move into progress names its run), and moving it on stopped the run."""
    return conn.execute(
        select(E.run_id)
        .where(E.task_id == move.task_id, E.id < move.event_id, E.kind.in_(_ALL_MOVES))
        .order_by(E.id.desc())
        .limit(1)
    ).scalar()


def _dependents_started_since(conn: Connection, move: RecordedMove) -> tuple[str, ...]:
    dependents = dict(
        conn.execute(
            select(D.task_id, T.key)
            .join(Task.__table__, T.id == D.task_id)
            .where(
                D.depends_on_id == move.task_id,
                D.dep_type.in_([t.value for t in GATING]),
            )
        ).all()
    )
    if not dependents:
        return ()
    starts = conn.execute(
        select(E.task_id, E.kind, E.data)
        .where(E.task_id.in_(list(dependents)), E.id > move.event_id, E.kind.in_(_STARTS))
        .order_by(E.id)
    ).all()
    keys = {dependents[r.task_id] for r in starts if records_start(r.kind, r.data)}
    return tuple(sorted(keys))


def preview(conn: Connection, ctx: ServiceContext, event_id: int) -> UndoPreview:
    move = recorded_move(conn, event_id)
    return UndoPreview(move, undo_refusal(move, ctx.actor, since_then(conn, move)))


class UndoService:
    """Undo by event id (the TUI keeps a stack of its own) or the actor's last move."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def last_own_move(self, key: str) -> int | None:
        """The newest undoable move this actor recorded on the task (its event id)."""
        with self.ctx.db.read() as conn:
            task = find_task(conn, key)
            return conn.execute(
                select(E.id)
                .where(E.task_id == task.id, E.actor == self.ctx.actor, E.kind.in_(_UNDOABLE))
                .order_by(E.id.desc())
                .limit(1)
            ).scalar()

    def preview(self, event_id: int) -> UndoPreview:
        """What undoing the move would do, or why it cannot; writes nothing."""
        with self.ctx.db.read() as conn:
            return preview(conn, self.ctx, event_id)

    def undo(self, event_id: int) -> TaskDetail:
        """Reverse the move, recorded as `status_reverted`; Conflict (nothing
        written) when the rule refuses."""
        with self.ctx.db.write() as conn:
            plan = preview(conn, self.ctx, event_id)
            if plan.refusal:
                raise Conflict(f"cannot undo: {plan.refusal}; nothing was written")
            row = conn.execute(select(Task.__table__).where(T.id == plan.move.task_id)).one()
            current = current_of(conn, row, with_blockers=False)
            move = plan.move
            intent = Intent(
                move.before,
                via=Via.UNDO,
                reverts=event_id,
                progress=move.progress_before,
                questions=move.closed_questions,
            )
            write_moves(conn, self.ctx, [plan_move(current, intent, self.ctx.now())])
            return task_detail(conn, find_task(conn, plan.key))

    def undo_last(self) -> TaskDetail:
        """Reverse this actor's most recent move not yet undone."""
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(E.id, E.kind, E.data)
                .where(E.actor == self.ctx.actor, E.kind.in_(_MOVES), E.task_id.is_not(None))
                .order_by(E.id.desc())
                .limit(500)
            ).all()
        reverted = {r.data.get("reverts") for r in rows if r.kind == "status_reverted"}
        last = next((r.id for r in rows if r.kind in _UNDOABLE and r.id not in reverted), None)
        if last is None:
            raise NotFound(f"{self.ctx.actor} has no status change to undo")
        return self.undo(last)

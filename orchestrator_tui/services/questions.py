"""Questions agents ask people, and the answers people give.

Asking records the question and a QUESTION_ASKED event in one transaction.
Answering is one compare-and-set (`... WHERE id = :id AND answered_at IS
NULL`), so when two people answer the same question at once exactly one
answer (and one QUESTION_ANSWERED event) lands; the other gets `Conflict`
naming who answered first. Reads never write.

A coding agent's run that ended with questions open left its task blocked,
waiting for them (see `RunService.finish`); the answer that leaves none open
moves the task back to pending in the same transaction, and the next run
continues the agent's session with the answers (`answered_after_last_run`).

A move that ends a task's work (done, failed, cancelled) closes its open
questions in the move's own transaction (`services/moves.py`); a closed
question cannot be answered, and whoever waits on it is told it was closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from ..domain.event_text import words
from ..domain.models import InboxEntry, QuestionView
from ..domain.rules import (
    DECIDABLE,
    WAITING_FOR_ANSWERS,
    closed_question_refusal,
    no_open_question,
)
from ..domain.state_machine import CLOSES_QUESTIONS
from ..domain.transitions import MOVE_EVENTS, Intent, Via
from ..store.engine import inserted_id
from ..store.tables import Event, Question, Run, Task
from .base import ServiceContext, T, find_task, lock_task, open_questions_expr, record_event
from .moves import move_one
from .queries import QueryService, TaskFilter
from .rules import question_open, run_open

Q = Question.__table__.c
E = Event.__table__.c
R = Run.__table__.c
_MOVES = sorted(k.value for k in MOVE_EVENTS)

#: Longest question or answer accepted (characters).
MAX_TEXT = 10_000
#: How much of a question or answer its event keeps (the table keeps all of it).
EVENT_EXCERPT = 200

_VIEW_COLUMNS = (
    Q.id,
    T.key.label("task_key"),
    T.title.label("task_title"),
    Q.asked_by,
    Q.text,
    Q.asked_at,
    Q.answer,
    Q.answered_by,
    Q.answered_at,
    Q.closed_at,
)
_FROM = Question.__table__.join(Task.__table__, T.id == Q.task_id)


def _view(r: Any) -> QuestionView:
    return QuestionView.model_validate(dict(r._mapping))


def _clean(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(f"{what} needs some text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"{what} is longer than {MAX_TEXT} characters")
    return text


class QuestionService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- writing ----------------------------------------------------------------

    def ask(self, key: str, text: str) -> QuestionView:
        """Ask a person a question about the task `key`, as the acting agent."""
        text = _clean(text, "a question")
        with self.ctx.db.write() as conn:
            task = find_task(conn, key)
            # Locked (on PostgreSQL): a move ending the task's work either comes first
            # (and this is refused) or after (and closes this question with the rest).
            status = lock_task(conn, task.id).status
            if TaskStatus(status) in CLOSES_QUESTIONS:
                raise InvalidTransition(f"{key} is {words(status)}: nobody is working on it to ask")
            now = self.ctx.now()
            qid = inserted_id(
                conn.execute(
                    Question.__table__.insert().values(
                        task_id=task.id, asked_by=self.ctx.actor, text=text, asked_at=now
                    )
                )
            )
            record_event(
                conn,
                self.ctx,
                EventKind.QUESTION_ASKED,
                task.id,
                {"question": qid, "message": f"asked: {text[:EVENT_EXCERPT]}"},
            )
            return self._one(conn, qid)

    def answer(self, key: str, text: str, question_id: int | None = None) -> QuestionView:
        """Answer the task's oldest open question (or the question `question_id`)."""
        text = _clean(text, "an answer")
        with self.ctx.db.write() as conn:
            # The task first (`lock_task`): a move ending it closes its questions.
            task = lock_task(conn, find_task(conn, key).id)
            if question_id is None:
                question_id = conn.execute(
                    select(Q.id)
                    .where(Q.task_id == task.id, question_open())
                    .order_by(Q.asked_at, Q.id)
                    .limit(1)
                ).scalar()
                if question_id is None:
                    raise NotFound(no_open_question(key) + _last_answer(conn, task.id))
            won = conn.execute(
                update(Question.__table__)
                .where(Q.id == question_id, Q.task_id == task.id, question_open())
                .values(answer=text, answered_by=self.ctx.actor, answered_at=self.ctx.now())
            )
            if won.rowcount != 1:
                other = conn.execute(
                    select(Q.answered_by, Q.closed_at, T.status)
                    .select_from(_FROM)
                    .where(Q.id == question_id, Q.task_id == task.id)
                ).first()
                if other is None:
                    raise NotFound(f"{key} has no question {question_id}")
                if other.closed_at is not None:
                    refusal = closed_question_refusal(key, question_id, other.status)
                    raise InvalidTransition(f"{refusal}; nothing was written")
                raise Conflict(
                    f"{key}'s question {question_id} was already answered by {other[0]}; "
                    "nothing was written"
                )
            record_event(
                conn,
                self.ctx,
                EventKind.QUESTION_ANSWERED,
                task.id,
                {"question": question_id, "message": f"answered: {text[:EVENT_EXCERPT]}"},
            )
            self._continue_if_answered(conn, task.id, question_id)
            return self._one(conn, question_id)

    def _continue_if_answered(self, conn: Connection, task_id: int, question_id: int) -> None:
        """A task blocked waiting for answers goes back to pending with the last one.

        The task row is read locked (on PostgreSQL): a runner closing the run that
        asked locks it before it looks for open questions, so of the two whichever
        comes second sees what the first wrote."""
        task = lock_task(conn, task_id)
        if TaskStatus(task.status) is not WAITING_FOR_ANSWERS or not waits_for_answers(
            conn, task.id
        ):
            return
        if conn.execute(select(open_questions_expr(task.id))).scalar_one():
            return
        reason = f"question {question_id} answered"
        intent = Intent(TaskStatus.PENDING, via=Via.ANSWER, reason=reason, questions=(question_id,))
        move_one(conn, self.ctx, task, intent)

    # -- reading ----------------------------------------------------------------

    def closed_refusal(self, question: QuestionView) -> str:
        """What a person or agent waiting on the closed `question` is told."""
        with self.ctx.db.read() as conn:
            status = conn.execute(select(T.status).where(T.key == question.task_key)).scalar()
        return closed_question_refusal(question.task_key, question.id, status or "gone")

    def get(self, question_id: int) -> QuestionView:
        with self.ctx.db.read() as conn:
            return self._one(conn, question_id)

    def open_since(self, task_id: int, since: datetime) -> list[int]:
        """Ids of the task's unanswered questions asked at or after `since`."""
        with self.ctx.db.read() as conn:
            return open_questions_since(conn, task_id, since)

    def open_questions(self, limit: int | None = None) -> list[QuestionView]:
        """Every unanswered question, oldest first."""
        stmt = (
            select(*_VIEW_COLUMNS)
            .select_from(_FROM)
            .where(question_open())
            .order_by(Q.asked_at, Q.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.ctx.db.read() as conn:
            return [_view(r) for r in conn.execute(stmt)]

    def for_task(self, key: str, limit: int = 100) -> list[QuestionView]:
        """The task's questions, answered or not, newest last (at most `limit`, the latest)."""
        with self.ctx.db.read() as conn:
            task = find_task(conn, key)
            rows = conn.execute(
                select(*_VIEW_COLUMNS)
                .select_from(_FROM)
                .where(Q.task_id == task.id)
                .order_by(Q.id.desc())
                .limit(limit)
            ).all()
        return [_view(r) for r in reversed(rows)]

    def count_open(self, key: str | None = None) -> int:
        """Unanswered questions (of the task `key`, or of every task)."""
        stmt = select(func.count()).select_from(Question.__table__).where(question_open())
        with self.ctx.db.read() as conn:
            if key is not None:
                stmt = stmt.where(Q.task_id == find_task(conn, key).id)
            return conn.execute(stmt).scalar_one()

    def inbox(self) -> list[InboxEntry]:
        """Tasks awaiting approval (each with its list row) and unanswered questions
        together, oldest first."""
        queries = QueryService(self.ctx)
        awaiting = TaskFilter(statuses=DECIDABLE)
        rows = {r.key: r for r in queries.list_tasks(awaiting)}
        entries = [
            InboxEntry(
                kind="approval",
                key=w.key,
                title=w.title,
                since=w.waiting_since,
                who=w.ran_by,
                row=rows.get(w.key),
            )
            for w in queries.waiting_approvals()
        ]
        entries += [
            InboxEntry(
                kind="question",
                key=q.task_key,
                title=q.task_title,
                since=q.asked_at,
                who=q.asked_by,
                text=q.text,
                question_id=q.id,
            )
            for q in self.open_questions()
        ]
        return sorted(entries, key=lambda e: (e.since, e.key, e.question_id or 0))

    def wait(
        self,
        question_id: int,
        timeout: float | None,
        poll_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> QuestionView:
        """Poll until the question is answered (or `timeout` seconds pass); the
        question as it last stood, answered or not."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            question = self.get(question_id)
            if not question.is_open:
                return question
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return question
                sleep(min(poll_seconds, left))
            else:
                sleep(poll_seconds)

    @staticmethod
    def _one(conn: Connection, question_id: int) -> QuestionView:
        row = conn.execute(
            select(*_VIEW_COLUMNS).select_from(_FROM).where(Q.id == question_id)
        ).first()
        if row is None:
            raise NotFound(f"no question {question_id}")
        return _view(row)


def waits_for_answers(conn: Connection, task_id: int) -> bool:
    """Whether the move that put the task in its status was a run ending with
    questions open. An undo puts back the status the move it reverts left, so
    the move before that one is the one that counts."""
    below: int | None = None
    while True:
        stmt = select(E.id, E.kind, E.data).where(E.task_id == task_id, E.kind.in_(_MOVES))
        if below is not None:
            stmt = stmt.where(E.id < below)
        last = conn.execute(stmt.order_by(E.id.desc()).limit(1)).first()
        if last is None:
            return False
        data = last.data
        reverts = data.get("reverts") if isinstance(data, dict) else None
        if last.kind != EventKind.STATUS_REVERTED.value or not isinstance(reverts, int):
            break
        if reverts >= last.id:
            return False
        below = reverts
    return (
        isinstance(data, dict)
        and data.get("to") == WAITING_FOR_ANSWERS.value
        and bool(data.get("questions"))
    )


def open_questions_since(conn: Connection, task_id: int, since: datetime) -> list[int]:
    """Ids of the task's unanswered questions asked at or after `since`, oldest first."""
    return list(
        conn.execute(
            select(Q.id)
            .where(Q.task_id == task_id, question_open(), Q.asked_at >= since)
            .order_by(Q.asked_at, Q.id)
        ).scalars()
    )


def _last_answer(conn: Connection, task_id: int) -> str:
    """Who answered the task's latest answered question (someone may just have
    answered it first), or that its questions closed with its work, or nothing
    when it was never asked one."""
    last = conn.execute(
        select(Q.id, Q.answered_by)
        .where(Q.task_id == task_id, Q.answered_at.is_not(None))
        .order_by(Q.answered_at.desc(), Q.id.desc())
        .limit(1)
    ).first()
    closed = conn.execute(
        select(Q.id).where(Q.task_id == task_id, Q.closed_at.is_not(None)).order_by(Q.id.desc())
    ).first()
    if closed is not None and (last is None or closed.id > last.id):
        return f" (question {closed.id} was closed unanswered when its work ended)"
    return "" if last is None else f" (question {last.id} was answered by {last.answered_by})"


def answered_after_last_run(conn: Connection, task_id: int) -> list[QuestionView]:
    """Questions asked during the task's latest finished run and answered after it
    ended: answers its agent has not seen yet, oldest first."""
    last = conn.execute(
        select(R.started_at, R.ended_at)
        .where(
            R.task_id == task_id,
            ~run_open(R),
            R.started_at.is_not(None),
            R.ended_at.is_not(None),
        )
        .order_by(R.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return []
    rows = conn.execute(
        select(*_VIEW_COLUMNS)
        .select_from(_FROM)
        .where(Q.task_id == task_id, Q.asked_at >= last.started_at, Q.answered_at >= last.ended_at)
        .order_by(Q.asked_at, Q.id)
    ).all()
    return [_view(r) for r in rows]

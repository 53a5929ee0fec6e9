"""Human approval gates: approve, reject with a required comment, or request
changes (back to ready, the comment carried to the next attempt).

A decision is a compare-and-set from `awaiting_approval`, so when two people
decide on the same task at once exactly one decision (and one audit row)
lands; the other gets `Conflict` naming who decided.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..domain.enums import ApprovalDecision, EventKind, TaskStatus
from ..domain.errors import Conflict, PermissionDenied, ValidationFailed
from ..domain.models import TaskDetail
from ..domain.rules import DECIDABLE, decision_refusal
from ..domain.text import printable
from ..domain.transitions import DECISION_TARGET, Intent, Via, plan_move, records_start
from ..domain.workspace import OnApprove
from ..store.tables import Approval, Event, Run, Task
from .base import ServiceContext, find_task
from .moves import EventBatch, apply_moves, current_of, record_moves
from .views import task_detail
from .workspaces import merge_on_approve

S = TaskStatus


class ApprovalService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def approve(self, key: str, comment: str = "") -> TaskDetail:
        return self._decide(key, ApprovalDecision.APPROVED, comment)

    def reject(self, key: str, comment: str) -> TaskDetail:
        """Fail the task, saying why."""
        return self._decide(key, ApprovalDecision.REJECTED, _required(comment, "a rejection"))

    def request_changes(self, key: str, comment: str) -> TaskDetail:
        """Send the task back to ready with the reviewer's comment for its next attempt."""
        return self._decide(
            key, ApprovalDecision.CHANGES_REQUESTED, _required(comment, "a change request")
        )

    def _decide(self, key: str, decision: ApprovalDecision, comment: str) -> TaskDetail:
        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            if S(row.status) not in DECIDABLE:
                self._refuse_if_decided(conn, row.id, key, S(row.status))
            run_id, runner = self._last_run(conn, row.id)
            intent = Intent(
                DECISION_TARGET[decision],
                via=Via.DECISION,
                decision=decision,
                reason=comment or None,
                run_id=run_id,
            )
            move = plan_move(current_of(conn, row, with_blockers=False), intent, self.ctx.now())
            if decision is ApprovalDecision.APPROVED:
                refusal = self._own_work_refusal(conn, row.id, key, runner)
                if refusal:
                    raise PermissionDenied(refusal)
            if decision is ApprovalDecision.APPROVED:
                merge_on_approve(conn, self.ctx, row)  # MergeFailed: nothing is written
            try:
                won = apply_moves(conn, [move])
            except Conflict:
                # Decided by someone else between our read and our compare-and-set
                # (PostgreSQL reads without locking): name them, as above.
                T = Task.__table__.c
                status = conn.execute(select(T.status).where(T.id == row.id))
                self._refuse_if_decided(conn, row.id, key, S(status.scalar_one()))
                raise
            conn.execute(
                Approval.__table__.insert().values(
                    task_id=row.id,
                    run_id=run_id,
                    decision=decision.value,
                    actor=self.ctx.actor,
                    comment=comment,
                    decided_at=self.ctx.now(),
                )
            )
            events = EventBatch(self.ctx, self.ctx.now())
            record_moves(conn, events, won)
            events.write(conn)
            return task_detail(conn, find_task(conn, key))

    def branch_outcome(self, task: TaskDetail) -> str | None:
        """What approving `task` did with its worktree branch, in one printable line:
        merged or pushed (as its `merged` event says), or nothing (`on_approve: none`,
        the default). None for a task without a workspace. The CLI and the TUI both
        say this after an approval."""
        workspace = task.command.workspace if task.command else None
        if workspace is None:
            return None
        if workspace.on_approve is OnApprove.NONE:
            branch = printable(workspace.branch_for(task.key))
            return f"nothing merged: on_approve is none, so branch {branch} stays for a person"
        E = Event.__table__.c
        with self.ctx.db.read() as conn:
            data = conn.execute(
                select(E.data)
                .where(E.task_id == find_task(conn, task.key).id, E.kind == EventKind.MERGED.value)
                .order_by(E.id.desc())
                .limit(1)
            ).scalar()
        return printable(str(data.get("message", ""))) if data else None

    def approval_refusal(self, key: str) -> str | None:
        """Why the acting person cannot approve `key` now (not awaiting approval, or
        their own work), in the words `approve` refuses with; None when they can."""
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            refusal = decision_refusal(key, S(row.status))
            if refusal:
                return refusal
            _, runner = self._last_run(conn, row.id)
            return self._own_work_refusal(conn, row.id, key, runner)

    def _own_work_refusal(
        self, conn: Connection, task_id: int, key: str, runner: str | None
    ) -> str | None:
        """Nobody approves their own work: the one rule `approve` and the keys use."""
        if self.ctx.actor in self._workers(conn, task_id, runner):
            return f"{self.ctx.actor} worked on {key} and cannot approve it; ask someone else"
        return None

    @staticmethod
    def _last_run(conn: Connection, task_id: int) -> tuple[int | None, str | None]:
        R = Run.__table__.c
        row = conn.execute(
            select(R.id, R.agent).where(R.task_id == task_id).order_by(R.id.desc()).limit(1)
        ).first()
        return (row.id, row.agent) if row else (None, None)

    @staticmethod
    def _workers(conn: Connection, task_id: int, runner: str | None) -> set[str]:
        """Who did the work under review: the last run's agent, whoever last
        started the task, and whoever submitted it for approval (a task created
        awaiting approval was submitted by no one)."""
        E = Event.__table__.c
        rows = conn.execute(
            select(E.actor, E.kind, E.data)
            .where(
                E.task_id == task_id,
                E.kind.in_(
                    (
                        EventKind.STATUS_CHANGED.value,
                        EventKind.FORCED_START.value,
                        EventKind.APPROVAL_REQUESTED.value,
                    )
                ),
            )
            .order_by(E.id.desc())
            .limit(50)
        ).all()
        people = {runner} if runner else set()
        starter = next((r.actor for r in rows if records_start(r.kind, r.data)), None)
        submitter = next(
            (r.actor for r in rows if r.kind == EventKind.APPROVAL_REQUESTED.value), None
        )
        people.update(p for p in (starter, submitter) if p)
        return people

    @classmethod
    def _refuse_if_decided(cls, conn: Connection, task_id: int, key: str, status: S) -> None:
        """Raise `Conflict` naming who decided when the task's `status` is what its
        last decision made it: the loser of two decisions is told who won."""
        last = cls._last_decision(conn, task_id)
        if last is not None and DECISION_TARGET[ApprovalDecision(last[0])] is status:
            raise Conflict(f"{key} was already {last[0]} by {last[1]}; nothing was written")

    @staticmethod
    def _last_decision(conn: Connection, task_id: int) -> tuple[str, str] | None:
        A = Approval.__table__.c
        row = conn.execute(
            select(A.decision, A.actor).where(A.task_id == task_id).order_by(A.id.desc()).limit(1)
        ).first()
        return (row.decision, row.actor) if row else None


def _required(comment: str, what: str) -> str:
    if not comment or not comment.strip():
        raise ValidationFailed(f"{what} needs a comment saying why")
    return comment.strip()

"""Human approval gates: approve, or reject with a required comment.

A decision is a compare-and-set from `awaiting_approval`, so when two people
decide on the same task at once exactly one decision (and one audit row)
lands; the other gets `Conflict` naming who decided.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..domain.enums import ApprovalDecision, EventKind, TaskStatus
from ..domain.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from ..domain.models import TaskDetail
from ..store.tables import Approval, Event, Run
from .base import ServiceContext, find_task, record_event, record_unblocked
from .tasks import TaskService
from .views import task_detail
from .workspaces import merge_on_approve

S = TaskStatus


class ApprovalService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._tasks = TaskService(ctx)

    def approve(self, key: str, comment: str = "") -> TaskDetail:
        return self._decide(key, ApprovalDecision.APPROVED, comment)

    def reject(self, key: str, comment: str) -> TaskDetail:
        if not comment or not comment.strip():
            raise ValidationFailed("a rejection needs a comment saying why")
        return self._decide(key, ApprovalDecision.REJECTED, comment.strip())

    def _decide(self, key: str, decision: ApprovalDecision, comment: str) -> TaskDetail:
        approved = decision is ApprovalDecision.APPROVED
        target = S.DONE if approved else S.FAILED
        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            if S(row.status) is not S.AWAITING_APPROVAL:
                last = self._last_decision(conn, row.id)
                if last is not None and S(row.status) in (S.DONE, S.FAILED):
                    raise Conflict(f"{key} was already {last[0]} by {last[1]}; nothing was written")
                raise InvalidTransition(f"{key} is {row.status}, not awaiting approval")
            run_id, runner = self._last_run(conn, row.id)
            if approved and self.ctx.actor in self._workers(conn, row.id, runner):
                raise PermissionDenied(
                    f"{self.ctx.actor} worked on {key} and cannot approve it; ask someone else"
                )
            if approved:
                merge_on_approve(conn, self.ctx, row)  # MergeFailed: nothing is written
            self._tasks.compare_and_set(conn, row.id, key, S.AWAITING_APPROVAL, target)
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
            kind = EventKind.APPROVED if approved else EventKind.REJECTED
            data = {"from": S.AWAITING_APPROVAL.value, "to": target.value}
            if comment:
                data["comment"] = comment
            record_event(conn, self.ctx, kind, row.id, data, run_id=run_id)
            if approved:
                record_unblocked(conn, self.ctx, row.id, key)
            return task_detail(conn, find_task(conn, key))

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
        started the task, and whoever submitted it for approval."""
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
        starter = next((r.actor for r in rows if r.data.get("to") == S.IN_PROGRESS.value), None)
        submitter = next(
            (r.actor for r in rows if r.kind == EventKind.APPROVAL_REQUESTED.value), None
        )
        people.update(p for p in (starter, submitter) if p)
        return people

    @staticmethod
    def _last_decision(conn: Connection, task_id: int) -> tuple[str, str] | None:
        A = Approval.__table__.c
        row = conn.execute(
            select(A.decision, A.actor).where(A.task_id == task_id).order_by(A.id.desc()).limit(1)
        ).first()
        return (row.decision, row.actor) if row else None

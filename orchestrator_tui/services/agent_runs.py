"""Runs of coding agents: what a prompt is built from, what a run spent, and
the budgets of tasks and plans.

The runner asks `prepare` for a task's prompt context (task text, upstream
work, the reviewer's last request for changes or rejection, answers to questions the agent
ended its last run on, the session to resume) and
the spend so far against its budgets; stores the rendered prompt with
`record_start`; and stores tokens, cost, session and summary with
`record_usage` before it closes the run. A plan whose spend crosses its budget
is marked exhausted and claims no new tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from ..agents.budget import Limit, Spent, exceeded
from ..agents.parsers import Usage
from ..agents.prompt import Answer, PromptContext, Upstream
from ..domain.agent import Budget, Spend, SpendRow
from ..domain.enums import ApprovalDecision, EventKind, RunStatus
from ..domain.money import usd
from ..domain.plan import PlanSpec
from ..store.tables import Approval, PlanBudget, Run, Task, TaskContext, TaskDependency, utcnow
from .base import D, ServiceContext, T, record_event
from .questions import answered_after_last_run

R = Run.__table__.c
A = Approval.__table__.c
PB = PlanBudget.__table__.c
_OTHER = Run.__table__.alias("upstream_run")
_UP = Task.__table__.alias("up")


#: The decisions whose comment the task's next attempt is given: the work goes on
#: from them (requested changes) or is tried again once the task is reset (a rejection).
_REVIEWS = (ApprovalDecision.CHANGES_REQUESTED.value, ApprovalDecision.REJECTED.value)


def latest_review(conn: Connection, task_id: int) -> tuple[str, str] | None:
    """The task's latest decision and its comment, when that decision asked for
    changes or rejected the work (an approval after it ends what it said)."""
    row = conn.execute(
        select(A.decision, A.comment).where(A.task_id == task_id).order_by(A.id.desc()).limit(1)
    ).first()
    if row is None or row.decision not in _REVIEWS or not row.comment:
        return None
    return row.decision, row.comment


def change_rounds(conn: Connection, task_id: int) -> int:
    """How many times the task was sent back with requested changes."""
    return conn.execute(
        select(func.count()).where(
            A.task_id == task_id, A.decision == ApprovalDecision.CHANGES_REQUESTED.value
        )
    ).scalar_one()


@dataclass(frozen=True)
class AgentStart:
    """What a runner needs to start an agent on a claimed task."""

    context: PromptContext
    #: The previous run's session, to resume when changes were requested or
    #: questions it ended on were answered.
    resume_session: str | None
    limits: list[Limit] = field(default_factory=list)


@dataclass(frozen=True)
class RunUsage:
    """What one agent run reported about itself, for its run and its plan."""

    run_id: int
    task_id: int
    usage: Usage = field(default_factory=Usage)
    plan: str | None = None
    summary: str | None = None
    seconds: float = 0.0


def _sums() -> tuple[Any, ...]:
    return (
        func.count(R.id).label("runs"),
        func.coalesce(func.sum(R.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(R.output_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(R.cached_tokens), 0).label("cached_tokens"),
        func.coalesce(func.sum(R.cost_usd), 0.0).label("cost_usd"),
        func.count(R.cost_usd).label("costed_runs"),
    )


def _row(name: str, r: Any) -> SpendRow:
    return SpendRow(
        name=name,
        runs=int(r.runs),
        input_tokens=int(r.input_tokens),
        output_tokens=int(r.output_tokens),
        cached_tokens=int(r.cached_tokens),
        cost_usd=round(float(r.cost_usd), 6),
        costed_runs=int(r.costed_runs),
    )


def _per_day(rows: Sequence[Any]) -> list[SpendRow]:
    days: dict[str, list[Any]] = {}
    for r in rows:
        days.setdefault(f"{r.started_at:%Y-%m-%d}", []).append(r)
    return [SpendRow.of_runs(day, runs) for day, runs in sorted(days.items())]


def task_spent(conn: Connection, task_id: int) -> Spent:
    r = conn.execute(
        select(*_sums(), func.min(R.started_at).label("first")).where(
            R.task_id == task_id, R.profile.is_not(None)
        )
    ).one()
    seconds = conn.execute(
        select(R.started_at, R.ended_at).where(
            R.task_id == task_id, R.profile.is_not(None), R.ended_at.is_not(None)
        )
    ).all()
    wall = sum((e - s).total_seconds() for s, e in seconds if s and e)
    return Spent(float(r.cost_usd), int(r.input_tokens) + int(r.output_tokens), wall)


class AgentRunService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def prepare(self, task_id: int, attempt: int, budget: Budget | None) -> AgentStart:
        with self.ctx.db.read() as conn:
            task = conn.execute(select(Task.__table__).where(T.id == task_id)).one()
            context_yaml = conn.execute(
                select(TaskContext.__table__.c.yaml_text).where(
                    TaskContext.__table__.c.task_id == task_id
                )
            ).scalar()
            review = latest_review(conn, task_id)
            decision, comment = review if review else (None, None)
            answers = [
                Answer(q.text, q.answer or "", q.answered_by or "")
                for q in answered_after_last_run(conn, task_id)
            ]
            ctx = PromptContext(
                key=task.key,
                title=task.title,
                description=task.description or "",
                success_criteria=list(task.success_criteria or []),
                context=(context_yaml or "").strip(),
                upstream=self._upstream(conn, task_id),
                attempt=attempt,
                review_comment=comment,
                review_decision=decision,
                change_rounds=change_rounds(conn, task_id),
                answers=answers,
            )
            resume = self._last_session(conn, task_id) if comment or answers else None
            limits = []
            if budget is not None and not budget.empty:
                limits.append(Limit("task", budget, task_spent(conn, task_id)))
            if task.plan:
                plan = conn.execute(
                    select(PlanBudget.__table__).where(PB.plan == task.plan)
                ).first()
                if plan is not None:
                    limits.append(
                        Limit(
                            f"plan {task.plan}",
                            Budget(usd=plan.usd, tokens=plan.tokens, seconds=plan.seconds),
                            Spent(plan.spent_usd, plan.spent_tokens, plan.spent_seconds),
                        )
                    )
        return AgentStart(ctx, resume, limits)

    @staticmethod
    def _upstream(conn: Connection, task_id: int) -> list[Upstream]:
        up = _UP
        rows = conn.execute(
            select(up.c.id, up.c.key, up.c.title, up.c.status, up.c.completion_summary)
            .select_from(TaskDependency.__table__.join(up, up.c.id == D.depends_on_id))
            .where(D.task_id == task_id)
            .order_by(up.c.id)
        ).all()
        out = []
        for r in rows:
            last = conn.execute(
                select(_OTHER.c.summary, _OTHER.c.outputs)
                .where(_OTHER.c.task_id == r.id, _OTHER.c.status == RunStatus.SUCCEEDED.value)
                .order_by(_OTHER.c.id.desc())
                .limit(1)
            ).first()
            summary = (last.summary if last else None) or r.completion_summary or ""
            outputs = {str(k): str(v) for k, v in ((last.outputs if last else None) or {}).items()}
            out.append(Upstream(r.key, r.title, r.status, summary, outputs))
        return out

    @staticmethod
    def _last_session(conn: Connection, task_id: int) -> str | None:
        return conn.execute(
            select(R.session_id)
            .where(R.task_id == task_id, R.session_id.is_not(None))
            .order_by(R.id.desc())
            .limit(1)
        ).scalar()

    def record_start(self, run_id: int, profile: str, prompt: str, argv: list[str]) -> None:
        """The run's profile, prompt and argument list (prompt shown as {prompt})."""
        with self.ctx.db.write() as conn:
            conn.execute(
                update(Run.__table__)
                .where(R.id == run_id)
                .values(profile=profile, prompt=prompt, command=argv)
            )

    def record_usage(self, usages: Sequence[RunUsage]) -> None:
        """Store what runs spent, add it to their plans' spend, mark plans whose
        budget is now exceeded; one event per run, all in one transaction."""
        if not usages:
            return
        with self.ctx.db.write() as conn:
            for u in usages:
                spent = u.usage
                conn.execute(
                    update(Run.__table__)
                    .where(R.id == u.run_id)
                    .values(**asdict(spent.usage()), summary=u.summary)  # its fields only
                )
                cost = f", {usd(spent.cost_usd)}" if spent.cost_usd is not None else ""
                record_event(
                    conn,
                    self.ctx,
                    EventKind.AGENT_USAGE,
                    u.task_id,
                    {
                        "message": f"{spent.input_tokens} tokens in, {spent.output_tokens} out"
                        + cost
                        + (f" ({spent.model})" if spent.model else ""),
                        "session_id": spent.session_id,
                        "tokens": spent.tokens,
                        "cost_usd": spent.cost_usd,
                    },
                    run_id=u.run_id,
                )
                if u.plan:
                    self._add_to_plan(conn, u)

    def _add_to_plan(self, conn: Connection, u: RunUsage) -> None:
        conn.execute(
            update(PlanBudget.__table__)
            .where(PB.plan == u.plan)
            .values(
                spent_usd=PB.spent_usd + (u.usage.cost_usd or 0.0),
                spent_tokens=PB.spent_tokens + u.usage.tokens,
                spent_seconds=PB.spent_seconds + u.seconds,
                updated_at=self.ctx.now(),
            )
        )
        plan = conn.execute(select(PlanBudget.__table__).where(PB.plan == u.plan)).first()
        if plan is None or plan.exhausted:
            return
        limit = Limit(
            f"plan {u.plan}", Budget(usd=plan.usd, tokens=plan.tokens, seconds=plan.seconds)
        )
        why = exceeded(limit, Spent(plan.spent_usd, plan.spent_tokens, plan.spent_seconds), at=True)
        if why:
            conn.execute(
                update(PlanBudget.__table__).where(PB.plan == u.plan).values(exhausted=why)
            )
            record_event(conn, self.ctx, EventKind.AGENT_USAGE, u.task_id, {"message": why})

    # -- reading ------------------------------------------------------------------

    def spend(self, days: int = 14) -> Spend:
        agent_runs = R.profile.is_not(None)
        since = self.ctx.now() - timedelta(days=days)
        with self.ctx.db.read() as conn:
            total = conn.execute(select(*_sums()).where(agent_runs)).one()
            by_profile = conn.execute(
                select(R.profile, *_sums())
                .where(agent_runs)
                .group_by(R.profile)
                .order_by(R.profile)
            ).all()
            by_agent = conn.execute(
                select(R.agent, *_sums()).where(agent_runs).group_by(R.agent).order_by(R.agent)
            ).all()
            recent = conn.execute(
                select(
                    R.started_at,
                    R.profile,
                    R.input_tokens,
                    R.output_tokens,
                    R.cached_tokens,
                    R.cost_usd,
                ).where(agent_runs, R.started_at >= since)
            ).all()
            exhausted: dict[str, str] = dict(
                conn.execute(select(PB.plan, PB.exhausted).where(PB.exhausted.is_not(None))).all()
            )
        return Spend(
            total=_row("total", total),
            by_profile=[_row(r.profile, r) for r in by_profile],
            by_agent=[_row(r.agent or "-", r) for r in by_agent],
            by_day=_per_day(recent),
            exhausted_plans=exhausted,
        )

    def task_spend(self, task_id: int) -> SpendRow:
        with self.ctx.db.read() as conn:
            r = conn.execute(
                select(*_sums()).where(R.task_id == task_id, R.profile.is_not(None))
            ).one()
        return _row("task", r)

    def exhausted_plans(self) -> dict[str, str]:
        with self.ctx.db.read() as conn:
            return dict(
                conn.execute(select(PB.plan, PB.exhausted).where(PB.exhausted.is_not(None))).all()
            )


def write_plan_budget(
    conn: Connection, plan: str, budget: Budget | None, now: datetime | None = None
) -> None:
    """Set (or clear) a plan's budget, keeping what it has spent; re-judge exhaustion."""
    now = now or utcnow()
    row = conn.execute(select(PlanBudget.__table__).where(PB.plan == plan)).first()
    if budget is None or budget.empty:
        if row is not None:
            conn.execute(PlanBudget.__table__.delete().where(PB.plan == plan))
        return
    values: dict[str, Any] = {
        "usd": budget.usd,
        "tokens": budget.tokens,
        "seconds": budget.seconds,
        "updated_at": now,
    }
    spent = Spent(row.spent_usd, row.spent_tokens, row.spent_seconds) if row else Spent()
    values["exhausted"] = exceeded(Limit(f"plan {plan}", budget), spent, at=True)
    if row is None:
        conn.execute(PlanBudget.__table__.insert().values(plan=plan, **values))
    else:
        conn.execute(update(PlanBudget.__table__).where(PB.plan == plan).values(**values))


def mark_plan_budget(conn: Connection, plan: PlanSpec, task_ids: list[int], now: datetime) -> None:
    """A plan with a budget: store it and mark its tasks (a plan without one: clear it)."""
    budget = plan.budget if plan.budget is not None and not plan.budget.empty else None
    exists_ = conn.execute(select(PB.plan).where(PB.plan == plan.name)).first()
    if budget is None and exists_ is None:
        return
    write_plan_budget(conn, plan.name, budget, now)
    for start in range(0, len(task_ids), 5000):
        conn.execute(
            update(Task.__table__)
            .where(T.id.in_(task_ids[start : start + 5000]))
            .values(plan=plan.name if budget else None)
        )

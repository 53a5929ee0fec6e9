"""Dashboard statistics: where the whole plan stands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ..domain.enums import Readiness, TaskStatus
from ..domain.models import DashboardStats
from ..domain.rules import readiness_statuses
from ..store.tables import Task
from .agent_runs import AgentRunService
from .agents import AgentService
from .base import ServiceContext, T
from .queries import UNESTIMATED_HOURS, QueryService, TaskFilter

S = TaskStatus
HOURS_OF_HISTORY = 24


class DashboardService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.queries = QueryService(ctx)

    def stats(self, critical: tuple[list[str], float] | None = None) -> DashboardStats:
        """Everything the dashboard shows. Pass `critical` (a critical path and its
        hours computed earlier) to skip recomputing it on a large plan."""
        now = self.ctx.now()
        since = now - timedelta(hours=HOURS_OF_HISTORY)
        with self.ctx.db.read() as conn:
            by_status = {s: 0 for s in S}
            hours_total = hours_done = 0.0
            for status, count, hours in conn.execute(
                select(
                    T.status,
                    func.count(),
                    func.sum(func.coalesce(T.estimated_hours, UNESTIMATED_HOURS)),
                ).group_by(T.status)
            ):
                by_status[S(status)] = count
                if status != S.CANCELLED.value:
                    hours_total += hours
                if status == S.DONE.value:
                    hours_done += hours
            by_phase: dict[int, dict[TaskStatus, int]] = {}
            for phase, status, count in conn.execute(
                select(T.phase, T.status, func.count()).group_by(T.phase, T.status)
            ):
                by_phase.setdefault(phase, {})[S(status)] = count
            by_component = {
                area: count
                for area, count in conn.execute(
                    select(T.component_area, func.count())
                    .group_by(T.component_area)
                    .order_by(func.count().desc())
                )
            }
            by_assignee: dict[str, dict[TaskStatus, int]] = {}
            for who, status, count in conn.execute(
                select(T.assignee, T.status, func.count())
                .where(T.assignee.is_not(None))
                .group_by(T.assignee, T.status)
            ):
                by_assignee.setdefault(who, {})[S(status)] = count
            completed = conn.execute(
                select(T.completed_at).where(T.status == S.DONE.value, T.completed_at >= since)
            ).scalars()
            buckets = [0] * HOURS_OF_HISTORY
            for when in completed:
                index = int((when - since).total_seconds() // 3600)
                if 0 <= index < HOURS_OF_HISTORY:
                    buckets[index] += 1
            total = conn.execute(select(func.count()).select_from(Task.__table__)).scalar_one()
        ready = self.queries.count_tasks(TaskFilter(readiness=frozenset({Readiness.READY})))
        path, path_hours = critical if critical is not None else self.queries.critical_path()
        return DashboardStats(
            total=total,
            by_status=by_status,
            ready=ready,
            # Ready and waiting split the statuses whose readiness depends on blockers.
            waiting=sum(by_status[s] for s in readiness_statuses(Readiness.WAITING)[0]) - ready,
            awaiting_approval=by_status[S.AWAITING_APPROVAL],
            estimated_hours_total=hours_total,
            estimated_hours_done=hours_done,
            progress_percent=round(100 * hours_done / hours_total, 1) if hours_total else 0.0,
            by_phase=by_phase,
            by_component=by_component,
            by_assignee=by_assignee,
            critical_path=path,
            critical_path_hours=path_hours,
            completions_per_hour=buckets,
            **self._activity(),
        )

    def activity(self, stats: DashboardStats) -> DashboardStats:
        """`stats` with what moves while no task changes read again: the agents,
        the recent events and the agents' spend (the counts are kept)."""
        return stats.model_copy(update=self._activity())

    def _activity(self) -> dict[str, Any]:
        return {
            "agents": AgentService(self.ctx).list(),
            "recent_events": self.queries.recent_events(15),
            "agent_spend": AgentRunService(self.ctx).spend(),
        }

"""The plain data of runs: what a claim gives a runner, what it reports back,
what became of the task afterwards, and which tasks a runner may claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, not_, or_, select

from ..domain.enums import AgentType, DependencyType, RunStatus, TaskStatus
from ..domain.models import CommandSpec
from ..store.tables import PlanBudget, Task, TaskDependency
from .base import D, T

S = TaskStatus

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


def has_command() -> Any:
    # JSON None is stored as the JSON text 'null' by SQLAlchemy, not as SQL NULL.
    return and_(T.command.is_not(None), cast(T.command, String) != "null")


def _serves(agent_types: Sequence[str] | None) -> Any:
    if agent_types is None:
        return True
    return or_(T.agent_type.is_(None), T.agent_type.in_(list(agent_types)))


_BLOCKER = Task.__table__.alias("claim_blocker")
PB = PlanBudget.__table__.c


def all_blockers_done(task_id: Any) -> Any:
    """No blocking dependency of the task is unfinished (stops at the first that is)."""
    return not_(
        exists(
            select(1)
            .select_from(TaskDependency.__table__.join(_BLOCKER, _BLOCKER.c.id == D.depends_on_id))
            .where(
                D.task_id == task_id,
                D.dep_type == DependencyType.BLOCKS.value,
                _BLOCKER.c.status != S.DONE.value,
            )
        )
    )


def within_plan_budget() -> Any:
    """The task's plan (if it has a budget) has not spent it."""
    spent = select(1).where(PB.plan == T.plan, PB.exhausted.is_not(None))
    return or_(T.plan.is_(None), not_(exists(spent)))


def claimable(now: datetime, agent_types: Sequence[str] | None) -> Any:
    """Ready tasks with a command, past any retry delay, of a type this runner serves,
    whose plan's budget is not spent."""
    return and_(
        T.status == S.PENDING.value,
        has_command(),
        within_plan_budget(),
        or_(T.retry_after.is_(None), T.retry_after <= now),
        _serves(agent_types),
        all_blockers_done(T.id),
    )

"""Services: the only writers. The CLI, the TUI and the runner all come through
an `Orchestrator`, which bundles every service over one database, one actor
and one clock."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib import import_module
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..store.engine import Database
from ..store.feed import ChangeListener, CommitCounter
from ..store.schema import ensure_schema, refuse_writes_after_reset
from ..store.stoppable import StopReads
from ..store.tables import utcnow
from .base import Clock, ServiceContext

if TYPE_CHECKING:
    from .agent_runs import AgentRunService
    from .agents import AgentService
    from .approvals import ApprovalService
    from .collaboration import CollaborationService
    from .dashboard import DashboardService
    from .dependencies import DependencyService
    from .plans import PlanService
    from .queries import QueryService, TaskFilter
    from .questions import QuestionService
    from .reports import ReportService
    from .run_processes import RunProcessService
    from .runs import RunService
    from .tasks import TaskService
    from .undo import UndoService
    from .workspaces import WorkspaceService

__all__ = ["Orchestrator", "StopReads", "TaskFilter", "open_orchestrator"]


def __getattr__(name: str) -> Any:
    """`TaskFilter`, imported when first asked for: the queries load the pydantic
    views, which a status change from the command line never needs."""
    if name == "TaskFilter":
        from .queries import TaskFilter

        return TaskFilter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Made = TypeVar("Made")


class _Service(Generic[Made]):
    """An `Orchestrator`'s service, made (and its module imported) when first used,
    then kept on the instance: `tasks: _Service[TaskService] = _Service("tasks",
    "TaskService")`."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    @overload
    def __get__(self, orch: None, owner: type) -> _Service[Made]: ...
    @overload
    def __get__(self, orch: Orchestrator, owner: type) -> Made: ...
    def __get__(self, orch: Orchestrator | None, owner: type) -> Made | _Service[Made]:
        if orch is None:
            return self
        module = import_module(f"{__name__}.{self.module}")
        made: Made = getattr(module, self.name)(orch.ctx)
        orch.__dict__[self.attribute] = made  # later reads find it before the descriptor
        return made


class Orchestrator:
    """Every service over one database, acting as one actor. Each service is made
    (and its module imported) when first used: a command that changes one task's
    status does not import the plan loader, the agents' runs, the workspaces or
    (with the queries) the pydantic views."""

    def __init__(self, db: Database, actor: str, clock: Clock = utcnow) -> None:
        self.db = db
        self.ctx = ServiceContext(db=db, actor=actor, clock=clock)

    tasks: _Service[TaskService] = _Service("tasks", "TaskService")
    deps: _Service[DependencyService] = _Service("dependencies", "DependencyService")
    approvals: _Service[ApprovalService] = _Service("approvals", "ApprovalService")
    collab: _Service[CollaborationService] = _Service("collaboration", "CollaborationService")
    agents: _Service[AgentService] = _Service("agents", "AgentService")
    queries: _Service[QueryService] = _Service("queries", "QueryService")
    dashboard: _Service[DashboardService] = _Service("dashboard", "DashboardService")
    plans: _Service[PlanService] = _Service("plans", "PlanService")
    reports: _Service[ReportService] = _Service("reports", "ReportService")
    runs: _Service[RunService] = _Service("runs", "RunService")
    workspaces: _Service[WorkspaceService] = _Service("workspaces", "WorkspaceService")
    questions: _Service[QuestionService] = _Service("questions", "QuestionService")
    processes: _Service[RunProcessService] = _Service("run_processes", "RunProcessService")
    agent_runs: _Service[AgentRunService] = _Service("agent_runs", "AgentRunService")
    undo: _Service[UndoService] = _Service("undo", "UndoService")

    @property
    def actor(self) -> str:
        return self.ctx.actor

    def as_actor(self, actor: str) -> Orchestrator:
        """The same database and clock, acting as someone else."""
        return Orchestrator(self.db, actor, self.ctx.clock)

    def listen(self, on_change: Callable[[], None]) -> ChangeListener | None:
        """Call `on_change` (on another thread) soon after anyone commits events:
        PostgreSQL pushes them (LISTEN/NOTIFY). None on SQLite, where readers poll."""
        if self.db.engine.dialect.name != "postgresql":
            return None
        return ChangeListener(self.db.url, on_change).start()

    def commit_counter(self) -> CommitCounter | None:
        """A cheap look at whether anyone committed since the last (a SQLite file; see
        `CommitCounter`); None for a database server, which pushes changes (`listen`).
        The caller closes it."""
        if not self.db.is_sqlite or self.db.path is None:
            return None
        return CommitCounter(self.db)

    def stoppable_reads(self, stop: StopReads) -> AbstractContextManager[None]:
        """This thread's reads inside are stopped by `stop.stop()`, called from any
        thread: they raise `ReadStopped` (see `store.stoppable`)."""
        return self.db.stoppable(stop)

    def refuse_writes_after_reset(self) -> None:
        """From now on each write first checks that the database was not reset since
        (`db reset`, `db copy --replace`): `DatabaseReset`, nothing written, if it
        was. For a runner, whose runs would vanish under it."""
        refuse_writes_after_reset(self.db)

    def close(self) -> None:
        self.db.dispose()


def open_orchestrator(
    url: str,
    actor: str,
    clock: Clock = utcnow,
    busy_timeout_ms: int | None = None,
    cache_kib: int | None = None,
) -> Orchestrator:
    """Open (creating or migrating as needed) the database at `url`. Writers wait
    `busy_timeout_ms` for each other (default: $ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS or 8 s);
    `cache_kib`: each SQLite connection's page cache (default: SQLite's)."""
    db = Database(url, busy_timeout_ms, cache_kib)
    try:
        ensure_schema(db)
    except Exception:
        db.dispose()
        raise
    db.remember_file()
    return Orchestrator(db, actor, clock)

"""Services: the only writers. The CLI, the TUI and the runner all come through
an `Orchestrator`, which bundles every service over one database, one actor
and one clock."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..store.engine import Database
from ..store.feed import ChangeListener
from ..store.schema import ensure_schema
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

__all__ = ["Orchestrator", "TaskFilter", "open_orchestrator"]


def __getattr__(name: str) -> Any:
    """`TaskFilter`, imported when first asked for: the queries load the pydantic
    views, which a status change from the command line never needs."""
    if name == "TaskFilter":
        from .queries import TaskFilter

        return TaskFilter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Orchestrator:
    """Every service over one database, acting as one actor. Each service is made
    (and its module imported) when first used: a command that changes one task's
    status does not import the plan loader, the agents' runs, the workspaces or
    (with the queries) the pydantic views."""

    def __init__(self, db: Database, actor: str, clock: Clock = utcnow) -> None:
        self.db = db
        self.ctx = ServiceContext(db=db, actor=actor, clock=clock)

    @cached_property
    def tasks(self) -> TaskService:
        from .tasks import TaskService

        return TaskService(self.ctx)

    @cached_property
    def deps(self) -> DependencyService:
        from .dependencies import DependencyService

        return DependencyService(self.ctx)

    @cached_property
    def approvals(self) -> ApprovalService:
        from .approvals import ApprovalService

        return ApprovalService(self.ctx)

    @cached_property
    def collab(self) -> CollaborationService:
        from .collaboration import CollaborationService

        return CollaborationService(self.ctx)

    @cached_property
    def agents(self) -> AgentService:
        from .agents import AgentService

        return AgentService(self.ctx)

    @cached_property
    def queries(self) -> QueryService:
        from .queries import QueryService

        return QueryService(self.ctx)

    @cached_property
    def dashboard(self) -> DashboardService:
        from .dashboard import DashboardService

        return DashboardService(self.ctx)

    @cached_property
    def plans(self) -> PlanService:
        from .plans import PlanService

        return PlanService(self.ctx)

    @cached_property
    def reports(self) -> ReportService:
        from .reports import ReportService

        return ReportService(self.ctx)

    @cached_property
    def runs(self) -> RunService:
        from .runs import RunService

        return RunService(self.ctx)

    @cached_property
    def workspaces(self) -> WorkspaceService:
        from .workspaces import WorkspaceService

        return WorkspaceService(self.ctx)

    @cached_property
    def questions(self) -> QuestionService:
        from .questions import QuestionService

        return QuestionService(self.ctx)

    @cached_property
    def processes(self) -> RunProcessService:
        from .run_processes import RunProcessService

        return RunProcessService(self.ctx)

    @cached_property
    def agent_runs(self) -> AgentRunService:
        from .agent_runs import AgentRunService

        return AgentRunService(self.ctx)

    @cached_property
    def undo(self) -> UndoService:
        from .undo import UndoService

        return UndoService(self.ctx)

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

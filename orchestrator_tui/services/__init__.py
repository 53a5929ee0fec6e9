"""Services: the only writers. The CLI, the TUI and the runner all come through
an `Orchestrator`, which bundles every service over one database, one actor
and one clock."""

from __future__ import annotations

from collections.abc import Callable

from ..store.engine import Database
from ..store.feed import ChangeListener
from ..store.schema import ensure_schema
from ..store.tables import utcnow
from .agent_runs import AgentRunService
from .agents import AgentService
from .approvals import ApprovalService
from .base import Clock, ServiceContext
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


class Orchestrator:
    """Every service over one database, acting as one actor."""

    def __init__(self, db: Database, actor: str, clock: Clock = utcnow) -> None:
        self.db = db
        self.ctx = ServiceContext(db=db, actor=actor, clock=clock)
        self.tasks = TaskService(self.ctx)
        self.deps = DependencyService(self.ctx)
        self.approvals = ApprovalService(self.ctx)
        self.collab = CollaborationService(self.ctx)
        self.agents = AgentService(self.ctx)
        self.queries = QueryService(self.ctx)
        self.dashboard = DashboardService(self.ctx)
        self.plans = PlanService(self.ctx)
        self.reports = ReportService(self.ctx)
        self.runs = RunService(self.ctx)
        self.workspaces = WorkspaceService(self.ctx)
        self.questions = QuestionService(self.ctx)
        self.processes = RunProcessService(self.ctx)
        self.agent_runs = AgentRunService(self.ctx)
        self.undo = UndoService(self.ctx)

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
    url: str, actor: str, clock: Clock = utcnow, busy_timeout_ms: int | None = None
) -> Orchestrator:
    """Open (creating or migrating as needed) the database at `url`. Writers wait
    `busy_timeout_ms` for each other (default: $ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS or 8 s)."""
    db = Database(url, busy_timeout_ms)
    try:
        ensure_schema(db)
    except Exception:
        db.dispose()
        raise
    db.remember_file()
    return Orchestrator(db, actor, clock)

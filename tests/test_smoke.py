"""The demo plan loads and the basic loop works end to end."""

from __future__ import annotations

from orchestrator_tui.domain.enums import Readiness, TaskStatus
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.plans import sample_plan_path


def test_demo_plan_loads_with_history(orch: Orchestrator) -> None:
    result = orch.plans.load_file(sample_plan_path())
    assert result.tasks >= 40
    stats = orch.dashboard.stats()
    assert stats.total == result.tasks
    assert stats.awaiting_approval >= 2
    assert stats.by_status[TaskStatus.FAILED] >= 1
    assert len({r.phase for r in orch.queries.list_tasks()}) >= 3
    failed = orch.queries.runs_for("PAY-15")
    assert failed and "\x1b[31m" in orch.queries.log_lines(failed[-1].id)[3].text


def test_finishing_a_blocker_makes_its_dependent_ready(orch: Orchestrator) -> None:
    orch.plans.load_file(sample_plan_path())
    assert orch.queries.get_task("PAY-22").readiness is Readiness.WAITING
    orch.tasks.complete("PAY-11")
    assert orch.queries.get_task("PAY-22").readiness is Readiness.READY
    kinds = [e.kind for e in orch.queries.timeline("PAY-22")]
    assert kinds[-1] == "unblocked"

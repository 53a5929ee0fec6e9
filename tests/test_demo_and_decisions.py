"""The demo plan's queries and racing reviewers, on each database (see
tests/databases.py for how PostgreSQL is reached)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from orchestrator_tui.domain.errors import Conflict, CycleError, OrchestratorError
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.plans import sample_plan_path


def test_demo_plan_and_queries(orch: Orchestrator) -> None:
    orch.plans.load_file(sample_plan_path())
    stats = orch.dashboard.stats()
    assert stats.total >= 40 and stats.awaiting_approval == 2
    assert stats.critical_path[0] == "PAY-11"
    assert orch.queries.next_ready() is not None
    with pytest.raises(CycleError, match="PAY-1 -> PAY-46"):
        orch.deps.add("PAY-1", "PAY-46")


def test_racing_decisions_give_one_winner(orch: Orchestrator) -> None:
    orch.plans.load_file(sample_plan_path())
    people = [orch.as_actor(name) for name in ("maria", "omar", "zoe", "kim")]

    def decide(i: int) -> str:
        who = people[i % 4]
        try:
            if i % 2:
                who.approvals.approve("PAY-14")
            else:
                who.approvals.reject("PAY-14", "not yet")
            return "won"
        except (Conflict, OrchestratorError):
            return "lost"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(decide, range(8)))
    assert outcomes.count("won") == 1
    assert len(orch.queries.approvals_for("PAY-14")) == 1


def test_natural_key_and_workflow_status_sorts(orch: Orchestrator) -> None:
    from .core.test_natural_sort import check_sorts

    check_sorts(orch)

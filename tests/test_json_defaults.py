"""Core inserts that omit a JSON column get its empty default, not NULL."""

from __future__ import annotations

from orchestrator_tui.domain.enums import AgentType
from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.services import open_orchestrator


def test_agents_from_a_plan_and_from_register_are_stored(tmp_path):
    orch = open_orchestrator(str(tmp_path / "a.db"), "tester")
    plan = PlanSpec.model_validate(
        {
            "agents": [{"name": "a1", "last_heartbeat": "-5m"}],
            "tasks": [{"key": "K-1", "title": "t"}],
        }
    )
    orch.plans.load(plan, "inline")
    orch.agents.register("a2", AgentType.TESTING)
    assert sorted(a.name for a in orch.agents.list()) == ["a1", "a2"]
    orch.close()

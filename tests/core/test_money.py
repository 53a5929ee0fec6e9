"""Dollars are written one way wherever a budget or a cost is shown."""

from __future__ import annotations

from types import SimpleNamespace

from orchestrator_tui.agents.budget import Limit, Spent, exceeded
from orchestrator_tui.domain.agent import Budget
from orchestrator_tui.domain.command_text import limits


def test_a_budget_reads_the_same_in_task_show_and_when_it_is_exceeded() -> None:
    budget = Budget(usd=1.5)
    command = SimpleNamespace(timeout_seconds=None, agent=SimpleNamespace(budget=budget))
    assert limits(command) == [("budget", "$1.50 (all its runs together)")]
    over = exceeded(Limit("task", budget), Spent(usd=2))
    assert over == "budget exceeded: $2.00 of $1.50"


def test_a_spend_just_over_a_budget_does_not_read_as_equal_to_it() -> None:
    # two runs of $0.0421 cross a $0.08 budget: "$0.08 of $0.08" would say they did not
    over = exceeded(Limit("plan P", Budget(usd=0.08)), Spent(usd=0.0842))
    assert over == "plan P: budget exceeded: $0.0842 of $0.08"


def test_cents_always_and_fractions_of_a_cent_when_there_are_some() -> None:
    from orchestrator_tui.domain.money import usd

    assert [usd(x) for x in (0, 1, 1.5, 0.0421, 0.366, 1.23456, 1234.5)] == [
        "$0.00",
        "$1.00",
        "$1.50",
        "$0.0421",
        "$0.3660",  # two decimals or four, never three
        "$1.2346",
        "$1,234.50",
    ]


def test_a_total_of_runs_that_reported_no_cost_is_not_zero() -> None:
    from orchestrator_tui.domain.agent import AgentRunFacts, SpendRow
    from orchestrator_tui.domain.money import spent

    def total(*costs: float | None) -> str:
        runs = [AgentRunFacts(profile="p", cost_usd=c) for c in costs]
        return spent(SpendRow.of_runs("task", runs).reported_cost)

    assert total(None, None) == "cost not reported"
    assert total(None, 0.0421, 0.0421) == "$0.0842"
    assert total(0.0) == "$0.00"

"""Budgets: has a task's or a plan's spend crossed its limit? (pure)"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.agent import Budget
from ..domain.money import usd


@dataclass(frozen=True)
class Spent:
    usd: float = 0.0
    tokens: int = 0
    seconds: float = 0.0

    def __add__(self, other: Spent) -> Spent:
        return Spent(self.usd + other.usd, self.tokens + other.tokens, self.seconds + other.seconds)


@dataclass(frozen=True)
class Limit:
    """A budget and what was spent against it before the current run."""

    label: str  # "task" or "plan NAME"
    budget: Budget
    before: Spent = field(default_factory=Spent)

    @property
    def prefix(self) -> str:
        return "" if self.label == "task" else f"{self.label}: "

    def seconds_left(self) -> float | None:
        if self.budget.seconds is None:
            return None
        return max(self.budget.seconds - self.before.seconds, 0.0)


def exceeded(limit: Limit, run: Spent, at: bool = False) -> str | None:
    """ "budget exceeded: $1.20 of $1.00" when before + run is over the budget
    (or, with `at`, has reached it); None otherwise."""
    total = limit.before + run
    b = limit.budget

    def over(spent: float, cap: float | None) -> bool:
        return cap is not None and (spent >= cap if at else spent > cap)

    if b.usd is not None and over(total.usd, b.usd):
        return f"{limit.prefix}budget exceeded: {usd(total.usd)} of {usd(b.usd)}"
    if over(total.tokens, b.tokens):
        return f"{limit.prefix}budget exceeded: {total.tokens:,} tokens of {b.tokens:,}"
    if over(total.seconds, b.seconds):
        return f"{limit.prefix}budget exceeded: {total.seconds:.0f}s of {b.seconds:g}s"
    return None

"""Amounts of US dollars as every surface writes them: `$1.50`, `$0.0421`."""

from __future__ import annotations

#: What a total of runs none of which reported a cost says (Codex, Gemini report none).
NOT_REPORTED = "cost not reported"


def usd(amount: float) -> str:
    """Dollars and cents (`$1.50`, `$12.00`), or four decimals when the amount has
    fractions of a cent (`$0.0421`, `$0.3660`), so a small run's cost never reads as
    `$0.00` and a spend just over a budget never equals it."""
    finer = f"{amount:,.4f}"
    return "$" + (f"{amount:,.2f}" if finer.endswith("00") else finer)


def spent(reported: float | None) -> str:
    """What runs cost (`$0.0842`), or `cost not reported` when none of them said
    (`SpendRow.reported_cost`), so an agent that never says does not read as free."""
    return NOT_REPORTED if reported is None else usd(reported)

"""Amounts of US dollars as every surface writes them: `$1.50`, `$0.0421`."""

from __future__ import annotations


def usd(amount: float) -> str:
    """Dollars and cents (`$1.50`, `$12.00`), with up to two more decimals when
    the amount has fractions of a cent (`$0.0421`), so a small run's cost never
    reads as `$0.00` and a spend just over a budget never equals it."""
    cents = f"{amount:,.2f}"
    finer = f"{amount:,.4f}".rstrip("0")
    return "$" + (finer if len(finer) > len(cents) else cents)

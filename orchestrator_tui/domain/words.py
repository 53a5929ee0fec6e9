"""Counts in words: `1 task`, `2 tasks`, `1 dependency`, `3 dependencies`."""

from __future__ import annotations


def plural(noun: str) -> str:
    """The regular English plural of a noun we count (`entry` -> `entries`)."""
    if noun.endswith("y") and noun[-2:-1] not in {"a", "e", "i", "o", "u"}:
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def counted(n: int, noun: str, many: str | None = None) -> str:
    """`n noun` with the noun in the plural unless n is exactly one; `many` names
    a plural that is not regular (or a phrase whose first word is counted)."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {many if many is not None else plural(noun)}"

"""Counts in words: `1 task`, `2 tasks`, `1 dependency`, `3 dependencies`; ages
in one short word: `12s`, `5m`, `3h`, `2d`."""

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


def age(seconds: float | None) -> str:
    """`12s`, `5m`, `3h`, `2d` (whole units, rounded down); `never` for None. The
    TUI and the CLI both write ages this way."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"

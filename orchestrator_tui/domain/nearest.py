"""The known names nearest a misspelled one, for "did you mean" in refusals: a tool,
a tool's argument, an agent profile."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_PARTS = re.compile(r"[_\-.\s]+")


def nearest(word: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` of `names` that `word` may have meant: the one it is but for case,
    else those close in spelling (case aside) or holding it, or held by it, as a
    whole part (`task_key` -> `key`, `claude-opus` -> `claude`). Closest first;
    none when nothing is near."""
    known = list(dict.fromkeys(names))
    folded = {name.casefold(): name for name in known}
    if word.casefold() in folded:  # only its case is wrong
        return [folded[word.casefold()]]
    close = difflib.get_close_matches(word.casefold(), list(folded), n=n)
    out = [folded[c] for c in close]
    parts = set(_PARTS.split(word.casefold())) - {""}
    for name in known:
        name_parts = set(_PARTS.split(name.casefold())) - {""}
        if name.casefold() in parts or word.casefold() in name_parts:
            out.append(name)
    return list(dict.fromkeys(out))[:n]


def did_you_mean(word: str, names: Iterable[str]) -> str:
    """`; did you mean a, b?` naming the nearest of `names`, or "" when none is near."""
    close = nearest(word, names)
    return f"; did you mean {', '.join(close)}?" if close else ""

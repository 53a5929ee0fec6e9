"""The known names nearest a misspelled one, for "did you mean" in refusals: a task
key, a tool, a tool's argument, an agent profile. One rule for all of them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_PARTS = re.compile(r"[_\-.\s]+")

#: How alike (difflib's ratio, 0 to 1) a name must be spelled to be suggested.
CLOSE_ENOUGH = 0.6
#: Words this long or shorter are suggested a name only if it begins with the same
#: letter: a few letters in common reach `CLOSE_ENOUGH` by chance (`limit` and
#: `claim` share `l`, `i`, `m`), while an abbreviation keeps its first (`msg`).
SHORT_WORD = 5


def _spelled_near(word: str, name: str) -> bool:
    """`word` may be `name` misspelled (both already case-folded)."""
    if len(word) <= SHORT_WORD and word[:1] != name[:1]:
        return False
    return difflib.SequenceMatcher(None, word, name).ratio() >= CLOSE_ENOUGH


def nearest(word: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` of `names` that `word` may have meant: the one it is but for case,
    else those close in spelling (case aside; a short word only to names beginning
    as it does) or holding it, or held by it, as a whole part (`task_key` -> `key`,
    `claude-opus` -> `claude`). Closest first; none when nothing is near."""
    known = list(dict.fromkeys(names))
    folded = {name.casefold(): name for name in known}
    w = word.casefold()
    if w in folded:  # only its case is wrong
        return [folded[w]]
    close = difflib.get_close_matches(w, list(folded), n=max(len(folded), 1), cutoff=CLOSE_ENOUGH)
    out = [folded[c] for c in close if _spelled_near(w, c)]
    parts = set(_PARTS.split(w)) - {""}
    for name in known:
        name_parts = set(_PARTS.split(name.casefold())) - {""}
        if name.casefold() in parts or w in name_parts:
            out.append(name)
    return list(dict.fromkeys(out))[:n]


def did_you_mean(word: str, names: Iterable[str]) -> str:
    """`; did you mean a, b?` naming the nearest of `names`, or "" when none is near."""
    close = nearest(word, names)
    return f"; did you mean {', '.join(close)}?" if close else ""

"""Natural order of task keys: PAY-2 before PAY-10.

`natural_key(text)` is the sort key: lower-cased, with every run of digits
left-padded with zeros to `NUMBER_WIDTH` (longer runs are left as they are).
The database keeps it for every task in `tasks.key_order` (written with the
row, see `store/columns.py`) under an index, so a list in key order is read
from the index without a sort.
"""

from __future__ import annotations

import re

NUMBER_WIDTH = 20
DIGITS = "0123456789"
_DIGITS = re.compile(r"[0-9]+")


def _pad(match: re.Match[str]) -> str:
    digits = match.group(0)
    return digits if len(digits) > NUMBER_WIDTH else digits.rjust(NUMBER_WIDTH, "0")


def natural_key(text: str) -> str:
    lowered = text.lower()
    stem = lowered.rstrip(DIGITS)
    if _DIGITS.search(stem) is None:  # at most one number, at the end (PAY-47): no callback
        number = lowered[len(stem) :]
        return stem + number.rjust(NUMBER_WIDTH, "0") if number else lowered
    return _DIGITS.sub(_pad, lowered)

"""Natural order of task keys: PAY-2 before PAY-10.

`natural_key(text)` is the sort key: lower-cased, with every run of digits
left-padded with zeros to `NUMBER_WIDTH` (longer runs are left as they are).
The database renders the same rule in SQL (see `store/natural.py`), so a
paged list sorts exactly as this function does.
"""

from __future__ import annotations

import re

NUMBER_WIDTH = 20
_DIGITS = re.compile(r"[0-9]+")


def _pad(match: re.Match[str]) -> str:
    digits = match.group(0)
    return digits if len(digits) > NUMBER_WIDTH else digits.rjust(NUMBER_WIDTH, "0")


def natural_key(text: str) -> str:
    return _DIGITS.sub(_pad, text.lower())

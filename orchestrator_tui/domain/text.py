"""Making untrusted text safe to print on a terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC included).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])"
)


def strip_ansi(text: str) -> str:
    """Remove escape sequences (CSI, OSC, DCS, ...) whole, then stray controls."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def printable(text: str) -> str:
    """One line of plain text with escape sequences removed and newlines folded."""
    return strip_ansi(text).replace("\n", " ").replace("\t", " ")

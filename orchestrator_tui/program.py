"""How this installation runs itself: `orchestrator-tui ...` in a command means this
very program, whatever PATH says (used by the runner and by notification hooks)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .config import APP_NAME

PROGRAM_NAME = APP_NAME


def resolve_argv(argv: Sequence[str]) -> list[str]:
    """`orchestrator-tui ...` runs this very installation, whatever PATH says."""
    if argv and argv[0] == PROGRAM_NAME:
        return [sys.executable, "-m", "orchestrator_tui", *argv[1:]]
    return list(argv)

"""How this installation runs itself: `orchestrator-tui ...` in a command means this
very program, whatever PATH says (used by the runner and by notification hooks)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from .config import APP_NAME

PROGRAM_NAME = APP_NAME


def resolve_argv(argv: Sequence[str]) -> list[str]:
    """`orchestrator-tui ...` runs this very installation, whatever PATH says."""
    if argv and argv[0] == PROGRAM_NAME:
        return [sys.executable, "-m", "orchestrator_tui", *argv[1:]]
    return list(argv)


@cache
def own_scripts_folder() -> str | None:
    """The folder holding this installation's `orchestrator-tui` script (a virtual
    environment's `bin`), or None when the interpreter has none beside it."""
    folder = Path(sys.executable).parent
    return str(folder) if (folder / PROGRAM_NAME).is_file() else None


def path_finding_self(path: str | None) -> str | None:
    """`path` (a PATH value) with this installation's scripts folder last, so that a
    command's own children (a shell script, an agent's tool call) find
    `orchestrator-tui` too; unchanged when it is there already or there is none."""
    own = own_scripts_folder()
    if own is None:
        return path
    if path is None:
        return os.pathsep.join([os.defpath, own])
    if own in path.split(os.pathsep):
        return path
    return os.pathsep.join([path, own]) if path else own

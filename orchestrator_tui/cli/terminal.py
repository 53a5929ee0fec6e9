"""The TUI needs a terminal: it reads keys from stdin and draws on stderr. Started
without one (from a script, cron, `< /dev/null`) Textual would read an endless
end-of-file and spin a core, so the command line's doors refuse first."""

from __future__ import annotations

import sys
from typing import TextIO

from ..domain.errors import UsageError


def is_terminal(stream: TextIO | None) -> bool:
    """Whether `stream` is a terminal (False for a closed or replaced stream)."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # replaced by something odd, or closed
        return False


def require_terminal() -> None:
    """Refuse (exit 2) unless stdin and stderr are terminals; nothing is written."""
    missing = [
        name
        for name, stream in (("stdin", sys.stdin), ("stderr", sys.stderr))
        if not is_terminal(stream)
    ]
    if missing:
        raise UsageError(
            f"the TUI needs a terminal ({' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not one: it reads keys from stdin "
            "and draws on stderr); scripts use the other commands"
        )

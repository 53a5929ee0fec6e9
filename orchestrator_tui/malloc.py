"""Fewer malloc arenas for the TUI's process (glibc only; elsewhere nothing happens).

glibc gives a thread that finds the shared heap busy an arena of its own, up to
eight per core, and keeps what each arena once held. The TUI starts a thread per
database worker (reloads, statistics, the change feed, the first page), so its
resident memory grew by a few MB of such arenas at 100k tasks. Two arenas are
enough for one interface thread and its workers.
"""

from __future__ import annotations

import sys

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(count: int = ARENAS) -> bool:
    """Ask glibc for at most `count` arenas from now on; False when that is not
    possible here (not Linux, not glibc, no ctypes)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, count))

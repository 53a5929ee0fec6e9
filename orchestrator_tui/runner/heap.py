"""A runner's process keeps its loaded modules out of the collector's way."""

from __future__ import annotations

import gc


def freeze_loaded() -> None:
    """Move everything alive now (modules, the database layer, the runner itself) out
    of the cyclic collector's generations. A runner allocates a little per task and
    lives long; without this each full collection walks every loaded module again
    (~80 ms a time, about a twentieth of 1000 short tasks' wall). Garbage is collected
    first, so nothing unreachable is kept."""
    gc.collect()
    gc.freeze()

"""Running task commands as supervised subprocesses (see `core.Runner`).

The names below are imported on first use, so that the runner's small helper
processes (see `watcher`) start without loading the database layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .background import BackgroundRunner
    from .config import RunnerConfig
    from .core import LinesStored, Runner, RunnerStopped, RunnerSummary, RunSettled, RunStarted

_WHERE = {
    "BackgroundRunner": ".background",
    "LinesStored": ".core",
    "RunSettled": ".core",
    "RunStarted": ".core",
    "Runner": ".core",
    "RunnerConfig": ".config",
    "RunnerStopped": ".core",
    "RunnerSummary": ".core",
}

__all__ = [
    "BackgroundRunner",
    "LinesStored",
    "RunSettled",
    "RunStarted",
    "Runner",
    "RunnerConfig",
    "RunnerStopped",
    "RunnerSummary",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)

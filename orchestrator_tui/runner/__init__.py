"""Running task commands as supervised subprocesses (see `core.Runner`)."""

from .background import BackgroundRunner
from .config import RunnerConfig
from .core import (
    LinesStored,
    Runner,
    RunnerServing,
    RunnerStopped,
    RunnerSummary,
    RunnerWaiting,
    RunSettled,
    RunStarted,
)
from .heap import freeze_loaded

__all__ = [
    "BackgroundRunner",
    "LinesStored",
    "RunSettled",
    "RunStarted",
    "Runner",
    "RunnerConfig",
    "RunnerServing",
    "RunnerStopped",
    "RunnerSummary",
    "RunnerWaiting",
    "freeze_loaded",
]

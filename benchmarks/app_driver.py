"""Driving the app headless through Textual's `Pilot`, shared by the TUI tests
and the benchmarks that time the app (`bench_review.py`, `bench_postgres.py`):
a fixed clock, waiting until the app is idle or a condition holds, its main screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.pilot import Pilot
from textual.worker import Worker

if TYPE_CHECKING:
    from orchestrator_tui.app import OrchestratorApp
    from orchestrator_tui.ui.screens.main import MainScreen

FIXED = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED


async def settle(pilot: Pilot, rounds: int = 400) -> None:
    """Wait until no database worker has work and the message queues are drained (a
    reload's worker that lingers for the next request with nothing to do has none)."""
    from orchestrator_tui.ui.db import Refresher

    def working(worker: Worker[Any]) -> bool:
        refresher = Refresher.of(worker)
        return worker.is_running and (refresher is None or refresher.busy)

    app: Any = pilot.app  # an OrchestratorApp
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if working(w) and w.group != "feed"]
        feed = [w for w in app.workers if w.is_running and w.group == "feed"]
        if not busy and (app.poll_interval is not None or not feed) and app.is_ready:
            quiet += 1
            if quiet >= 3:
                return
        else:
            quiet = 0
            await pilot.pause(0.01)
    raise AssertionError(f"still busy: {[w.name for w in app.workers if w.is_running]}")


async def wait_until(
    pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = 30.0
) -> None:
    """Let the app run until `condition()` holds (checked every 20 ms); fail after
    `timeout` seconds (generous: a loaded 2-core machine is slow, never wrong)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.02)


def main_screen(app: OrchestratorApp) -> MainScreen:
    from orchestrator_tui.ui.screens.main import MainScreen

    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen

"""The runner inside another program (the TUI): a background thread with its
own database connection, driven by calls that never block the caller.

    runner = BackgroundRunner(db_url, RunnerConfig(agent="alice-runner"), listener)
    runner.start()                    # returns at once; runner.ready: a Future, done once it serves
    runner.run_task("T-12")           # Future[Claim]: resolves when the child started
    runner.cancel_run("T-12", actor="alice")   # Future[RunView]
    runner.set_auto(True)             # claim ready tasks by itself (False: only on demand)
    runner.stop()                     # children stopped, their tasks back to pending
    runner.join(timeout)              # optional: wait for the thread (do it off the UI thread)

`listener` is called on the runner's thread with `RunStarted`, `LinesStored`,
`RunSettled` and `RunnerStopped`; a Textual app hands them to its own loop
with `app.call_from_thread(...)` or `widget.post_message(...)` (both safe
from other threads). `LinesStored` comes at most once per flush (about ten
times a second) per run, however fast the child prints: read the new lines
with `orch.queries.log_lines(run_id, after_seq)` in a worker.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from ..domain.errors import OrchestratorError
from ..domain.models import RunView
from ..services import open_orchestrator
from ..services.runs import Claim
from .config import RunnerConfig
from .core import Listener, Runner, RunnerEvent, RunnerServing, RunnerSummary


class BackgroundRunner:
    def __init__(self, db_url: str, config: RunnerConfig, listener: Listener | None = None) -> None:
        self.db_url = db_url
        self.config = config
        self.listener = listener
        self.ready: Future[None] = Future()
        self.finished: Future[RunnerSummary] = Future()
        self._runner: Runner | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._early: list[tuple[str, tuple[object, ...], Future[Any]]] = []
        self._stop_reason: str | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Future[None]:
        """Start the thread (idempotent). Opening the database happens there, not here."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._main, name="orchestrator-runner", daemon=True
                )
                self._thread.start()
        return self.ready

    def _main(self) -> None:
        try:
            orch = open_orchestrator(self.db_url, self.config.agent)
        except Exception as exc:
            self.ready.set_exception(exc)
            self.finished.set_exception(exc)
            return
        try:
            runner = Runner(orch, self.config, self._heard)
            with self._lock:
                self._runner = runner
                early, self._early = self._early, []
            for kind, args, future in early:
                _chain(getattr(runner, kind)(*args), future)
            if self._stop_reason is not None:
                runner.stop(self._stop_reason)
            summary = runner.serve()
            if not self.ready.done():  # stopped while it waited for the database
                self.ready.set_result(None)
            self.finished.set_result(summary)
        except Exception as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            self.finished.set_exception(exc)
        finally:
            orch.close()

    def _heard(self, event: RunnerEvent) -> None:
        """The runner's events: `ready` once it serves (a database locked at its start
        is waited for first, see `RunnerWaiting`), then the listener's."""
        if isinstance(event, RunnerServing) and not self.ready.done():
            self.ready.set_result(None)
        if self.listener is not None:
            self.listener(event)

    def _call(self, kind: str, *args: object) -> Future[Any]:
        with self._lock:
            if self._runner is not None:
                return getattr(self._runner, kind)(*args)
            if self.finished.done():
                future: Future[Any] = Future()
                future.set_exception(OrchestratorError("the runner has stopped"))
                return future
            future = Future()
            self._early.append((kind, args, future))
        self.start()
        return future

    def run_task(self, key: str) -> Future[Claim]:
        """Run one task now, starting the thread if needed; never blocks."""
        return self._call("submit", key)

    def cancel_run(
        self, key: str, actor: str | None = None, reason: str | None = None
    ) -> Future[RunView]:
        return self._call("cancel", key, actor, reason)

    def set_auto(self, on: bool) -> None:
        self.config.auto = on
        with self._lock:
            if self._runner is not None:
                self._runner.set_auto(on)

    def active_keys(self) -> list[str]:
        runner = self._runner
        return runner.active_keys() if runner is not None else []

    def stop(self, reason: str = "stopped") -> None:
        """Ask the runner to stop; returns at once (see `join`)."""
        with self._lock:
            self._stop_reason = reason
            runner = self._runner
            early, self._early = self._early, []
        for _, _, future in early:
            future.cancel()
        if runner is not None:
            runner.stop(reason)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()


def _chain(source: Future[object], target: Future[object]) -> None:
    def copy(done: Future[object]) -> None:
        if target.done():
            return
        if done.cancelled():
            target.cancel()
        elif (exc := done.exception()) is not None:
            target.set_exception(exc)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)

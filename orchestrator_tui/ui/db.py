"""Running service calls off the UI thread.

`run_db(node, call, done)` runs `call(orchestrator)` on a thread worker and
posts `done(result)` to `node`; a refused or failed call posts `DbFailed`
instead, which bubbles up to the app and becomes a notification. Handlers
never wait for the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from ..domain.errors import OrchestratorError
from .host import host
from .messages import DbFailed

if TYPE_CHECKING:
    from ..services import Orchestrator

R = TypeVar("R")

#: Errors a person can cause or fix; anything else is a bug and ends the app.
EXPECTED_ERRORS = (OrchestratorError, ValidationError, ValueError)


def run_db(
    node: DOMNode,
    call: Callable[[Orchestrator], R],
    done: Callable[[R], Message | None] | None = None,
    *,
    group: str = "db",
    exclusive: bool = False,
    title: str = "",
) -> Worker[Any]:
    """Run `call` with the app's orchestrator on a thread; post `done(result)` to `node`."""
    orch_provider: Callable[[], Orchestrator] = host(node).orch_provider

    def work() -> None:
        worker = get_current_worker()
        try:
            result = call(orch_provider())
        except EXPECTED_ERRORS as exc:
            if not worker.is_cancelled:
                node.post_message(DbFailed(exc, title))
            return
        if worker.is_cancelled or done is None:
            return
        message = done(result)
        if message is not None:
            node.post_message(message)

    return node.run_worker(work, thread=True, group=group, exclusive=exclusive, name=group)


class Refresher:
    """Reloads that coalesce: at most one call in flight per refresher, and any
    number of requests made meanwhile collapse into one more run afterwards.
    Every result is delivered (a storm of changes cannot starve the view)."""

    def __init__(
        self,
        node: DOMNode,
        call: Callable[[Orchestrator], R],
        done: Callable[[R], Message | None],
        name: str,
    ) -> None:
        self._node = node
        self._call = call
        self._done = done
        self._name = name
        self._lock = threading.Lock()
        self._dirty = False
        self._running = False

    def request(self) -> None:
        with self._lock:
            self._dirty = True
            if self._running:
                return
            self._running = True
        self._node.run_worker(self._loop, thread=True, group=self._name, name=self._name)

    def _loop(self) -> None:
        worker = get_current_worker()
        orch_provider = host(self._node).orch_provider
        while True:
            with self._lock:
                if not self._dirty or worker.is_cancelled:
                    self._running = False
                    return
                self._dirty = False
            try:
                result = self._call(orch_provider())
            except EXPECTED_ERRORS as exc:
                self._node.post_message(DbFailed(exc))
                continue
            except BaseException:
                with self._lock:
                    self._running = False
                raise
            message = self._done(result)
            if message is not None:
                self._node.post_message(message)

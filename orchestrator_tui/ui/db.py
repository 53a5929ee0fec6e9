"""Running database work off the UI thread: one way, one error policy.

`run_db(node, call, done)` runs `call(orchestrator)` on a thread worker and
posts `done(result)` (a message, or None for nothing) to `node`. The call and
`done` see plain data only: they never read or write widget state. A widget
takes what it needs (a query, a cursor, a cache) on the UI thread, closes over
that snapshot, and applies the result when the message arrives.

Errors, for every caller alike:
- a refused or failed call (`EXPECTED_ERRORS`: a service's own error, bad
  input, a file that cannot be read) becomes `DbFailed(error, title)`, which
  the app shows as a one-line notification with the error's message;
- anything else is a bug: it is logged with its traceback and shown the same
  way (with the error's type), and the app goes on. Nothing is silent.
`failed(error)` may also post a message to `node`, so that a widget can leave
its loading state. A cancelled worker (a newer request, the app closing) posts
nothing.

`Refresher` is the same for reloads that coalesce.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from ..domain.errors import OrchestratorError, ReadStopped
from .host import HostApp
from .messages import DbFailed

if TYPE_CHECKING:
    from ..services import Orchestrator, StopReads

R = TypeVar("R")
S = TypeVar("S")
M = TypeVar("M", bound="Message | None")
log = logging.getLogger(__name__)

#: Errors a person can cause or fix: shown with their own message (pydantic's
#: `ValidationError` is a `ValueError`, so the database layer and pydantic need not
#: load before the first frame to name it).
EXPECTED_ERRORS = (OrchestratorError, ValueError, OSError)

Provider = Callable[[], "Orchestrator"]


def for_people(exc: BaseException) -> BaseException:
    """An OS error as `PATH: reason` (what the CLI prints too), others as they are."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return OrchestratorError(f"{where}: {exc.strerror}" if where else exc.strerror)
    return exc


def report_failure(node: DOMNode, exc: Exception, title: str) -> None:
    """The error policy (callable from any thread): a notification via the app."""
    if not isinstance(exc, EXPECTED_ERRORS):
        log.error("%s failed", title or "database work", exc_info=exc)
    node.app.post_message(DbFailed(for_people(exc), title))  # type: ignore[arg-type]


def _provider(node: DOMNode, provider: Provider | None) -> Provider:
    if provider is not None:
        return provider
    app = node.app
    if not isinstance(app, HostApp):
        raise TypeError(f"{type(app).__name__} is not an orchestrator-tui app")
    return app.orch_provider


def itself(message: M) -> M:
    """`done` for a call that already returns the message to post."""
    return message


def run_db(
    node: DOMNode,
    call: Callable[[Orchestrator], R],
    done: Callable[[R], Message | None] | None = None,
    *,
    group: str = "db",
    exclusive: bool = False,
    title: str = "",
    failed: Callable[[Exception], Message | None] | None = None,
    provider: Provider | None = None,
) -> Worker[None]:
    """Run `call` with the orchestrator on a thread; post `done(result)` to `node`.

    `provider`: where the orchestrator comes from (default: the app's).
    """
    orch_provider = _provider(node, provider)

    def work() -> None:
        worker = get_current_worker()
        try:
            result = call(orch_provider())
            message = None if done is None else done(result)
        except Exception as exc:
            if worker.is_cancelled:
                return
            report_failure(node, exc, title)
            reply = None if failed is None else failed(exc)
            if reply is not None:
                node.post_message(reply)
            return
        if message is not None and not worker.is_cancelled:
            node.post_message(message)

    return node.run_worker(work, thread=True, group=group, exclusive=exclusive, name=group)


class Refresher(Generic[S, R]):
    """Reloads that coalesce: at most one call in flight per refresher, and any
    number of requests made meanwhile collapse into one more run afterwards,
    with the newest snapshot. Every result is delivered (a storm of changes
    cannot starve the view).

    `call(orch, snapshot)` runs on the worker with the snapshot given to the
    latest `request`; `done(result)` makes the message posted to `node`.
    `debounce`: a reload asked for with `request(..., debounce=True)` waits this
    long first, so that a burst of changes costs one reload.
    `stop_obsolete`: for a node that shows only the newest request's result; a
    request stops the reads of the call in flight (see `store.stoppable`), whose
    result would be thrown away, so that it gives its core back at once (on
    SQLite: a filter typed on over 100k tasks no longer sorts them for each
    letter), and the newest snapshot runs next.
    `linger`: seconds the worker waits for another request once idle, so that a
    request then only wakes it (starting a worker on each key typed was Textual's
    worker, task and state messages on the key's way to its frame).
    """

    def __init__(
        self,
        node: DOMNode,
        call: Callable[[Orchestrator, S], R],
        done: Callable[[R], Message | None],
        name: str,
        *,
        title: str = "",
        debounce: float = 0.0,
        provider: Provider | None = None,
        stop_obsolete: bool = False,
        linger: float = 0.0,
    ) -> None:
        self._node = node
        self._call = call
        self._done = done
        self._name = name
        self._title = title
        self._debounce = debounce
        self._provider = provider
        self._lock = threading.Lock()
        self._woken = threading.Condition(self._lock)  # a lingering worker waits on it
        self._linger = linger
        self._snapshot: S | None = None
        self._dirty = False
        self._running = False  # a worker is running this refresher's loop
        self._calling = False  # ... and a call of it is under way
        self._wait = False
        self._stop_obsolete = stop_obsolete
        self._stop: StopReads | None = None  # stops the reads of the call in flight

    @property
    def busy(self) -> bool:
        """A call is under way or asked for (a worker that only lingers is not busy)."""
        with self._lock:
            return self._calling or self._dirty

    @staticmethod
    def of(worker: Worker[Any]) -> Refresher[Any, Any] | None:
        """The refresher whose loop `worker` runs, if it is one's: whoever waits for
        the app's work asks it whether it is `busy` rather than wait for the worker,
        which may linger with nothing to do."""
        return _LOOPS.get(worker)

    def request(self, snapshot: S, *, debounce: bool = False) -> None:
        """Reload with `snapshot` (taken on the UI thread)."""
        with self._lock:
            self._snapshot = snapshot
            self._dirty = True
            self._wait = self._wait or debounce
            if self._running:
                if self._stop is not None:
                    self._stop.stop()
                self._woken.notify()
                return
            self._running = True
        orch_provider = _provider(self._node, self._provider)
        worker = self._node.run_worker(
            lambda: self._loop(orch_provider), thread=True, group=self._name, name=self._name
        )
        _LOOPS[worker] = self

    def _loop(self, orch_provider: Provider) -> None:
        worker = get_current_worker()
        while True:
            with self._lock:
                wait, self._wait = self._wait, False
            if wait and self._debounce:
                time.sleep(self._debounce)  # requests meanwhile join this run
            with self._lock:
                self._calling = False
                if not self._dirty and not worker.is_cancelled and self._linger > 0:
                    self._idle(worker)
                    if self._dirty and not worker.is_cancelled:
                        continue  # (its `debounce` is read at the top)
                if not self._dirty or worker.is_cancelled:
                    self._running = False
                    return
                self._dirty = False
                self._calling = True
                snapshot = self._snapshot
            try:
                orch = orch_provider()  # (the database layer is loaded by now)
                stop = None
                if self._stop_obsolete:
                    from ..services import StopReads

                    with self._lock:
                        stop = self._stop = StopReads()
                        if self._dirty:  # asked for again meanwhile: this one is obsolete
                            stop.stop()
                with nullcontext() if stop is None else orch.stoppable_reads(stop):
                    result = self._call(orch, snapshot)  # type: ignore[arg-type]
                message = self._done(result)
            except ReadStopped:
                continue  # a newer request is waiting
            except Exception as exc:
                if not worker.is_cancelled:
                    report_failure(self._node, exc, self._title)
                continue
            except BaseException:
                with self._lock:
                    self._running = self._calling = False
                raise
            if message is not None and not worker.is_cancelled:
                self._node.post_message(message)

    def _idle(self, worker: Worker[None]) -> None:
        """Wait (the lock held) up to `linger` seconds for a request, looking every
        0.1 s whether the worker was cancelled (the app closing waits for it)."""
        deadline = time.monotonic() + self._linger
        while not self._dirty and not worker.is_cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._woken.wait(min(left, 0.1))


#: Each running refresher's worker, and the refresher (see `Refresher.of`).
_LOOPS: WeakKeyDictionary[Worker[Any], Refresher[Any, Any]] = WeakKeyDictionary()

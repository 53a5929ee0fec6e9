"""One thread watching many children: their pipes, their exits, their deadlines.

A runner of short commands spent more interpreter time switching between one
supervising thread per child than supervising them: every thread woke for its
own child's pipes and exit, and each wake fought the coordinating thread for
the interpreter lock. A `Reactor` waits on every child's file descriptors in
one selector (the pipes, and a pidfd for the exit) and on one wake pipe, and
checks a child only when one of its descriptors is ready, when its next
deadline (timeout, kill grace, leftover grace) is due, or when it was poked
(a stop request).

What a child does with its events lives with the child (`process._Child`);
the reactor only drives them. `Supervisor.run` drives a single child with a
reactor of its own on the caller's thread; the runner keeps one reactor
thread for all its children.

On Linux the descriptors are watched with epoll directly (`Descriptors`), and
a child is registered by the thread that adds it: a wait in progress sees the
new descriptors, so the reactor is woken for a new child only when something
is due for it before any of them is ready (a timeout, a stop, no pidfd). A
short command then costs the reactor one wake instead of two.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import select
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("orchestrator_tui.runner")

_WAKE = "wake"


class Descriptors:
    """Descriptors watched for reading, each with its data. With epoll (Linux) a
    registration from another thread is seen by a wait in progress
    (`concurrent`); elsewhere the default selector is used from one thread."""

    def __init__(self) -> None:
        self._data: dict[int, Any] = {}
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._sel = selectors.DefaultSelector() if self._epoll is None else None
        self.concurrent = self._epoll is not None

    def register(self, fd: int, data: Any) -> None:
        if self._epoll is None:
            assert self._sel is not None
            self._sel.register(fd, selectors.EVENT_READ, data)
            return
        if fd in self._data:
            raise KeyError(f"descriptor {fd} is already registered")
        self._data[fd] = data  # first: a wait in progress may report it at once
        try:
            self._epoll.register(fd, select.EPOLLIN)
        except BaseException:
            del self._data[fd]
            raise

    def unregister(self, fd: int) -> None:
        """Raises KeyError for a descriptor not registered."""
        if self._epoll is None:
            assert self._sel is not None
            self._sel.unregister(fd)
            return
        if fd not in self._data:
            raise KeyError(f"descriptor {fd} is not registered")
        with contextlib.suppress(OSError):  # closed meanwhile: gone from epoll already
            self._epoll.unregister(fd)
        del self._data[fd]

    def select(self, timeout: float | None) -> list[tuple[int, Any]]:
        """(descriptor, data) of those ready, waiting up to `timeout` (None: no limit)."""
        if self._epoll is None:
            assert self._sel is not None
            return [(key.fd, key.data) for key, _ in self._sel.select(timeout)]
        # epoll counts in whole milliseconds: round up, or a wait ends just early.
        wait = -1.0 if timeout is None else math.ceil(timeout * 1e3) * 1e-3
        data = self._data
        return [(fd, data[fd]) for fd, _ in self._epoll.poll(wait) if fd in data]

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        elif self._sel is not None:
            self._sel.close()


class Watched(Protocol):
    """What a reactor drives (see `process._Child`)."""

    def attach(self, fds: Descriptors) -> None:
        """Register its descriptors in `fds`, each with `(self, kind)` as data; it
        keeps `fds` to unregister them again. Called on the thread that adds it
        where the descriptors allow (`Descriptors.concurrent`)."""

    @property
    def quiet(self) -> bool:
        """Whether, once attached, nothing is due for it until one of its
        descriptors is ready (no deadline, no stop asked for, its exit seen
        through a descriptor)."""

    def ready(self, fd: int, kind: str) -> None:
        """One of its descriptors is ready."""

    def check(self, now: float) -> float | None:
        """Act on what is due; the next time it must be checked without an event."""

    @property
    def done(self) -> bool: ...

    def detach(self) -> None:
        """Unregister and close everything, and hand its outcome over."""

    def fail(self, exc: Exception) -> None:
        """Watching it went wrong: stop it, detach, and hand over an outcome saying so."""


class Reactor:
    """Children watched together, on one thread (`start`) or the caller's (`run`)."""

    def __init__(self) -> None:
        self._fds = Descriptors()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._fds.register(self._wake_r, _WAKE)
        self._lock = threading.Lock()  # guards the wake pipe's life and `_poked`
        self._poked = False  # a byte waits in the wake pipe
        self._scan = False  # every child is to be checked (a stop may wait)
        self._closed = False
        self._incoming: deque[tuple[Watched, bool]] = deque()  # (child, attached)
        self._due: dict[Watched, float | None] = {}
        self._thread: threading.Thread | None = None
        self._failed: ReactorFailed | None = None  # why the loop itself broke

    @property
    def failed(self) -> bool:
        """Whether its loop broke: it watches nothing more (see `_fail_all`)."""
        return self._failed is not None

    # -- any thread -------------------------------------------------------------------

    def add(self, child: Watched) -> None:
        """Watch `child` from the reactor's next turn; a reactor whose loop broke
        fails it here at once, so that it is never left unwatched."""
        attached = self._fds.concurrent
        error: Exception | None = None
        # Attached and queued under the lock: a reactor that sees the child's
        # descriptors before it is queued waits for the lock (see `_loop`).
        with self._lock:
            failed = self._failed
            if failed is None:
                try:
                    if attached:
                        child.attach(self._fds)  # seen by the reactor's wait at once
                    self._incoming.append((child, attached))
                except Exception as exc:
                    error = exc
        if error is not None:
            log.error("supervising a child failed", exc_info=error)
            _fail(child, error)
            return
        if failed is not None:
            _fail(child, failed)
            return
        # Asked after it is queued: a stop asked meanwhile has woken the reactor.
        if not attached or not child.quiet:
            self._wake(scan=False)

    def poke(self) -> None:
        """Make the reactor look at every child now (a stop was asked for)."""
        self._wake(scan=True)

    def _wake(self, scan: bool) -> None:
        with self._lock:
            self._scan = self._scan or scan
            if self._poked or self._closed:
                return
            self._poked = True
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"x")

    def start(self, name: str = "supervise") -> None:
        """Drive the children on a thread of its own until `close`."""
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Stop the thread (children still watched are left as they are)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout)  # it closes its descriptors as it ends
        else:
            self._release()

    # -- the reactor's thread -----------------------------------------------------------

    def run(self) -> None:
        """Drive the children on this thread until none is left (or `close`)."""
        try:
            self._loop(until_empty=True)
        except Exception as exc:  # never expected: its children end with the reason
            log.exception("the reactor supervising a child failed")
            self._fail_all(exc)
        finally:
            with self._lock:
                self._closed = True
            self._release()

    def _serve(self) -> None:
        try:
            self._loop(until_empty=False)
        except Exception as exc:  # never expected: the children must not go unwatched
            log.exception("the reactor supervising the children failed")
            self._fail_all(exc)
        finally:
            self._release()

    def _fail_all(self, exc: Exception) -> None:
        """The loop broke: every child it watches, or was handed, is stopped and
        ends with the reason (through its own `fail`, as a child whose step
        failed), and children added later fail at once."""
        failed = ReactorFailed(exc)
        with self._lock:
            self._failed = failed
            children = [*self._due, *(child for child, _ in self._incoming)]
            self._due.clear()
            self._incoming.clear()
        for child in children:
            _fail(child, failed)

    def _loop(self, until_empty: bool) -> None:
        fds, due = self._fds, self._due
        while True:
            self._take_incoming()
            if self._closed or (until_empty and not due):
                return
            now = time.monotonic()
            soonest = min((t for t in due.values() if t is not None), default=None)
            wait = None if soonest is None else max(soonest - now, 0.0)
            touched: set[Watched] = set()
            poked = False
            ready = fds.select(wait)
            if any(data != _WAKE and data[0] not in due for _, data in ready):
                with self._lock:  # a child being added: wait until it is queued
                    pass
                self._take_incoming()
            for fd, data in ready:
                if data == _WAKE:
                    poked = True
                    continue
                child, kind = data
                if child in due:  # not failed earlier in this turn
                    self._guarded(child, child.ready, fd, kind)
                    touched.add(child)
            if poked and self._drain():
                touched.update(due)  # a stop may be waiting for any of them
            now = time.monotonic()
            for child, at in list(due.items()):
                if child in touched or (at is not None and at <= now):
                    self._guarded(child, self._check, child, now)

    def _check(self, child: Watched, now: float) -> None:
        self._due[child] = child.check(now)
        if child.done:
            del self._due[child]
            child.detach()

    def _guarded(self, child: Watched, step: Callable[..., None], *args: Any) -> None:
        """One child's step; should it raise, that child alone ends, with the error."""
        try:
            step(*args)
        except Exception as exc:
            log.exception("supervising a child failed")
            self._due.pop(child, None)
            _fail(child, exc)

    def _take_incoming(self) -> None:
        now = time.monotonic()
        while self._incoming:
            child, attached = self._incoming.popleft()
            self._due[child] = None
            if not attached:
                self._guarded(child, child.attach, self._fds)
            if child in self._due:
                self._guarded(child, self._check, child, now)

    def _drain(self) -> bool:
        """Empty the wake pipe; whether every child is to be checked."""
        with self._lock:
            self._poked = False
            scan, self._scan = self._scan, False
            with contextlib.suppress(BlockingIOError):
                while os.read(self._wake_r, 4096):
                    pass
        return scan

    def _release(self) -> None:
        with self._lock:
            self._closed = True
            if self._wake_r < 0:
                return
            self._fds.close()
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1


class ReactorFailed(RuntimeError):
    """The reactor's own loop broke (not one child's step): in one line, why."""

    def __init__(self, cause: Exception) -> None:
        text = str(cause).strip().splitlines()
        detail = f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__
        super().__init__(f"the reactor watching the children failed ({detail})")


def _fail(child: Watched, exc: Exception) -> None:
    """`child.fail(exc)`; a failure of that too is logged (the others still fail)."""
    try:
        child.fail(exc)
    except Exception:
        log.exception("ending a child after a failure failed too")

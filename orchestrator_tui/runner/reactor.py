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
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("orchestrator_tui.runner")

_WAKE = "wake"


class Watched(Protocol):
    """What a reactor drives (see `process._Child`)."""

    def attach(self, sel: selectors.BaseSelector) -> None:
        """Register its descriptors in `sel`, each with `(self, kind)` as data; it
        keeps `sel` to unregister them again."""

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
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._lock = threading.Lock()  # guards the wake pipe's life and `_poked`
        self._poked = False  # a byte waits in the wake pipe
        self._scan = False  # every child is to be checked (a stop may wait)
        self._closed = False
        self._incoming: deque[Watched] = deque()
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
        with self._lock:
            failed = self._failed
            if failed is None:
                self._incoming.append(child)
        if failed is not None:
            _fail(child, failed)
            return
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
            children = [*self._due, *self._incoming]
            self._due.clear()
            self._incoming.clear()
        for child in children:
            _fail(child, failed)

    def _loop(self, until_empty: bool) -> None:
        sel, due = self._sel, self._due
        while True:
            self._take_incoming()
            if self._closed or (until_empty and not due):
                return
            now = time.monotonic()
            soonest = min((t for t in due.values() if t is not None), default=None)
            wait = None if soonest is None else max(soonest - now, 0.0)
            touched: set[Watched] = set()
            poked = False
            for key, _ in sel.select(wait):
                if key.data == _WAKE:
                    poked = True
                    continue
                child, kind = key.data
                if child in due:  # not failed earlier in this turn
                    self._guarded(child, child.ready, key.fd, kind)
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
            child = self._incoming.popleft()
            self._due[child] = None
            self._guarded(child, child.attach, self._sel)
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
            self._sel.close()
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

"""Reads another thread can stop: a query whose answer is no longer wanted (the
text of a filter typed on) gives its core back at once instead of finishing.

A thread's reads under `Database.stoppable(stop)` are stopped by `stop.stop()`,
called from any thread: on SQLite the statement running is interrupted
(`sqlite3.Connection.interrupt`, made for this), elsewhere the statement runs to
its end; either way `ReadStopped` is raised by that read and by every later one
made under `stop`. A connection is registered only while its read runs, so a
stop never reaches a statement of another read that later uses the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..domain.errors import ReadStopped


class StopReads:
    """The handle that stops the reads made under it (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: list[Any] = []  # the SQLite connections of reads in progress
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Stop the reads in progress under this handle and refuse any later one."""
        with self._lock:
            self._stopped = True
            for connection in self._running:
                connection.interrupt()

    @contextmanager
    def running(self, sqlite_connection: Any | None) -> Iterator[None]:
        """A read in progress on `sqlite_connection` (None: not SQLite, so not
        interrupted); `ReadStopped` at once if stopped already."""
        with self._lock:
            if self._stopped:
                raise ReadStopped("the read was stopped: its answer is no longer wanted")
            if sqlite_connection is not None:
                self._running.append(sqlite_connection)
        try:
            yield
        finally:
            if sqlite_connection is not None:
                with self._lock:
                    self._running.remove(sqlite_connection)

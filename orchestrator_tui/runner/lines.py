"""The buffer between the threads reading children's pipes and the one thread
that writes to the database: lines go in from many readers, come out in
batches, and a reader waits (so its child blocks on a full pipe) rather than
letting the buffer grow without bound when the database falls behind."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

#: (run id, seq, stream, text, time read)
Row = tuple[int, int, str, str, datetime]


class LineBuffer:
    def __init__(self, max_lines: int, flush_lines: int, wake: Callable[[], None]) -> None:
        self.max_lines = max_lines
        self.flush_lines = flush_lines
        self._wake = wake
        self._rows: list[Row] = []
        self._cond = threading.Condition()
        self._closed = False

    def put(self, rows: list[Row]) -> None:
        with self._cond:
            while len(self._rows) >= self.max_lines and not self._closed:
                self._cond.wait(0.5)
            self._rows.extend(rows)
            full = len(self._rows) >= self.flush_lines
        if full:
            self._wake()

    def full(self) -> bool:
        """Whether a `put` now would wait (a reader watching many children reads
        no more until there is room, rather than waiting)."""
        return len(self._rows) >= self.max_lines and not self._closed

    def put_back(self, rows: list[Row]) -> None:
        """Return rows the writer could not store; never waits."""
        with self._cond:
            self._rows[:0] = rows

    def take(self) -> list[Row]:
        with self._cond:
            rows, self._rows = self._rows, []
            self._cond.notify_all()
        return rows

    def __len__(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        """Never block a reader again (the writer is gone)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

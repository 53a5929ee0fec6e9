"""Each frame handed to the terminal's writer thread in one piece.

Textual writes a frame in three parts when the terminal has synchronized output
(the start mark, the frame, the end mark), and each part wakes the thread that
writes to the terminal, which then waits for the interpreter's lock while the
UI thread goes on (after a cursor key: the messages that follow its frame). The
frame is on screen only once its end mark is written, so every hand-over of the
lock delays it, and on a busy machine a thread woken for nothing may lose its
turn. Here the parts are joined and handed over once: the bytes are the same.
"""

from __future__ import annotations

import functools

from textual._ansi_sequences import SYNC_END, SYNC_START
from textual.driver import Driver


def frame_writes(driver_class: type[Driver]) -> type[Driver]:
    """The driver to run with: Textual's own Linux driver is replaced by one writing
    a frame in one piece; any other (Windows', one named by TEXTUAL_DRIVER, the
    tests' headless one) is kept."""
    if driver_class.__module__ != "textual.drivers.linux_driver":
        return driver_class
    from textual.drivers.linux_driver import LinuxDriver

    return _frame_writes_driver() if driver_class is LinuxDriver else driver_class


@functools.cache
def _frame_writes_driver() -> type[Driver]:
    from textual.drivers.linux_driver import LinuxDriver  # imports termios: not on Windows

    class FrameWritesDriver(LinuxDriver):
        """Textual's Linux driver, writing a synchronized frame in one piece."""

        _frame: list[str] | None = None

        def write(self, data: str) -> None:
            frame = self._frame
            if frame is None:
                if data == SYNC_START:
                    self._frame = [data]
                else:
                    super().write(data)
                return
            frame.append(data)
            if data == SYNC_END:
                self._frame = None
                super().write("".join(frame))

    return FrameWritesDriver

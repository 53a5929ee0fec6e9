"""A program in a real pseudo-terminal, for the TUI benchmark and the pty tests.

The program's output is kept as it arrived. Textual asks the terminal whether it
supports synchronized output (`CSI ? 2026 $ p`); the driver answers yes, so every
frame comes wrapped in `CSI ? 2026 h` ... `CSI ? 2026 l`, which lets a reader tell
where a frame ends. The question may arrive split over two reads: it is answered
once whole, however the reads cut it.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
FRAME_END = b"\x1b[?2026l"
CTRL_Q = b"\x11"


class ProgramExited(RuntimeError):
    """The program closed its terminal (it exited or crashed)."""


def sync_queries_ending_in(buf: bytes | bytearray, new_from: int) -> int:
    """How many synchronized-output questions in `buf` end at or after `new_from`
    (the offset where the latest read began): each is answered exactly once."""
    count, at = 0, max(0, new_from - len(SYNC_QUERY) + 1)
    while (found := buf.find(SYNC_QUERY, at)) >= 0:
        count += 1
        at = found + 1
    return count


class PtyDriver:
    """`argv` running in a pseudo-terminal of `cols` x `rows`, in its own session."""

    def __init__(
        self,
        argv: Sequence[str],
        cols: int = 160,
        rows: int = 48,
        env: Mapping[str, str] | None = None,
    ) -> None:
        base = dict(os.environ if env is None else env)
        base.update(TERM="xterm-256color", COLORTERM="truecolor")
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=base,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.pid = self.proc.pid
        self.fd = master
        self.buf = bytearray()

    def read(self, timeout: float) -> bytes:
        """One read of what the program wrote within `timeout` seconds (b"" if
        nothing); `ProgramExited` once it has closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            raise ProgramExited("the program exited:\n" + self.tail())
        start = len(self.buf)
        self.buf += data
        for _ in range(sync_queries_ending_in(self.buf, start)):
            os.write(self.fd, SYNC_REPLY)
        return data

    def write(self, data: bytes) -> None:
        """Send `data` in one write, as a terminal does for type-ahead or a paste."""
        os.write(self.fd, data)

    def tail(self, size: int = 3000) -> str:
        """The last `size` bytes written, escape sequences removed."""
        text = re.sub(rb"\x1b\[[0-9;?$]*[a-zA-Z]", b"", bytes(self.buf[-size:]))
        return text.decode(errors="replace")

    def close(self, quit_key: bytes | None = CTRL_Q, grace: float = 2.0) -> None:
        """Ask the program to quit with `quit_key` (None: do not ask), then end its
        session: SIGTERM, and SIGKILL if that is not enough."""
        try:
            if quit_key is not None and self.proc.poll() is None:
                self.write(quit_key)
                deadline = time.monotonic() + grace
                while self.proc.poll() is None and time.monotonic() < deadline:
                    self._drain()
                    time.sleep(0.05)
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
        except (OSError, ChildProcessError):
            pass
        finally:
            os.close(self.fd)

    def _drain(self) -> None:
        try:
            while select.select([self.fd], [], [], 0)[0] and os.read(self.fd, 1 << 16):
                pass
        except OSError:
            pass

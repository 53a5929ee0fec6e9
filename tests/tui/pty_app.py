"""The real program in a real pseudo-terminal, read back through a terminal emulator
(pyte): for what only shows when keys arrive the way a terminal delivers them,
several in one read."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pyte

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"


class PtyApp:
    """`orchestrator-tui ARGS` running in a pty of `cols` x `rows`."""

    def __init__(self, args: list[str], home: Path, cols: int = 160, rows: int = 48) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(
            os.environ,
            TERM="xterm-256color",
            COLORTERM="truecolor",
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
        )
        env.pop("ORCHESTRATOR_TUI_KEYMAP", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orchestrator_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self.raw = bytearray()

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            raise AssertionError("the program exited:\n" + self.text())
        if SYNC_QUERY in data:
            os.write(self.fd, SYNC_REPLY)
        self.raw += data
        self.stream.feed(data)

    def write(self, data: bytes) -> None:
        """Send `data` in one write, as a terminal does for type-ahead or a paste."""
        os.write(self.fd, data)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, condition: Callable[[list[str]], bool], what: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while not condition(self.lines()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}")
            self._pump(min(0.05, deadline - time.monotonic()))

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Read until nothing was drawn for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = len(self.raw)
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            self._pump(0.05)
            if len(self.raw) != last:
                last, calm_since = len(self.raw), time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        os.close(self.fd)

"""The real program in a real pseudo-terminal, read back through a terminal emulator
(pyte): for what only shows when keys arrive the way a terminal delivers them,
several in one read. The terminal is the benchmark's (`benchmarks/pty_driver.py`)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyte

from benchmarks.pty_driver import ProgramExited, PtyDriver


def program_env(home: Path) -> dict[str, str]:
    """The environment of a program started with `home` as its home: its configuration,
    data, key map and settings there, none of the person's running the tests."""
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
    )
    env.pop("ORCHESTRATOR_TUI_KEYMAP", None)
    env.pop("ORCHESTRATOR_TUI_SETTINGS", None)
    return env


class PtyApp:
    """`orchestrator-tui ARGS` running in a pty of `cols` x `rows`."""

    def __init__(self, args: list[str], home: Path, cols: int = 160, rows: int = 48) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        env = program_env(home)
        self.term = PtyDriver([sys.executable, "-m", "orchestrator_tui", *args], cols, rows, env)

    @property
    def raw(self) -> bytearray:
        return self.term.buf

    def _pump(self, timeout: float) -> None:
        try:
            data = self.term.read(timeout)
        except ProgramExited:
            raise AssertionError("the program exited:\n" + self.text()) from None
        self.stream.feed(data)

    def write(self, data: bytes) -> None:
        """Send `data` in one write, as a terminal does for type-ahead or a paste."""
        self.term.write(data)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(
        self, condition: Callable[[list[str]], bool], what: str, timeout: float = 30.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.lines()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}")
            self._pump(min(0.05, deadline - time.monotonic()))

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Read until nothing was drawn for `quiet` seconds; fail if the program is
        still drawing after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = len(self.raw)
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            self._pump(0.05)
            if len(self.raw) != last:
                last, calm_since = len(self.raw), time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return
        raise AssertionError(
            f"still drawing after {timeout}s (never quiet for {quiet}s); the screen:\n"
            + self.text()
        )

    def close(self) -> None:
        self.term.close(quit_key=None)

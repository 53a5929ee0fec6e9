"""Running the command line in tests: in this process (cheap, the default) or as a
real subprocess (one test per command family keeps the entry point honest)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any
from unittest import mock


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_subprocess(
    argv: Sequence[str], stdin: str | None = None, env: Mapping[str, str] | None = None
) -> Result:
    """`python -m orchestrator_tui ARGV` in a new interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_in_terminal(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Result:
    """`python -m orchestrator_tui ARGV` with a pseudo-terminal as stdin and stderr
    (as the TUI needs; `err` is what reached the terminal, with `\n` line ends):
    for commands that end before the TUI draws."""
    import pty

    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", *argv],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=None if env is None else dict(env),
    ) as proc:
        os.close(terminal)
        guard = threading.Timer(60, proc.kill)  # a TUI that started instead never ends
        guard.start()
        shown = bytearray()
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the last holder of the terminal is gone
                break
            if not chunk:
                break
            shown += chunk
        out = proc.stdout.read().decode() if proc.stdout else ""
        code = proc.wait(timeout=120)
        guard.cancel()
    os.close(controller)
    return Result(code, out, shown.decode().replace("\r\n", "\n"))


def run_in_process(
    argv: Sequence[str], stdin: str | None = None, env: Mapping[str, str] | None = None
) -> Result:
    """The same entry point as the subprocess, called here: `env` replaces the whole
    environment for the call, stdin/stdout/stderr are strings, `SystemExit` (argparse's
    usage errors, --version) becomes the exit code, and what a process's exit would
    release (databases, signal handlers, logging handlers) is released."""
    from orchestrator_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        _environment(env),
        _restored_process_state(),
        _closing_opened_databases(),
        mock.patch.object(sys, "stdin", io.StringIO(stdin or "")),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = _exit_status(exc.code, err)
    return Result(code, out.getvalue(), err.getvalue())


def _exit_status(code: object, err: io.StringIO) -> int:
    """What the interpreter would exit with for `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write(f"{code}\n")
    return 1


@contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    with mock.patch.dict(os.environ, env, clear=True):
        yield


@contextmanager
def _restored_process_state() -> Iterator[None]:
    """`run` installs SIGINT/SIGTERM handlers and may configure logging."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    root = logging.getLogger()
    log_handlers, log_level = list(root.handlers), root.level
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        root.handlers[:] = log_handlers
        root.setLevel(log_level)


@contextmanager
def _closing_opened_databases() -> Iterator[None]:
    """Close every database the command opened, as the end of its process would."""
    import orchestrator_tui.services as services

    opened: list[Any] = []
    real_open = services.open_orchestrator

    def recording_open(*args: Any, **kwargs: Any) -> Any:
        orch = real_open(*args, **kwargs)
        opened.append(orch)
        return orch

    with mock.patch.object(services, "open_orchestrator", recording_open):
        try:
            yield
        finally:
            for orch in opened:
                orch.close()

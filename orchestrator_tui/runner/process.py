"""Supervising one child process: spawn an argument list in its own process
group (dying with this process: through the runner's watcher, or else by a
parent-death signal where the OS allows it, see `watcher` and `reaper`), read
stdout and stderr line by line without blocking, enforce the timeout, and stop it
(SIGTERM to the group, then SIGKILL) when asked.

`Supervisor.run()` blocks; the runner calls it in a thread of its own, one per
child. Lines are handed over in batches (every line of one read), stamped with
the time they were read and the stream they came from.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain.enums import LogStream
from ..program import PROGRAM_NAME as PROGRAM_NAME
from ..program import resolve_argv as resolve_argv
from .outputs import OutputCollector
from .reaper import dying_with_parent
from .spawn import spawn as spawn_child

#: A line longer than this is stored in pieces of this size.
MAX_LINE_BYTES = 32 * 1024
#: After the main process exits, how long its leftovers may keep the pipes open.
LEFTOVER_GRACE_SECONDS = 1.0
_READ_SIZE = 64 * 1024
_POLL_WITHOUT_PIDFD = 0.05

Line = tuple[LogStream, str, datetime]
LineSink = Callable[[list[Line]], None]


def working_directory_problem(cwd: str | None) -> str | None:
    """Why a command cannot start in `cwd`, in one line; None when it can."""
    if cwd is None or os.path.isdir(cwd):
        return None
    if os.path.exists(cwd):
        return f"working directory {cwd} is not a directory"
    return f"working directory {cwd} does not exist"


def start_failure(program: str, cwd: str | None, exc: OSError) -> str:
    """The real cause of a failed start: the working directory (the child's chdir
    fails with the same errno as a missing program) or the program itself."""
    if cwd is not None and exc.filename == cwd:
        return working_directory_problem(cwd) or f"cannot enter {cwd}: {exc.strerror or exc}"
    if isinstance(exc, FileNotFoundError):
        return f"cannot start {program!r}: no such program (not found on PATH or at that path)"
    return f"cannot start {program!r}: {exc.strerror or exc}"


@dataclass
class ProcessOutcome:
    exit_code: int | None = None  # negative: killed by that signal
    timed_out: bool = False
    stopped: str | None = None  # why we stopped it on request
    spawn_error: str | None = None
    duration_seconds: float = 0.0
    line_count: int = 0
    collector: OutputCollector = field(default_factory=OutputCollector)


class _Splitter:
    """Bytes in, complete decoded lines out; keeps the unfinished tail."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> list[str]:
        parts = (self._carry + data).split(b"\n")
        self._carry = parts.pop()
        lines = [_decode(p) for part in parts for p in _pieces(part)]
        while len(self._carry) > MAX_LINE_BYTES:
            lines.append(_decode(self._carry[:MAX_LINE_BYTES]))
            self._carry = self._carry[MAX_LINE_BYTES:]
        return lines

    def end(self) -> list[str]:
        rest, self._carry = self._carry, b""
        return [_decode(rest)] if rest else []


def _pieces(line: bytes) -> list[bytes]:
    if len(line) <= MAX_LINE_BYTES:
        return [line]
    return [line[i : i + MAX_LINE_BYTES] for i in range(0, len(line), MAX_LINE_BYTES)]


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text[:-1] if text.endswith("\r") else text


class Supervisor:
    """One child process from spawn to exit. `stop()` is safe from any thread."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        sink: LineSink,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        kill_grace: float = 5.0,
        on_spawn: Callable[[int], None] | None = None,
        stdin_path: str | None = None,
        watched: bool = False,
    ) -> None:
        self.argv = resolve_argv(argv)
        # A watcher stops the child if this process dies (see `watcher`): no
        # parent-death signal is needed, and Python spawns it on its fast path.
        self.watched = watched
        self.on_spawn = on_spawn  # called with the child's pid as soon as it runs
        self.stdin_path = stdin_path
        self.cwd = os.path.expanduser(cwd) if cwd else None
        self.env = dict(env) if env is not None else None
        self.timeout = timeout
        self.kill_grace = kill_grace
        self.sink = sink
        self.pid: int | None = None
        self._stop_reason: str | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    def stop(self, reason: str) -> None:
        """Ask the child to stop: SIGTERM to its group now, SIGKILL after the grace."""
        if self._stop_reason is None:
            self._stop_reason = reason
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def run(self) -> ProcessOutcome:
        out = ProcessOutcome()
        started = time.monotonic()
        try:
            return self._run(out, started)
        finally:
            out.duration_seconds = time.monotonic() - started
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _run(self, out: ProcessOutcome, started: float) -> ProcessOutcome:
        if self._stop_reason is not None:
            out.stopped = self._stop_reason
            return out
        cwd_problem = working_directory_problem(self.cwd)
        if cwd_problem:
            out.spawn_error = cwd_problem
            return out
        if self.watched:
            spawn, hook = self.argv, None
        else:
            spawn, hook = dying_with_parent(self.argv, self.cwd, self.env)
        try:
            stdin = open(self.stdin_path, "rb") if self.stdin_path else None  # noqa: SIM115
        except OSError as exc:
            out.spawn_error = f"cannot read {self.stdin_path!r}: {exc.strerror or exc}"
            return out
        try:
            proc = spawn_child(spawn, self.env, self.cwd, stdin, hook)
        except OSError as exc:
            out.spawn_error = start_failure(self.argv[0], self.cwd, exc)
            return out
        finally:
            if stdin is not None:
                stdin.close()
        self.pid = proc.pid
        if self.on_spawn is not None:
            self.on_spawn(proc.pid)
        _Loop(self, proc, out, started).run()
        return out


class _Loop:
    """The select loop of one child: pipes, its exit, the wake pipe, deadlines."""

    def __init__(
        self, sup: Supervisor, proc: subprocess.Popen[bytes], out: ProcessOutcome, started: float
    ) -> None:
        self.sup, self.proc, self.out = sup, proc, out
        self.sel = selectors.DefaultSelector()
        self.splitters: dict[int, tuple[LogStream, _Splitter]] = {}
        for pipe, stream in ((proc.stdout, LogStream.STDOUT), (proc.stderr, LogStream.STDERR)):
            assert pipe is not None
            fd = pipe.fileno()
            os.set_blocking(fd, False)
            self.splitters[fd] = (stream, _Splitter())
            self.sel.register(fd, selectors.EVENT_READ, "pipe")
        self.sel.register(sup._wake_r, selectors.EVENT_READ, "wake")
        self.pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(proc.pid)
            self.sel.register(self.pidfd, selectors.EVENT_READ, "exit")
        self.deadline = started + sup.timeout if sup.timeout else None
        self.kill_at: float | None = None
        self.exited_at: float | None = None
        self.swept = False

    def run(self) -> None:
        try:
            while self.splitters or self.exited_at is None:
                self._step()
        finally:
            self.sel.close()
            if self.pidfd is not None:
                os.close(self.pidfd)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()
        code = self.proc.wait()
        self.out.exit_code = code

    def _step(self) -> None:
        now = time.monotonic()
        waits = [t - now for t in (self.deadline, self.kill_at) if t is not None]
        if self.exited_at is not None:
            waits.append(self.exited_at + LEFTOVER_GRACE_SECONDS * (2 if self.swept else 1) - now)
        elif self.pidfd is None:
            waits.append(_POLL_WITHOUT_PIDFD)
        wait = max(min(waits), 0.0) if waits else None
        for key, _ in self.sel.select(wait):
            if key.data == "pipe":
                self._read(key.fd)
            elif key.data == "wake":
                with contextlib.suppress(BlockingIOError):
                    os.read(key.fd, 1024)
            elif key.data == "exit":
                self.sel.unregister(key.fd)
        self._check(time.monotonic())

    def _check(self, now: float) -> None:
        if self.exited_at is None and self.proc.poll() is not None:
            self.exited_at = now
        reason = self.sup._stop_reason
        if reason is not None and self.out.stopped is None and not self.out.timed_out:
            self.out.stopped = reason
            self._terminate(now)
        if self.deadline is not None and now >= self.deadline and self.kill_at is None:
            if self.exited_at is None:
                self.out.timed_out = True
                self._terminate(now)
            self.deadline = None
        if self.kill_at is not None and now >= self.kill_at:
            self._signal(signal.SIGKILL)
            self.kill_at = None
        if self.exited_at is not None and self.splitters:
            # The main process is gone but something it started still holds the pipes.
            if not self.swept and now >= self.exited_at + LEFTOVER_GRACE_SECONDS:
                self._signal(signal.SIGKILL)
                self.swept = True
            elif self.swept and now >= self.exited_at + 2 * LEFTOVER_GRACE_SECONDS:
                for fd in list(self.splitters):  # held outside our group: stop listening
                    self._close(fd)

    def _terminate(self, now: float) -> None:
        self._signal(signal.SIGTERM)
        self.kill_at = now + self.sup.kill_grace

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def _read(self, fd: int) -> None:
        stream, splitter = self.splitters[fd]
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        if not data:
            self._close(fd)
        elif lines := splitter.feed(data):
            self._emit(stream, lines)

    def _close(self, fd: int) -> None:
        stream, splitter = self.splitters.pop(fd)
        self.sel.unregister(fd)
        if lines := splitter.end():
            self._emit(stream, lines)

    def _emit(self, stream: LogStream, lines: list[str]) -> None:
        at = datetime.now(UTC)
        is_stdout = stream is LogStream.STDOUT
        collector = self.out.collector
        for text in lines:
            collector.feed(text, is_stdout)
        self.out.line_count += len(lines)
        self.sup.sink([(stream, text, at) for text in lines])


def run_once(argv: Sequence[str], **kwargs: Any) -> tuple[ProcessOutcome, list[Line]]:
    """Run a command to the end and collect its lines (for tests and tools)."""
    lines: list[Line] = []
    lock = threading.Lock()

    def sink(batch: list[Line]) -> None:
        with lock:
            lines.extend(batch)

    outcome = Supervisor(argv, sink=sink, **kwargs).run()
    return outcome, lines

"""Supervising one child process: spawn an argument list in its own process
group (dying with this process: through the runner's watcher, or else by a
parent-death signal where the OS allows it, see `watcher` and `reaper`), read
stdout and stderr line by line without blocking, enforce the timeout, and stop it
(SIGTERM to the group, then SIGKILL) when asked.

`Supervisor.run()` spawns the child and watches it on the caller's thread
until it ends; `Supervisor.start()` spawns it and hands it to a `Reactor`
that watches many children on one thread (the runner's). Lines are handed
over in batches (every line of one read), stamped with the time they were
read and the stream they came from.
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
from .reactor import Reactor
from .reaper import dying_with_parent
from .spawn import spawn as spawn_child

#: A line longer than this is stored in pieces of this size.
MAX_LINE_BYTES = 32 * 1024
#: After the main process exits, how long its leftovers may keep the pipes open.
LEFTOVER_GRACE_SECONDS = 1.0
_READ_SIZE = 64 * 1024
_POLL_WITHOUT_PIDFD = 0.05
_POLL_HELD_BACK = 0.02  # how often a child whose lines are held back is looked at

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
        held_back: Callable[[], bool] | None = None,
    ) -> None:
        self.argv = resolve_argv(argv)
        # Whether the sink takes no lines now: the pipes are left unread meanwhile
        # (the child blocks on a full pipe), and the reactor goes on watching
        # every child's exit and deadlines.
        self.held_back = held_back
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
        self._reactor: Reactor | None = None  # what watches the child while it runs

    def stop(self, reason: str) -> None:
        """Ask the child to stop: SIGTERM to its group now, SIGKILL after the grace."""
        if self._stop_reason is None:
            self._stop_reason = reason
        reactor = self._reactor
        if reactor is not None:
            reactor.poke()

    def run(self) -> ProcessOutcome:
        """Spawn the child and watch it on this thread until it ends."""
        reactor = Reactor()
        ended: list[ProcessOutcome] = []
        self.start(reactor, ended.append)
        reactor.run()
        return ended[0]

    def start(self, reactor: Reactor, on_done: Callable[[ProcessOutcome], None]) -> None:
        """Spawn the child on this thread and have `reactor` watch it. `on_done` gets
        the outcome: at once when the child could not start (or a stop came first),
        else on the reactor's thread when it has ended."""
        out = ProcessOutcome()
        started = time.monotonic()
        self._reactor = reactor
        proc = self._spawn(out)
        if proc is None:
            self._reactor = None
            out.duration_seconds = time.monotonic() - started
            on_done(out)
            return
        reactor.add(_Child(self, proc, out, started, on_done))

    def _spawn(self, out: ProcessOutcome) -> subprocess.Popen[bytes] | None:
        """The running child; None with the reason in `out` when there is none."""
        if self._stop_reason is not None:
            out.stopped = self._stop_reason
            return None
        cwd_problem = working_directory_problem(self.cwd)
        if cwd_problem:
            out.spawn_error = cwd_problem
            return None
        if self.watched:
            spawn, hook = self.argv, None
        else:
            spawn, hook = dying_with_parent(self.argv, self.cwd, self.env)
        try:
            stdin = open(self.stdin_path, "rb") if self.stdin_path else None  # noqa: SIM115
        except OSError as exc:
            out.spawn_error = f"cannot read {self.stdin_path!r}: {exc.strerror or exc}"
            return None
        try:
            proc = spawn_child(spawn, self.env, self.cwd, stdin, hook)
        except OSError as exc:
            out.spawn_error = start_failure(self.argv[0], self.cwd, exc)
            return None
        finally:
            if stdin is not None:
                stdin.close()
        self.pid = proc.pid
        if self.on_spawn is not None:
            self.on_spawn(proc.pid)
        return proc


class _Child:
    """A running child as its reactor sees it: pipes, its exit, deadlines."""

    def __init__(
        self,
        sup: Supervisor,
        proc: subprocess.Popen[bytes],
        out: ProcessOutcome,
        started: float,
        on_done: Callable[[ProcessOutcome], None],
    ) -> None:
        self.sup, self.proc, self.out, self.on_done = sup, proc, out, on_done
        self.started = started
        self.sel: selectors.BaseSelector | None = None
        self.splitters: dict[int, tuple[LogStream, _Splitter]] = {}
        for pipe, stream in ((proc.stdout, LogStream.STDOUT), (proc.stderr, LogStream.STDERR)):
            assert pipe is not None  # left blocking: read only when ready (see spawn)
            self.splitters[pipe.fileno()] = (stream, _Splitter())
        self.pidfd: int | None = None
        self.exit_seen = False  # the pidfd said it exited
        self.deadline = started + sup.timeout if sup.timeout else None
        self.kill_at: float | None = None
        self.exited_at: float | None = None
        self.swept = False
        self.handed = False  # the outcome went to `on_done`
        self.paused = False  # its pipes are unregistered while the sink is full

    def attach(self, sel: selectors.BaseSelector) -> None:
        self.sel = sel
        for fd in self.splitters:
            sel.register(fd, selectors.EVENT_READ, (self, "pipe"))
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(self.proc.pid)
            sel.register(self.pidfd, selectors.EVENT_READ, (self, "exit"))

    def ready(self, fd: int, kind: str) -> None:
        if kind == "pipe":
            if self._held_back():
                self._pause()
                return
            self._read(fd)
        elif not self.exit_seen:
            self.exit_seen = True
            assert self.sel is not None
            self.sel.unregister(fd)

    @property
    def done(self) -> bool:
        return not self.splitters and self.exited_at is not None

    def check(self, now: float) -> float | None:
        """Act on its exit, a stop, the timeout, the kill grace and leftovers; when
        it must be checked next without an event."""
        polled = self.exited_at is None and (self.exit_seen or self.pidfd is None)
        if polled and self.proc.poll() is not None:
            self.exited_at = now
        reason = self.sup._stop_reason
        if reason is not None and self.out.stopped is None and not self.out.timed_out:
            self.out.stopped = reason
            self._terminate(now)
        if self.deadline is not None and now >= self.deadline:
            if self.exited_at is None and self.kill_at is None:
                self.out.timed_out = True
                self._terminate(now)
            self.deadline = None
        if self.kill_at is not None and now >= self.kill_at:
            self._signal(signal.SIGKILL)
            self.kill_at = None
        if self.exited_at is not None and self.splitters and not self.paused:
            # The main process is gone but something it started still holds the pipes.
            if not self.swept and now >= self.exited_at + LEFTOVER_GRACE_SECONDS:
                self._signal(signal.SIGKILL)
                self.swept = True
            elif self.swept and now >= self.exited_at + 2 * LEFTOVER_GRACE_SECONDS:
                for fd in list(self.splitters):  # held outside our group: stop listening
                    self._close(fd)
        if self.paused and not self._held_back():
            self._resume()
            if self.exited_at is not None:  # what it left in the pipes is read first
                self.exited_at = now
        due = [t for t in (self.deadline, self.kill_at) if t is not None]
        if self.paused:
            due.append(now + _POLL_HELD_BACK)
        if self.exited_at is not None and not self.paused:
            if self.splitters:
                due.append(self.exited_at + LEFTOVER_GRACE_SECONDS * (2 if self.swept else 1))
        elif self.pidfd is None:
            due.append(now + _POLL_WITHOUT_PIDFD)
        return min(due) if due else None

    def _held_back(self) -> bool:
        held_back = self.sup.held_back
        return held_back is not None and held_back()

    def _pause(self) -> None:
        assert self.sel is not None
        if not self.paused:
            self.paused = True
            for fd in self.splitters:
                self.sel.unregister(fd)

    def _resume(self) -> None:
        assert self.sel is not None
        self.paused = False
        for fd in self.splitters:
            self.sel.register(fd, selectors.EVENT_READ, (self, "pipe"))

    def detach(self) -> None:
        self._release()
        self.out.exit_code = self.proc.wait()
        self._hand_over()

    def fail(self, exc: Exception) -> None:
        self._signal(signal.SIGKILL)
        self._release()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.out.exit_code = self.proc.wait(1.0)
        self.out.spawn_error = self.out.spawn_error or f"runner error: {exc}"
        self._hand_over()

    def _release(self) -> None:
        sel = self.sel  # None: failed before it was attached
        for fd in list(self.splitters):
            if sel is not None and not self.paused:
                with contextlib.suppress(KeyError, ValueError):
                    sel.unregister(fd)
            del self.splitters[fd]
        if self.pidfd is not None:
            if sel is not None and not self.exit_seen:
                with contextlib.suppress(KeyError, ValueError):
                    sel.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def _hand_over(self) -> None:
        if self.handed:
            return
        self.handed = True
        self.sup._reactor = None
        self.out.duration_seconds = time.monotonic() - self.started
        self.on_done(self.out)

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
        assert self.sel is not None
        if not self.paused:
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

"""Starting a child the way Popen does, without Popen's Python around it.

`subprocess.Popen` starts a child through `_posixsubprocess.fork_exec` (vfork,
the interpreter lock let go while the child execs), but first spends most of
its time in Python: ~90 `os.fsencode` calls for the environment, its handles,
an exit stack, the executable list. Here the same call is made with the same
arguments Popen passes for `spawn`'s children (`close_fds`, a session of its
own, signals restored, stdin from a given descriptor, stdout and stderr on
new pipes), the environment encoded in one comprehension: about half the CPU
a child takes to start (1000 `true` from 8 threads: ~0.13 s against Popen's
~0.27 s, and less than glibc's `posix_spawn` through ctypes, ~0.21 s, which
maps a stack for every child).

`fork_exec` is the interpreter's private helper, so it is used only where its
arguments are the ones known here (Python 3.11 to 3.13, 23 arguments, checked
once); elsewhere, and whenever the child could not be started (the program or
the working directory missing, an argument or variable Popen refuses), `start`
returns None and the caller uses Popen, which starts the child or raises the
error it always raised. A failed start leaves nothing behind: its child is
reaped here before returning.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

_FSENC = sys.getfilesystemencoding()
_FSERR = sys.getfilesystemencodeerrors()
_ARGUMENTS = 23  # fork_exec takes them where Popen passes `allow_vfork` (3.11.7-3.13)

_fork_exec: Any = None
_checked = False
_lock = threading.Lock()


def _api() -> Any:
    """`_posixsubprocess.fork_exec` when its arguments are the ones known here."""
    global _fork_exec, _checked
    if not _checked:
        with _lock:
            if not _checked:
                _fork_exec = _known_fork_exec()
                _checked = True
    return _fork_exec


def _known_fork_exec() -> Any:
    if sys.platform != "linux" or not (3, 11) <= sys.version_info[:2] <= (3, 13):
        return None
    try:
        import _posixsubprocess

        fork_exec: Any = _posixsubprocess.fork_exec
        fork_exec()  # only counts its arguments: nothing is started
    except TypeError as exc:
        return fork_exec if f"exactly {_ARGUMENTS} arguments" in str(exc) else None
    except Exception:
        return None
    return None


def available() -> bool:
    """Whether children can be started this way here."""
    return _api() is not None


class Pipe:
    """The read end of a child's pipe, as a bare descriptor."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


class Spawned:
    """A child started by `start`: what the reactor uses of a Popen (its pid, its
    pipes, `poll` and `wait`, the exit code negative for a signal)."""

    def __init__(self, args: list[str], pid: int, stdout: int, stderr: int) -> None:
        self.args = args
        self.pid = pid
        self.stdout: Pipe | None = Pipe(stdout)
        self.stderr: Pipe | None = Pipe(stderr)
        self.returncode: int | None = None
        self._waiting = threading.Lock()

    def poll(self) -> int | None:
        if self.returncode is None and self._waiting.acquire(blocking=False):
            try:
                self._reap(os.WNOHANG)
            finally:
                self._waiting.release()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            with self._waiting:
                if self.returncode is None:
                    self._reap(0)
            assert self.returncode is not None
            return self.returncode
        deadline, delay = time.monotonic() + timeout, 0.0005
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        assert self.returncode is not None
        return self.returncode

    def _reap(self, flags: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:
            self.returncode = 0  # reaped elsewhere: what Popen says then
            return
        if pid == self.pid:
            self.returncode = os.waitstatus_to_exitcode(status)


def start(
    executable: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str | None,
    stdin: int,
) -> Spawned | None:
    """`argv` started from `executable` (a full path, or one with a slash as Popen
    takes it); None when it was not (see the module's notes)."""
    fork_exec = _api()
    if fork_exec is None:
        return None
    try:
        envp = [f"{k}={v}".encode(_FSENC, _FSERR) for k, v in env.items()]
        path = executable.encode(_FSENC, _FSERR)
    except UnicodeError:
        return None
    if "=" in "".join(env):
        return None  # Popen refuses it with its own error
    args = list(argv)
    sys.audit("subprocess.Popen", executable, args, cwd, env)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    fail_r, fail_w = os.pipe()  # what went wrong before the exec, if anything
    pid = -1
    try:
        if fail_w >= 3:
            pid = fork_exec(
                args, (path,), True, (fail_w,), cwd, envp,
                stdin, -1, -1, out_w, -1, err_w, fail_r, fail_w,
                True, True, -1, None, None, None, -1, None, True,
            )  # fmt: skip
    except (OSError, ValueError, TypeError):
        pid = -1  # Popen tries again and raises what it raises
    finally:
        os.close(fail_w)
        os.close(out_w)
        os.close(err_w)
    try:
        failed = pid < 0 or bool(os.read(fail_r, 50000))  # empty: it exec'd
    finally:
        os.close(fail_r)
    if failed:
        if pid > 0:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        os.close(out_r)
        os.close(err_r)
        return None
    return Spawned(args, pid, out_r, err_r)

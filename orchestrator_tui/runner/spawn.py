"""Starting a child in a process group (and session) of its own, with its stdout
and stderr on pipes, and waiting for it.

Where it can, a child is started with `os.posix_spawn`: the C library's
vfork-and-exec, handed the program's full path and the environment as it is.
`subprocess.Popen` does the same work with more Python around it: it encodes
every environment variable and builds the list of every PATH candidate on
each spawn, which took about half of a supervising thread's CPU for a `true`
child. Popen is still used when the child needs what `posix_spawn` cannot give
on every Python we support: a working directory of its own, a `preexec_fn`
(the parent-death signal without a watcher), or a program found through a
relative PATH entry or not found at all (so that its error is Popen's).

Both ways the child gets what Popen gives it: its own session (`setsid`, so its
process group is its pid and cancel can signal the group), SIGPIPE and SIGXFSZ
back to their defaults (Python ignores them, and an ignored signal stays
ignored across exec), stdin from /dev/null or the given file, and no other
descriptor of ours (Popen's `close_fds`: those not close-on-exec are closed by
the spawn's file actions).

Finding the program: a name without a slash is looked up in the child's PATH
(the `PATH` of the environment it gets, as Popen does) and the path found is
remembered per (name, PATH) for `PROGRAM_CACHE_SECONDS`. A program installed
earlier on the PATH is therefore seen at most that long after it appears; a
remembered program that is gone or no longer executable is looked up again at
once (the failed exec says so), so a start never fails because of the memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO

#: How long a program found on a PATH is remembered (see the module's notes).
PROGRAM_CACHE_SECONDS = 1.0

_DEFAULT_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGPIPE", None), getattr(signal, "SIGXFSZ", None)) if s
)
_GONE = (errno.ENOENT, errno.EACCES, errno.ENOTDIR, errno.ENOEXEC)
_HAS_POSIX_SPAWN = hasattr(os, "posix_spawn") and hasattr(os, "POSIX_SPAWN_DUP2")
_SELF_FDS = "/proc/self/fd"


class ProgramPaths:
    """Where a program name leads on a PATH, remembered for a while (thread-safe:
    one dict, read and written whole)."""

    def __init__(self, seconds: float = PROGRAM_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._found: dict[tuple[str, str], tuple[str, float]] = {}

    def find(self, name: str, path: str, fresh: bool = False) -> str | None:
        """The full path `name` runs as on `path`; None when it is not found there,
        or would be found through a relative PATH entry (which depends on the
        working directory: left to Popen)."""
        key, now = (name, path), time.monotonic()
        hit = self._found.get(key)
        if hit is not None and not fresh and now < hit[1]:
            return hit[0]
        found = _search(name, path)
        if found is None:
            self._found.pop(key, None)
        else:
            self._found[key] = (found, now + self.seconds)
        return found


def _search(name: str, path: str) -> str | None:
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder, name)
        if not os.path.isabs(candidate):
            return None
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


PROGRAMS = ProgramPaths()


class Child:
    """A started child: its pid, the read ends of its stdout and stderr, its exit."""

    def __init__(self, pid: int, stdout: int, stderr: int) -> None:
        self.pid, self.stdout, self.stderr = pid, stdout, stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): as Popen
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.returncode = 0
            else:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def close_pipes(self) -> None:
        for fd in (self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                os.close(fd)


class _PopenChild(Child):
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        super().__init__(proc.pid, proc.stdout.fileno(), proc.stderr.fileno())
        self.proc = proc

    def poll(self) -> int | None:
        self.returncode = self.proc.poll()
        return self.returncode

    def wait(self) -> int:
        self.returncode = self.proc.wait()
        return self.returncode

    def close_pipes(self) -> None:
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


def spawn(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: str | None = None,
    stdin: IO[bytes] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Child:
    """Start `argv` in a session of its own; raises OSError as Popen would."""
    if _HAS_POSIX_SPAWN and cwd is None and preexec_fn is None:
        child = _posix_spawn(argv, env, stdin)
        if child is not None:
            return child
    proc = subprocess.Popen(
        argv,
        stdin=stdin or subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group, away from our terminal
        preexec_fn=preexec_fn,
        bufsize=0,
    )
    return _PopenChild(proc)


def _posix_spawn(
    argv: Sequence[str], env: Mapping[str, str] | None, stdin: IO[bytes] | None
) -> Child | None:
    """The child started by posix_spawn, or None where Popen must start it."""
    program = argv[0]
    search = None if os.sep in program else (env if env is not None else os.environ)
    search_path = search.get("PATH", os.defpath) if search is not None else ""
    path = program if search is None else PROGRAMS.find(program, search_path)
    inherited = _inheritable_fds()
    if path is None or inherited is None:
        return None
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, err_w, 2),
        ]
        if stdin is not None:
            actions.insert(0, (os.POSIX_SPAWN_DUP2, stdin.fileno(), 0))
        else:
            actions.insert(0, (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in inherited]
        for attempt in (1, 2):
            try:
                pid = os.posix_spawn(
                    path,
                    list(argv),
                    env if env is not None else os.environ,
                    file_actions=actions,
                    setsid=True,
                    setsigdef=_DEFAULT_SIGNALS,
                )
                break
            except OSError as exc:
                # A remembered program gone or changed: look it up again, once.
                if search is None or attempt == 2 or exc.errno not in _GONE:
                    raise _named(exc, program) from None
                path = PROGRAMS.find(program, search_path, fresh=True)
                if path is None:
                    raise _named(exc, program) from None
    except BaseException:
        for fd in (out_r, err_r):
            os.close(fd)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    return Child(pid, out_r, err_r)


def _named(exc: OSError, program: str) -> OSError:
    """The error with the program's name on it, as Popen raises it."""
    return type(exc)(exc.errno, exc.strerror, program)


def _inheritable_fds() -> list[int] | None:
    """The descriptors past stderr a child would inherit (None: cannot tell). Popen
    closes them in the child (`close_fds`); here they are closed by the spawn's
    file actions. Python opens everything close-on-exec, so these are only what
    was passed down to this process or opened by a C library, and one opened
    by another thread between this look and the spawn would reach the child."""
    try:
        names = os.listdir(_SELF_FDS)
    except OSError:
        return None
    found = []
    for name in names:
        fd = int(name)
        if fd <= 2:
            continue
        try:
            if os.get_inheritable(fd):
                found.append(fd)
        except OSError:
            continue  # the directory's own descriptor, closed by now
    return found

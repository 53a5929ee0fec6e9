"""Starting a child in a session (and process group) of its own, with its stdout
and stderr on pipes.

`subprocess.Popen` looks a program name up by building, in Python, the list of
every PATH candidate on each spawn (the child then tries to exec each in turn):
about a quarter of a supervising thread's CPU for a `true` child. Here the
program is looked up once and handed to Popen as its `executable` (argv[0] is
left as written); Popen does everything else as before (`close_fds`, signals
back to their defaults, the vfork path).

The lookup keeps Popen's meaning: a name without a slash is looked up in the
child's PATH (the `PATH` of the environment it gets), the first executable
file wins, and the path found is remembered per (name, PATH) for
`PROGRAM_CACHE_SECONDS`. A program installed earlier on the PATH is therefore
seen at most that long after it appears; a remembered program that is gone or
no longer executable is looked up again at once (the failed start says so), so
a start never fails because of the memory. A name found only through a relative
PATH entry, or not found at all, is left to Popen (its error stays Popen's).

A child without input reads from one `/dev/null` descriptor opened once per
process (Popen's `DEVNULL` opens and closes one per spawn), and its pipes are
left blocking: the reactor reads a pipe only when its selector says it is
readable, so a read never waits (two `fcntl` calls per pipe fewer).

On Python 3.11.7 `_posixsubprocess` already uses vfork for these children:
`start_new_session`, `process_group` and `close_fds` do not stop it, only a
`preexec_fn` or a change of user or groups does (see `reaper.dying_with_parent`,
which avoids the hook); and it releases the interpreter lock while the child
execs, so the other threads run meanwhile.

`os.posix_spawn` was tried too: less CPU in the parent, but from eight
supervising threads at once each call took several milliseconds of wall time
(1000 `true` children: 1.3-2.1 s against Popen's 0.6-0.7 s), so it is not used.
"""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO

#: How long a program found on a PATH is remembered (see the module's notes).
PROGRAM_CACHE_SECONDS = 1.0

_GONE = (errno.ENOENT, errno.EACCES, errno.ENOTDIR, errno.ENOEXEC)


class ProgramPaths:
    """Where a program name leads on a PATH, remembered for a while (thread-safe:
    one dict, each entry read and written whole)."""

    def __init__(self, seconds: float = PROGRAM_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._found: dict[tuple[str, str], tuple[str, float]] = {}

    def find(self, name: str, path: str, fresh: bool = False) -> str | None:
        """The full path `name` runs as on `path`; None when it is not found there,
        or only through a relative PATH entry (which depends on the working
        directory: left to Popen)."""
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

_devnull: int | None = None
_devnull_lock = threading.Lock()


def _null_input() -> int:
    """A descriptor of /dev/null for children's stdin, opened once (never closed:
    the children only read it, and Popen dups it without closing it)."""
    global _devnull
    if _devnull is None:
        with _devnull_lock:
            if _devnull is None:
                _devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    return _devnull


def spawn(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: str | None = None,
    stdin: IO[bytes] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, stdout and stderr on pipes; raises
    OSError as Popen does."""
    program = argv[0] if argv else ""
    search = None
    if program and os.sep not in program:
        search = (env if env is not None else os.environ).get("PATH", os.defpath)
    executable = PROGRAMS.find(program, search) if search is not None else None
    try:
        return _popen(argv, executable, env, cwd, stdin, preexec_fn)
    except OSError as exc:
        # A remembered program gone or changed: look it up again, once.
        if executable is None or exc.errno not in _GONE or exc.filename == cwd:
            raise
        assert search is not None
        executable = PROGRAMS.find(program, search, fresh=True)
        return _popen(argv, executable, env, cwd, stdin, preexec_fn)


def _popen(
    argv: Sequence[str],
    executable: str | None,
    env: Mapping[str, str] | None,
    cwd: str | None,
    stdin: IO[bytes] | None,
    preexec_fn: Callable[[], None] | None,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(argv),
        executable=executable,
        stdin=stdin if stdin is not None else _null_input(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group, away from our terminal
        preexec_fn=preexec_fn,
        bufsize=0,
    )

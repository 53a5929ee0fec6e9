"""One watcher process per runner: when the runner dies, even by SIGKILL, it
stops every process the runner started.

The runner starts it once (a small Python process importing only `procs`
and `config`: this module is a leaf outside the runner package for that),
in a session of its own, with the read end of a pipe as its stdin; only the
runner holds the write end (not inherited by any child). The watcher blocks
reading it. When the runner stops cleanly it writes `LEAVE` and the watcher
exits without touching anything; when the read returns end-of-file without
it, the runner is gone, and the watcher stops every process whose environment
carries the runner's mark (`RUNNER_MARK_ENV`, set for each child and
inherited by grandchildren) and the process groups they are in: SIGTERM,
the runner's kill grace, SIGKILL (`procs.stop_marked`).

This replaces a parent-death signal set in every child, which costs a second
exec (util-linux `setpriv`) or a full fork (a `preexec_fn`) per command; with
a watcher, children are spawned by Python's fast path. Where there is no
/proc, or the watcher cannot be started or has died, children get the
parent-death signal as before (see `runner.reaper.dying_with_parent`).

    python -m orchestrator_tui.watcher MARK GRACE_SECONDS
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .config import EXECUTION_ENV, RUNNER_MARK_ENV
from .procs import stop_marked

#: What a runner writes before closing the pipe when it stops cleanly.
LEAVE = b"leave\n"
#: After stopping what it found, the watcher looks once more this much later: a
#: child forked just as the runner died may only now have become visible.
_SECOND_LOOK_SECONDS = 0.3
_RECHECK_SECONDS = 0.5


class Watcher:
    """The runner's side: start the watcher, tell whether it still watches, let it go."""

    def __init__(self, proc: subprocess.Popen[bytes], pipe: int, mark: str) -> None:
        self.proc, self.mark = proc, mark
        self._pipe: int | None = pipe
        self._seen_at = 0.0  # when it was last seen alive

    @classmethod
    def start(cls, grace: float, mark: str | None = None) -> Watcher | None:
        """A watcher for this process's children; None where it cannot work (no /proc)."""
        if not Path("/proc/self/environ").exists():
            return None
        mark = mark or uuid.uuid4().hex
        read_end, write_end = os.pipe()  # neither is inherited by other children
        # Not marked itself, nor part of any attempt of a runner above this one:
        # whoever stops those must not stop the watcher of the runner they run.
        env = {k: v for k, v in os.environ.items() if k not in (RUNNER_MARK_ENV, EXECUTION_ENV)}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", __name__, mark, f"{grace:g}"],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # away from the terminal's Ctrl-C and hang-up
            )
        except OSError:
            os.close(write_end)
            return None
        finally:
            os.close(read_end)
        return cls(proc, write_end, mark)

    def watching(self) -> bool:
        """Whether it still watches (asked of the OS at most every _RECHECK_SECONDS:
        the runner asks before every spawn)."""
        if self._pipe is None:
            return False
        now = time.monotonic()
        if now - self._seen_at < _RECHECK_SECONDS:
            return True
        if self.proc.poll() is not None:
            return False
        self._seen_at = now
        return True

    def leave(self, stop_children: bool = False) -> None:
        """The runner stops: the watcher exits, at once when the runner's children
        are stopped, else (`stop_children`) after stopping what is left of them."""
        pipe, self._pipe = self._pipe, None
        if pipe is None:
            return
        if not stop_children:
            with contextlib.suppress(OSError):
                os.write(pipe, LEAVE)
        os.close(pipe)
        if not stop_children:
            try:
                self.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def watch(stdin: int, mark: str, grace: float) -> bool:
    """Block until the runner goes; True if it died and its processes were stopped."""
    told = b""
    while chunk := os.read(stdin, 64):
        told += chunk
    if told.endswith(LEAVE):
        return False
    stop_marked(mark, grace)
    time.sleep(_SECOND_LOOK_SECONDS)
    stop_marked(mark, grace)
    return True


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    mark, grace = argv[0], float(argv[1])
    watch(sys.stdin.fileno(), mark, grace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

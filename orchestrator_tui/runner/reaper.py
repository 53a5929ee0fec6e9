"""Finding and stopping an attempt's processes after its runner is gone.

A child runs in a process group of its own (its pid is the group id). Its
runner records on the run row the pid, the group, the host and the child's
start stamp ("<boot id>:<start time in clock ticks>", from /proc) so that a
reused pid is never mistaken for it. Two things keep an attempt from
outliving its runner:

- the runner's watcher process (see `orchestrator_tui.watcher`), which stops
  every process carrying the runner's mark when the runner dies
  (`procs.stop_marked`); where there is none, the parent-death signal (Linux
  `PR_SET_PDEATHSIG`), set in the child before it runs the command, so that
  the kernel kills the child;
- this module, for what those do not reach (a watcher that died too, another
  OS): before a lost run is reclaimed, and when a person cancels a run, the
  attempt's group and every process carrying its execution id in its
  environment are stopped (SIGTERM, a grace period, SIGKILL), and the caller
  learns whether they are gone.

Everything here reads /proc; where there is none, `stop_attempt` can only
report that it could not check.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import EXECUTION_ENV
from ..procs import (
    PROC,
    StopReport,
    all_pids,
    boot_id,
    carries,
    own_lineage,
    stat_of,
    stop_found,
    this_host,
    wait_while,
)

if TYPE_CHECKING:
    from ..domain.models import RunView
    from ..services import Orchestrator
    from ..services.run_processes import RunProcess

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessMark:
    """What finds an attempt's processes again: recorded on its run row."""

    pid: int
    pgid: int
    host: str
    start: str


def _alive(pid: int) -> bool:
    stat = stat_of(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def mark_of(pid: int) -> ProcessMark | None:
    """The mark of a process just started in its own group (None without /proc)."""
    stat = stat_of(pid)
    if stat is None:
        return None
    return ProcessMark(pid=pid, pgid=stat[1], host=this_host(), start=f"{boot_id()}:{stat[2]}")


def attempt_pids(mark: ProcessMark | None, execution_id: str | None) -> set[int]:
    """Live processes of an attempt on this host: its group (if the group id was
    not reused) and any process whose environment carries its execution id."""
    found: set[int] = set()
    group = _group_is_ours(mark)
    needle = f"{EXECUTION_ENV}={execution_id}\0".encode() if execution_id else None
    for pid in all_pids():
        stat = stat_of(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if (group is not None and stat[1] == group) or (needle and carries(pid, needle)):
            found.add(pid)
    return found - own_lineage()


def _group_is_ours(mark: ProcessMark | None) -> int | None:
    """The attempt's group id, unless the id now belongs to someone else.

    While any process is in a group, the kernel does not hand its id out again;
    so if the leader's pid is taken by a process with another start stamp, the
    old group is empty and the id is not ours any more.
    """
    if mark is None or mark.pgid <= 1:
        return None
    leader = stat_of(mark.pgid)
    if leader is None or leader[0] in ("Z", "X"):
        return mark.pgid
    if mark.pgid == mark.pid and f"{boot_id()}:{leader[2]}" != mark.start:
        return None
    return mark.pgid


def stop_attempt(
    mark: ProcessMark | None,
    execution_id: str | None,
    grace: float = 5.0,
    *,
    settle: float = 0.0,
    host: str | None = None,
) -> StopReport:
    """Stop every process of an attempt on this host: SIGTERM, `grace`, SIGKILL.

    `settle`: first give them this long to end by themselves (their runner may
    be stopping them). Returns whether anything is left.
    """
    where = mark.host if mark is not None else host
    if where is not None and where != this_host():
        return StopReport(
            gone=False, checked=False, detail=f"its process runs on {where}, not here"
        )
    if not PROC.is_dir():
        return StopReport(gone=False, checked=False, detail="this system has no /proc to look in")

    def find() -> set[int]:
        return attempt_pids(mark, execution_id)

    def groups(_: set[int]) -> set[int]:
        group = _group_is_ours(mark)
        return {group} if group is not None else set()

    if settle > 0:
        wait_while(find, settle)
    report = stop_found(find, groups, grace)
    if report.gone and not report.stopped and mark is None:
        unknown = "no process was recorded for it; none with its execution id runs here"
        return StopReport(gone=True, checked=True, detail=unknown)
    return report


def stop_run(row: RunProcess, grace: float, settle: float = 0.0) -> StopReport:
    """`stop_attempt` for a run as recorded on its row."""
    mark = None
    if row.pid is not None and row.pgid is not None and row.host is not None:
        mark = ProcessMark(row.pid, row.pgid, row.host, row.proc_start or "")
    return stop_attempt(mark, row.execution_id, grace, settle=settle, host=row.host)


#: How long a cancel lets the run's own runner stop the process before doing it.
CANCEL_SETTLE_SECONDS = 2.0
CANCEL_KILL_GRACE_SECONDS = 5.0


def cancel_and_stop(
    orch: Orchestrator, key: str, reason: str | None
) -> tuple[RunView, RunProcess, StopReport]:
    """Cancel the task's running run, then make sure its processes are gone: its
    runner gets CANCEL_SETTLE_SECONDS to stop them, then they are stopped here.
    Once they are known gone the run is closed (if its runner has not yet)."""
    run = orch.runs.cancel(key, reason)
    row = orch.processes.of_run(run.id)
    report = stop_run(row, CANCEL_KILL_GRACE_SECONDS, settle=CANCEL_SETTLE_SECONDS)
    if report.gone:
        run = orch.runs.close_cancelled(run.id)
    return run, row, report


def _load_prctl() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl


_prctl = _load_prctl()  # resolved once here, never in a forked child
_DEATH_SIGNAL = int(signal.SIGKILL)


@functools.cache
def _setpriv() -> str | None:
    """util-linux `setpriv`, if it can set the parent-death signal."""
    path = shutil.which("setpriv")
    if path is None:
        return None
    try:
        done = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "--pdeathsig" in done.stdout else None


def _runnable(command: str, cwd: str | None, env: Mapping[str, str] | None) -> bool:
    if os.sep in command:
        path = os.path.join(cwd or os.getcwd(), command)
        return os.path.isfile(path) and os.access(path, os.X_OK)
    search = (env if env is not None else os.environ).get("PATH", os.defpath)
    return shutil.which(command, path=search) is not None


def dying_with_parent(
    argv: list[str], cwd: str | None, env: Mapping[str, str] | None
) -> tuple[list[str], Callable[[], None] | None]:
    """What to spawn (and the `preexec_fn`) so the child dies with this process.

    `setpriv --pdeathsig KILL` sets the signal and then becomes the command: one
    small exec, where a `preexec_fn` makes Python fork the whole (large) process
    instead of vfork, which made every spawn several times slower. Without
    setpriv, or for a command that cannot be found (so that the spawn error
    stays the same), the `preexec_fn` does it.
    """
    if _prctl is None:
        return argv, None
    wrapper = _setpriv()
    if wrapper is not None and argv and _runnable(argv[0], cwd, env):
        return [wrapper, "--pdeathsig", "KILL", "--", *argv], None
    return argv, die_with_parent_hook()


def die_with_parent_hook() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child die when this process dies (Linux only).

    The signal is tied to the thread that forks; the runner forks from
    supervising threads that live as long as the runner. Should the runner die
    between the fork and the prctl call, the child notices the new parent and
    kills itself.
    """
    prctl = _prctl
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, _DEATH_SIGNAL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook

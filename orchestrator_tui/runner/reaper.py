"""Finding and stopping an attempt's processes after its runner is gone.

A child runs in a process group of its own (its pid is the group id). Its
runner records on the run row the pid, the group, the host and the child's
start stamp ("<boot id>:<start time in clock ticks>", from /proc) so that a
reused pid is never mistaken for it. Two things keep an attempt from
outliving its runner:

- the runner's watcher process (see `watcher`), which stops every process
  carrying the runner's mark when the runner dies (`stop_marked`); where there
  is none, the parent-death signal (Linux `PR_SET_PDEATHSIG`), set in the child
  before it runs the command, so that the kernel kills the child;
- this module, for what those do not reach (a watcher that died too, another
  OS): before a lost run is reclaimed, and when a person cancels a run, the
  attempt's group and every process carrying its execution id in its
  environment are stopped (SIGTERM, a grace period, SIGKILL), and the caller
  learns whether they are gone.

Everything here reads /proc; where there is none, `stop_attempt` can only
report that it could not check.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import EXECUTION_ENV, RUNNER_MARK_ENV

if TYPE_CHECKING:
    from ..domain.models import RunView
    from ..services import Orchestrator
    from ..services.run_processes import RunProcess

_PROC = Path("/proc")
_PR_SET_PDEATHSIG = 1
_POLL = 0.05


@dataclass(frozen=True)
class ProcessMark:
    """What finds an attempt's processes again: recorded on its run row."""

    pid: int
    pgid: int
    host: str
    start: str


@dataclass(frozen=True)
class StopReport:
    """What became of an attempt's processes."""

    gone: bool  # nothing of the attempt runs any more (on this host)
    checked: bool  # False: another host, or no /proc here; nothing was signalled
    stopped: tuple[int, ...] = ()  # the pids that were signalled
    left: tuple[int, ...] = ()  # pids still running after SIGKILL
    detail: str = ""

    def describe(self) -> str:
        if not self.checked:
            return self.detail
        if not self.gone:
            pids = ", ".join(str(p) for p in self.left)
            return f"process {pids} still runs after SIGKILL ({self.detail or 'not permitted'})"
        if self.stopped:
            return f"stopped its process(es) {', '.join(str(p) for p in self.stopped)}"
        return self.detail or "its process is gone"


def this_host() -> str:
    return socket.gethostname()


@functools.cache
def _boot_id() -> str:
    """This boot's id (it cannot change while we run: read once)."""
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, process group, start time in ticks) of a live process, or None."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as file:  # not pathlib: once per child
            raw = file.read().decode("ascii", "replace")
    except (OSError, ValueError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[2]), fields[19]


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def mark_of(pid: int) -> ProcessMark | None:
    """The mark of a process just started in its own group (None without /proc)."""
    stat = _stat(pid)
    if stat is None:
        return None
    return ProcessMark(pid=pid, pgid=stat[1], host=this_host(), start=f"{_boot_id()}:{stat[2]}")


def _own_lineage() -> set[int]:
    """This process and its ancestors: never signalled, whatever their environment says."""
    mine = {os.getpid()}
    pid = os.getppid()
    while pid > 1 and pid not in mine:
        mine.add(pid)
        try:
            raw = (_PROC / str(pid) / "stat").read_text()
            pid = int(raw[raw.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            break
    return mine


def _all_pids() -> Iterable[int]:
    with contextlib.suppress(OSError):
        for entry in os.scandir(_PROC):
            if entry.name.isdigit():
                yield int(entry.name)


def _carries(pid: int, needle: bytes) -> bool:
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return environ.startswith(needle) or b"\0" + needle in environ


def attempt_pids(mark: ProcessMark | None, execution_id: str | None) -> set[int]:
    """Live processes of an attempt on this host: its group (if the group id was
    not reused) and any process whose environment carries its execution id."""
    found: set[int] = set()
    group = _group_is_ours(mark)
    needle = f"{EXECUTION_ENV}={execution_id}\0".encode() if execution_id else None
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if (group is not None and stat[1] == group) or (needle and _carries(pid, needle)):
            found.add(pid)
    return found - _own_lineage()


def _group_is_ours(mark: ProcessMark | None) -> int | None:
    """The attempt's group id, unless the id now belongs to someone else.

    While any process is in a group, the kernel does not hand its id out again;
    so if the leader's pid is taken by a process with another start stamp, the
    old group is empty and the id is not ours any more.
    """
    if mark is None or mark.pgid <= 1:
        return None
    leader = _stat(mark.pgid)
    if leader is None or leader[0] in ("Z", "X"):
        return mark.pgid
    if mark.pgid == mark.pid and f"{_boot_id()}:{leader[2]}" != mark.start:
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
    if not _PROC.is_dir():
        return StopReport(gone=False, checked=False, detail="this system has no /proc to look in")

    def find() -> set[int]:
        return attempt_pids(mark, execution_id)

    def groups(_: set[int]) -> set[int]:
        group = _group_is_ours(mark)
        return {group} if group is not None else set()

    if settle > 0:
        _wait(find, settle)
    report = _stop(find, groups, grace)
    if report.gone and not report.stopped and mark is None:
        unknown = "no process was recorded for it; none with its execution id runs here"
        return StopReport(gone=True, checked=True, detail=unknown)
    return report


def marked_by(mark: str) -> str:
    """The environment entry a runner's children carry (see `stop_marked`)."""
    return f"{RUNNER_MARK_ENV}={mark}"


def stop_marked(mark: str, grace: float = 5.0) -> StopReport:
    """Stop every process on this host whose environment carries the runner mark
    `mark`, with the process groups they are in: SIGTERM, `grace`, SIGKILL.

    What a runner's watcher does when the runner dies (see `watcher`).
    """
    if not _PROC.is_dir():
        return StopReport(gone=False, checked=False, detail="this system has no /proc to look in")
    needle = f"{marked_by(mark)}\0".encode()
    seen_groups: set[int] = set()  # a group id is not reused while the group has members

    def find() -> set[int]:
        found, mine = set(), _own_lineage()
        for pid in _all_pids():
            stat = _stat(pid)
            if pid in mine or stat is None or stat[0] in ("Z", "X"):
                continue
            if stat[1] in seen_groups:
                found.add(pid)
            elif _carries(pid, needle):
                found.add(pid)
                if stat[1] > 1:
                    seen_groups.add(stat[1])
        return found

    return _stop(find, lambda _: set(seen_groups), grace)


def _stop(
    find: Callable[[], set[int]], groups: Callable[[set[int]], set[int]], grace: float
) -> StopReport:
    """SIGTERM to what `find` finds (and to `groups`), `grace`, then SIGKILL."""
    pids = find()
    if not pids:
        return StopReport(gone=True, checked=True)
    stopped = set(pids)
    _signal_all(pids, groups(pids), signal.SIGTERM)
    pids = _wait(find, grace)
    if pids:
        stopped |= pids
        _signal_all(pids, groups(pids), signal.SIGKILL)
        pids = _wait(find, 2.0)
    if pids:
        return StopReport(
            gone=False, checked=True, stopped=tuple(sorted(stopped)), left=tuple(sorted(pids))
        )
    return StopReport(gone=True, checked=True, stopped=tuple(sorted(stopped)))


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


def _wait(find: Callable[[], set[int]], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    pids = find()
    while pids and time.monotonic() < deadline:
        time.sleep(_POLL)
        pids = find()
    return pids


def _signal_all(pids: set[int], groups: set[int], sig: signal.Signals) -> None:
    own = os.getpgid(0)  # a command cancelling its own run stays
    for group in groups - {own}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


# -- in the child, between fork and exec ---------------------------------------------


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

"""Processes on this host, read from /proc: find those carrying a mark in their
environment, and stop them (SIGTERM, a grace period, SIGKILL).

A leaf: it imports nothing of ours but `config`, so that a runner's watcher
process (`watcher`) starts without loading the database layer. The runner's
reaper (`runner/reaper.py`) builds on it to stop one attempt's processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import RUNNER_MARK_ENV

PROC = Path("/proc")
_POLL = 0.05


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
def boot_id() -> str:
    """This boot's id (it cannot change while we run: read once)."""
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def stat_of(pid: int) -> tuple[str, int, str] | None:
    """(state, process group, start time in ticks) of a live process, or None."""
    try:  # a bare descriptor, no file object: read once per child the runner starts
        fd = os.open(f"{PROC}/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        raw = os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = raw[raw.rindex(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[2]), fields[19]


def own_lineage() -> set[int]:
    """This process and its ancestors: never signalled, whatever their environment says."""
    mine = {os.getpid()}
    pid = os.getppid()
    while pid > 1 and pid not in mine:
        mine.add(pid)
        try:
            raw = (PROC / str(pid) / "stat").read_text()
            pid = int(raw[raw.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            break
    return mine


def all_pids() -> Iterable[int]:
    with contextlib.suppress(OSError):
        for entry in os.scandir(PROC):
            if entry.name.isdigit():
                yield int(entry.name)


def carries(pid: int, needle: bytes) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return environ.startswith(needle) or b"\0" + needle in environ


def marked_by(mark: str) -> str:
    """The environment entry a runner's children carry (see `stop_marked`)."""
    return f"{RUNNER_MARK_ENV}={mark}"


def stop_marked(mark: str, grace: float = 5.0) -> StopReport:
    """Stop every process on this host whose environment carries the runner mark
    `mark`, with the process groups they are in: SIGTERM, `grace`, SIGKILL.

    What a runner's watcher does when the runner dies (see `watcher`).
    """
    if not PROC.is_dir():
        return StopReport(gone=False, checked=False, detail="this system has no /proc to look in")
    needle = f"{marked_by(mark)}\0".encode()
    seen_groups: set[int] = set()  # a group id is not reused while the group has members

    def find() -> set[int]:
        found, mine = set(), own_lineage()
        for pid in all_pids():
            stat = stat_of(pid)
            if pid in mine or stat is None or stat[0] in ("Z", "X"):
                continue
            if stat[1] in seen_groups:
                found.add(pid)
            elif carries(pid, needle):
                found.add(pid)
                if stat[1] > 1:
                    seen_groups.add(stat[1])
        return found

    return stop_found(find, lambda _: set(seen_groups), grace)


def stop_found(
    find: Callable[[], set[int]], groups: Callable[[set[int]], set[int]], grace: float
) -> StopReport:
    """SIGTERM to what `find` finds (and to `groups`), `grace`, then SIGKILL."""
    pids = find()
    if not pids:
        return StopReport(gone=True, checked=True)
    stopped = set(pids)
    signal_all(pids, groups(pids), signal.SIGTERM)
    pids = wait_while(find, grace)
    if pids:
        stopped |= pids
        signal_all(pids, groups(pids), signal.SIGKILL)
        pids = wait_while(find, 2.0)
    if pids:
        return StopReport(
            gone=False, checked=True, stopped=tuple(sorted(stopped)), left=tuple(sorted(pids))
        )
    return StopReport(gone=True, checked=True, stopped=tuple(sorted(stopped)))


def wait_while(find: Callable[[], set[int]], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    pids = find()
    while pids and time.monotonic() < deadline:
        time.sleep(_POLL)
        pids = find()
    return pids


def signal_all(pids: set[int], groups: set[int], sig: signal.Signals) -> None:
    own = os.getpgid(0)  # a command cancelling its own run stays
    for group in groups - {own}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


# -- in the child, between fork and exec ---------------------------------------------

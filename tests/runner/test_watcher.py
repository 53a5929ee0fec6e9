"""The runner's watcher: leaves quietly when the runner stops cleanly, stops the
runner's marked processes (and their groups) when the runner is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from orchestrator_tui.config import RUNNER_MARK_ENV
from orchestrator_tui.watcher import Watcher

from .helpers import alive

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


def marked_sleeper(mark: str) -> subprocess.Popen[bytes]:
    """A process of the runner: marked, in a group of its own with an unmarked member."""
    env = {**os.environ, RUNNER_MARK_ENV: mark}
    script = "env -u ORCHESTRATOR_TUI_RUNNER_MARK sleep 60 & exec sleep 60"
    return subprocess.Popen(["sh", "-c", script], env=env, start_new_session=True)


def group_members(pgid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                found.add(int(entry))
    return found


def test_a_clean_stop_leaves_every_process_alone() -> None:
    watcher = Watcher.start(grace=0.5, mark="mark-clean")
    assert watcher is not None and watcher.watching()
    child = marked_sleeper("mark-clean")
    try:
        watcher.leave()
        assert watcher.proc.returncode == 0 and not watcher.watching()
        time.sleep(0.3)
        assert alive(child.pid)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def test_when_the_runner_goes_its_marked_processes_and_their_groups_are_stopped() -> None:
    watcher = Watcher.start(grace=0.5, mark="mark-gone")
    assert watcher is not None
    child = marked_sleeper("mark-gone")
    other = marked_sleeper("another-runner")
    try:
        deadline = time.monotonic() + 10
        while len(group_members(child.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        members = group_members(child.pid)
        assert len(members) == 2  # the marked sleeper and its unmarked sibling
        watcher.leave(stop_children=True)  # as if the runner had died: no word, only EOF
        watcher.proc.wait(10)
        assert child.wait(5) == -signal.SIGTERM
        assert not any(alive(pid) for pid in members)
        assert alive(other.pid)  # another runner's process is not ours to stop
    finally:
        for proc in (child, other):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

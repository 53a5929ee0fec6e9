"""A child never outlives its runner unnoticed: parent-death signal, and finding
and stopping an attempt's processes by their mark and execution id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator_tui.runner.config import EXECUTION_ENV
from orchestrator_tui.runner.reaper import ProcessMark, attempt_pids, mark_of, stop_attempt

from .helpers import alive, wait_for

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@linux_only
@pytest.mark.parametrize("way", ["setpriv", "preexec hook"])
def test_a_child_dies_with_its_supervising_process(tmp_path: Path, way: str) -> None:
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    parent_code = (
        "import sys\n"
        "from orchestrator_tui.runner import reaper\n"
        "from orchestrator_tui.runner.process import run_once\n"
        + ("reaper._setpriv = lambda: None\n" if way == "preexec hook" else "")
        + f"run_once([sys.executable, '-c', {child!r}])\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text())
        child_pid = int(pid_file.read_text())
        assert alive(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not alive(child_pid), 10, "the child to die with its runner")
    finally:
        parent.kill()
        parent.wait()
        if pid_file.exists() and alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _group_with_grandchild(
    tmp_path: Path, execution_id: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A leader in its own group whose grandchild ignores SIGTERM."""
    grand_file = tmp_path / "grand.pid"
    grand = (
        "import os, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(grand_file)!r}, 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    leader = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grand!r}]);"
        " time.sleep(60)"
    )
    env = {**os.environ, EXECUTION_ENV: execution_id}
    proc = subprocess.Popen([sys.executable, "-c", leader], start_new_session=True, env=env)
    wait_for(lambda: grand_file.exists() and grand_file.read_text())
    return proc, int(grand_file.read_text())


@linux_only
def test_stop_attempt_stops_the_group_and_a_grandchild_that_ignores_sigterm(
    tmp_path: Path,
) -> None:
    proc, grand = _group_with_grandchild(tmp_path, "exec-1")
    try:
        mark = mark_of(proc.pid)
        assert mark is not None and mark.pgid == proc.pid
        assert attempt_pids(mark, "exec-1") == {proc.pid, grand}
        report = stop_attempt(mark, "exec-1", grace=0.3)
        proc.wait(5)
        assert report.gone and report.checked
        assert not alive(grand)
        assert set(report.stopped) == {proc.pid, grand}
    finally:
        proc.kill()
        proc.wait()


@linux_only
def test_a_process_that_left_the_group_is_found_by_its_execution_id(tmp_path: Path) -> None:
    env = {**os.environ, EXECUTION_ENV: "exec-2"}
    escaped = subprocess.Popen(["sleep", "60"], start_new_session=True, env=env)
    try:
        # Popen returns once exec has begun; the kernel sets up the new program's
        # environment a moment later, and /proc shows it empty until then.
        wait_for(lambda: Path(f"/proc/{escaped.pid}/environ").read_bytes())
        mark = ProcessMark(pid=999_999, pgid=999_999, host=os.uname().nodename, start="x:1")
        assert attempt_pids(mark, "exec-2") == {escaped.pid}
        assert attempt_pids(mark, "exec-other") == set()
        assert stop_attempt(mark, "exec-2", grace=1).gone
        assert escaped.wait(5) == -signal.SIGTERM
    finally:
        escaped.kill()
        escaped.wait()


@linux_only
def test_a_reused_pid_is_not_taken_for_the_old_group() -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        real = mark_of(stranger.pid)
        assert real is not None
        old = ProcessMark(pid=real.pid, pgid=real.pgid, host=real.host, start=real.start + "0")
        assert attempt_pids(old, None) == set()
        assert stop_attempt(old, None, grace=0.1).gone
        assert alive(stranger.pid)
    finally:
        stranger.kill()
        stranger.wait()


def test_another_hosts_process_is_reported_not_touched() -> None:
    mark = ProcessMark(pid=os.getpid(), pgid=os.getpgid(0), host="elsewhere", start="")
    report = stop_attempt(mark, None, grace=0.1)
    assert not report.checked and not report.gone
    assert report.describe() == "its process runs on elsewhere, not here"


@linux_only
def test_a_process_stopping_its_own_attempt_stops_the_rest_and_survives(tmp_path: Path) -> None:
    """`task cancel-run` run by the task's own command: it is in the group it stops."""
    script = (
        "import os, subprocess, sys\n"
        "from orchestrator_tui.runner.reaper import mark_of, stop_attempt\n"
        "sibling = subprocess.Popen(['sleep', '60'])\n"
        "report = stop_attempt(mark_of(os.getpgid(0)), None, grace=1)\n"
        "print(report.gone, sibling.wait(), flush=True)\n"
    )
    wrapper = (
        f"import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', {script!r}]))"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", wrapper], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    out, _ = leader.communicate(timeout=30)
    assert out.split() == ["True", str(-signal.SIGTERM)]

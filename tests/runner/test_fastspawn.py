"""Children started by Popen's own `fork_exec` call without Popen around it:
the same child, the same errors, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator_tui.runner import fastspawn
from orchestrator_tui.runner.spawn import spawn

pytestmark = pytest.mark.skipif(
    not fastspawn.available(), reason="fork_exec's arguments are not the known ones here"
)


def _children() -> list[str]:
    out = subprocess.run(
        ["ps", "--ppid", str(os.getpid()), "-o", "pid=,stat="], capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if line.split()[1:] and "Z" in line.split()[1]]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_child_without_a_hook_is_started_by_the_fast_path(tmp_path: Path) -> None:
    code = "import os; print(os.getcwd(), os.environ['ONLY_HERE'], os.getsid(0) == os.getpid())"
    env = dict(os.environ, ONLY_HERE="yes")
    proc = spawn([sys.executable, "-c", code], env, cwd=str(tmp_path))
    assert isinstance(proc, fastspawn.Spawned)
    assert proc.stdout is not None and proc.stderr is not None
    out = _read_all(proc.stdout.fileno())
    assert proc.wait() == 0
    assert out.decode().split() == [str(tmp_path), "yes", "True"]
    proc.stdout.close()
    proc.stderr.close()


def test_a_missing_working_directory_raises_popens_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    gone = str(tmp_path / "gone")
    open_before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError) as caught:
        spawn(["true"], dict(os.environ), cwd=gone)
    assert caught.value.filename == gone
    assert len(os.listdir("/proc/self/fd")) <= open_before + 1  # + the shared /dev/null
    assert _children() == []


def test_a_program_that_cannot_run_raises_popens_error(tmp_path: Path) -> None:
    script = tmp_path / "not-runnable"
    script.write_text("no interpreter line\n")
    script.chmod(0o644)
    with pytest.raises(PermissionError):
        spawn([str(script)], dict(os.environ))
    assert _children() == []


def test_a_variable_name_with_an_equals_sign_is_refused_as_popen_does() -> None:
    with pytest.raises(ValueError, match="illegal environment variable name"):
        spawn(["true"], {"A=B": "x"})


def test_waiting_with_a_timeout_and_a_child_killed_by_a_signal() -> None:
    proc = spawn(["sleep", "30"], dict(os.environ))
    assert isinstance(proc, fastspawn.Spawned)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(0.05)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert proc.poll() == -signal.SIGKILL
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        pipe.close()
        pipe.close()  # closing twice is harmless

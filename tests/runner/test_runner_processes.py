"""Runners as separate processes: a runner killed mid-run, two runners racing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from .helpers import alive, cli, fast_config, wait_for

S = TaskStatus


def runner_process(db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", "run", "--db", db_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_runner_killed_mid_run_loses_its_task_to_another_after_the_lease(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import os, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('working', flush=True)\n"
        "if os.environ['ORCHESTRATOR_TUI_ATTEMPT'] == '1':\n"
        "    time.sleep(60)\n"
    )
    command = CommandSpec(argv=[sys.executable, "-c", code])
    orch.tasks.create(
        TaskSpec(key="A", title="survives its runner", command=command, max_retries=1)
    )
    doomed = runner_process(
        db_url, "--agent", "doomed", "--lease-seconds", "1", "--poll-seconds", "0.1"
    )
    try:
        wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        assert orch.queries.get_task("A").status is S.IN_PROGRESS  # until the lease expires

        config = fast_config(agent="rescuer", lease_seconds=1.0)
        Runner(orch.as_actor("rescuer"), config).serve()
    finally:
        doomed.kill()
        doomed.communicate()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the orphan of attempt 1

    first, second = orch.queries.runs_for("A")
    assert (first.agent, first.status) == ("doomed", RunStatus.LOST)
    assert first.error is not None and "lease of doomed/" in first.error
    assert (second.agent, second.status, second.attempt) == ("rescuer", RunStatus.SUCCEEDED, 2)
    assert orch.queries.get_task("A").status is S.DONE
    lost = [e for e in orch.queries.timeline("A") if e.kind == EventKind.RUN_LOST]
    assert len(lost) == 1 and lost[0].actor == "rescuer"


def test_two_runners_racing_over_200_ready_tasks_run_each_exactly_once(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    argv = ["sh", "-c", f'echo "$ORCHESTRATOR_TUI_TASK" >> {ledger}']
    specs = [
        TaskSpec(key=f"R-{i}", title=f"race {i}", command=CommandSpec(argv=argv))
        for i in range(200)
    ]
    for spec in specs:
        orch.tasks.create(spec)
    args = ["--until-idle", "--max-parallel", "4", "--poll-seconds", "0.05"]
    racers = [runner_process(db_url, "--agent", name, *args) for name in ("left", "right")]
    for racer in racers:
        _, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err

    executions = Counter(ledger.read_text().split())
    assert len(executions) == 200 and set(executions.values()) == {1}
    agents: Counter[str] = Counter()
    for spec in specs:
        assert spec.key is not None
        runs = orch.queries.runs_for(spec.key)
        assert len(runs) == 1 and runs[0].status is RunStatus.SUCCEEDED
        agents[runs[0].agent or ""] += 1
    assert sum(agents.values()) == 200
    assert orch.queries.count_tasks() == 200
    assert orch.dashboard.stats().by_status[S.DONE] == 200


_ATTEMPT_CODE = """
import os, subprocess, sys, time
attempt = os.environ["ORCHESTRATOR_TUI_ATTEMPT"]
marker, escape = sys.argv[1], sys.argv[2] == "escape"
worker = '''
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
attempt = sys.argv[2]
os.write(fd, f"pid {attempt} {os.getpid()}\\\\n".encode())
os.write(fd, f"start {attempt}\\\\n".encode())
for _ in range(80 if attempt == "1" else 2):
    time.sleep(0.05)
    os.write(fd, f"tick {attempt}\\\\n".encode())
os.write(fd, f"end {attempt}\\\\n".encode())
'''
child = subprocess.Popen(
    [sys.executable, "-c", worker, marker, attempt], start_new_session=escape
)
print("working", flush=True)
sys.exit(child.wait())
"""


@pytest.mark.parametrize("grandchild", ["same-group", "escape"])
def test_a_killed_runners_attempt_never_overlaps_the_next(
    orch: Orchestrator, db_url: str, tmp_path: Path, grandchild: str
) -> None:
    """The runner dies with SIGKILL while its command's grandchild works; the
    next attempt starts only once every process of the first is gone."""
    marker = tmp_path / "marker.txt"
    argv = [sys.executable, "-c", _ATTEMPT_CODE, str(marker), grandchild]
    orch.tasks.create(
        TaskSpec(
            key="A", title="runs once at a time", command=CommandSpec(argv=argv), max_retries=1
        )
    )
    doomed = runner_process(
        db_url, "--agent", "doomed", "--lease-seconds", "1", "--poll-seconds", "0.1"
    )
    try:
        wait_for(lambda: marker.exists() and "tick 1" in marker.read_text())
        run = orch.queries.runs_for("A")[0]
        wait_for(lambda: orch.processes.of_run(run.id).pid is not None)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        Runner(orch.as_actor("rescuer"), fast_config(agent="rescuer", lease_seconds=1.0)).serve()
        time.sleep(0.5)  # time for a survivor of attempt 1 to show itself
    finally:
        doomed.kill()
        doomed.communicate()
        _kill_leftovers(marker)

    lines = marker.read_text().split("\n")
    second = lines.index("start 2")
    assert [line for line in lines[second:] if line.endswith(" 1")] == [], lines[second:]
    assert lines.count("start 2") == 1 and "end 2" in lines
    assert "end 1" not in lines
    first, again = orch.queries.runs_for("A")
    assert (first.status, again.status, again.attempt) == (RunStatus.LOST, RunStatus.SUCCEEDED, 2)


def _kill_leftovers(marker: Path) -> None:
    """Whatever this test's own workers left running (each wrote its pid)."""
    if not marker.exists():
        return
    for line in marker.read_text().split("\n"):
        if line.startswith("pid "):
            pid = int(line.split()[2])
            with contextlib.suppress(OSError):
                if str(marker) in Path(f"/proc/{pid}/cmdline").read_text():
                    os.kill(pid, signal.SIGKILL)


def test_cancel_run_stops_what_a_killed_runner_left_and_says_so(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    argv = [sys.executable, "-c", _ATTEMPT_CODE, str(marker), "same-group"]
    orch.tasks.create(TaskSpec(key="A", title="cancel me", command=CommandSpec(argv=argv)))
    doomed = runner_process(db_url, "--agent", "doomed", "--lease-seconds", "60")
    try:
        wait_for(lambda: marker.exists() and "tick 1" in marker.read_text())
        run = orch.queries.runs_for("A")[0]
        wait_for(lambda: orch.processes.of_run(run.id).pid is not None)
        # Its watcher dies first (else it would stop everything before the cancel).
        watcher = _watcher_of(doomed.pid)
        assert watcher is not None
        os.kill(watcher, signal.SIGKILL)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        done = cli(db_url, "task", "cancel-run", "A")
        before = marker.read_text()
        time.sleep(0.5)
        after = marker.read_text()
    finally:
        doomed.kill()
        doomed.communicate()
        _kill_leftovers(marker)

    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == f"A: run {run.id} cancelled; the task is now failed"
    assert lines[1].startswith(f"A: process (pid {orch.processes.of_run(run.id).pid} on ")
    assert "stopped its process(es)" in lines[1]
    assert after == before and "end 1" not in after  # nothing of the attempt runs on
    assert orch.queries.get_task("A").status is S.FAILED


_FAMILY_CODE = """
import os, subprocess, sys, time
folder = sys.argv[1]
sleeper = "import time; time.sleep(60)"
stay = subprocess.Popen([sys.executable, "-c", sleeper])
away = subprocess.Popen([sys.executable, "-c", sleeper], start_new_session=True)
for name, pid in (("grandchild", stay.pid), ("escaped", away.pid), ("child", os.getpid())):
    open(os.path.join(folder, name + ".tmp"), "w").write(str(pid))
    os.rename(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))
print("working", flush=True)
time.sleep(60)
"""


def _watcher_of(runner_pid: int) -> int | None:
    """The runner's watcher: its child running `orchestrator_tui.watcher`."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            if parent == runner_pid and b"orchestrator_tui.watcher" in cmdline:
                return int(pid)
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_sigkilled_runners_child_and_grandchildren_are_stopped_by_its_watcher(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    """No parent-death signal reaches a grandchild, nor one that left the group:
    the runner's watcher stops them all within a few seconds of its death."""
    argv = [sys.executable, "-c", _FAMILY_CODE, str(tmp_path)]
    orch.tasks.create(TaskSpec(key="A", title="a family", command=CommandSpec(argv=argv)))
    doomed = runner_process(db_url, "--agent", "doomed", "--lease-seconds", "60")
    names = ("child", "grandchild", "escaped")
    try:
        wait_for(lambda: all((tmp_path / name).exists() for name in names))
        pids = {name: int((tmp_path / name).read_text()) for name in names}
        assert all(alive(pid) for pid in pids.values())
        watcher = _watcher_of(doomed.pid)
        assert watcher is not None and alive(watcher)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {name for name, pid in pids.items() if alive(pid)} == set()
        wait_for(lambda: not alive(watcher), timeout=10)  # its work done, it leaves
    finally:
        doomed.kill()
        doomed.communicate()
        for name in names:
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((tmp_path / name).read_text()), signal.SIGKILL)

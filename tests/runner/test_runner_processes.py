"""Runners as separate processes: a runner killed mid-run, two runners racing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from .helpers import fast_config, wait_for

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

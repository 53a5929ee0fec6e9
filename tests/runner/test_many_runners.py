"""Many runners on one database: claims that step over each other's rows, and
runner processes (standing in for machines) that run every task exactly once
even when one of them is SIGKILLed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator, run_batch
from orchestrator_tui.services.run_model import Claim
from orchestrator_tui.store.tables import Run, Task

from .helpers import fast_config, wait_for

S = TaskStatus
R = Run.__table__.c
T = Task.__table__.c


def load(orch: Orchestrator, count: int, argv: list[str], max_retries: int = 0) -> None:
    tasks = [
        {"key": f"M-{i}", "title": f"m {i}", "command": {"argv": argv}, "max_retries": max_retries}
        for i in range(count)
    ]
    orch.plans.load(PlanSpec(tasks=tasks), "many")


@pytest.mark.postgres_only
def test_a_claim_steps_over_tasks_another_runner_is_claiming(
    orch: Orchestrator, backend: str
) -> None:
    load(orch, 3, ["true"])
    other = orch.as_actor("right")
    claims: list[list[Claim]] = []
    with orch.db.write() as conn:
        held = run_batch.candidates(conn, datetime.now(UTC), 2, None)
        assert [r.key for r in held] == ["M-0", "M-1"]
        # Waiting for our lock would wait for ever: we release it only after the join.
        # (How long the claim takes: benchmarks/bench_postgres.py.)
        claiming = threading.Thread(target=lambda: claims.append(other.runs.claim("right", 30, 3)))
        claiming.start()
        claiming.join(60)
        assert not claiming.is_alive(), "the claim waited for rows another runner holds"
    assert [[c.key for c in won] for won in claims] == [["M-2"]]


def test_four_runner_processes_run_every_task_once_though_one_is_killed(
    orch: Orchestrator, db_url: str, tmp_path: Path, backend: str
) -> None:
    count = 2000 if backend == "postgres" else 400
    ledger = tmp_path / "ledger.txt"
    # The doomed runner's commands take long (its environment says how long), so it
    # surely holds tasks when it is killed, however fast the others are.
    work = f'echo "$ORCHESTRATOR_TUI_TASK" >> {ledger}; sleep "${{TEST_SLEEP:-0.1}}"'
    load(orch, count, ["sh", "-c", work], max_retries=1)
    args = ["--until-idle", "--max-parallel", "8", "--poll-seconds", "0.05"]
    args += ["--lease-seconds", "5"]
    names = ["m1", "m2", "m3", "doomed"]

    # The doomed runner starts first and is killed once all the others are running too.
    def runner_process(name: str) -> subprocess.Popen[str]:
        # Output to files: a full pipe nobody reads would stall a runner past its lease.
        out = (tmp_path / f"{name}.out").open("w")
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orchestrator_tui",
                "run",
                "--db",
                db_url,
                *args,
                "--agent",
                name,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TEST_SLEEP": "60" if name == "doomed" else "0.1"},
        )

    runners = {"doomed": runner_process("doomed")}
    try:
        wait_for(lambda: _runs_by(orch, "doomed") >= 1, 120, "the doomed runner getting going")
        for name in names[:3]:
            runners[name] = runner_process(name)
        wait_for(lambda: all(_runs_by(orch, n) for n in names[:3]), 120, "the others starting")
        runners["doomed"].send_signal(signal.SIGKILL)
        codes = {name: runners[name].wait(timeout=600) for name in names[:3]}
    finally:
        for proc in runners.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    with orch.db.read() as conn:
        runs = conn.execute(select(R.task_id, R.agent, R.status)).all()
        statuses = Counter(conn.execute(select(T.status)).scalars())
    assert statuses == {S.DONE.value: count}
    succeeded = Counter(task for task, _, status in runs if status == RunStatus.SUCCEEDED.value)
    assert len(succeeded) == count and set(succeeded.values()) == {1}
    lost = [task for task, _, status in runs if status == RunStatus.LOST.value]
    killed = {task for task, agent, status in runs if agent == "doomed" and status == "lost"}
    assert killed, "the killed runner held tasks when it died"
    rescuers = {a for t, a, s in runs if t in killed and s == RunStatus.SUCCEEDED.value}
    assert rescuers and "doomed" not in rescuers
    assert {a for _, a, s in runs if s == RunStatus.LOST.value} == {"doomed"}, (
        "a live lease ran out"
    )
    assert len(runs) == count + len(lost)
    # A survivor that took over lost runs says so and exits 10 (as `run` does whenever
    # a run was lost); nothing failed.
    reported = 0
    for name, code in codes.items():
        out = (tmp_path / f"{name}.out").read_text()
        found = re.search(r"idle: .* (\d+) failed, (\d+) lost", out)
        assert found, out
        failed, took_over = int(found[1]), int(found[2])
        assert (failed, code) == (0, 10 if took_over else 0), out
        reported += took_over
    assert reported == len(lost)
    executions = Counter(ledger.read_text().split())
    assert len(executions) == count
    # A command runs again only when its run was lost (its lease expired).
    assert sum(executions.values()) <= count + len(lost)


def _runs_by(orch: Orchestrator, agent: str) -> int:
    with orch.db.read() as conn:
        return conn.execute(select(func.count()).where(R.agent == agent)).scalar_one()


@pytest.mark.postgres_only
def test_an_idle_runner_hears_new_work_long_before_its_next_poll(
    orch: Orchestrator, db_url: str
) -> None:
    config = fast_config(agent="listener", until_idle=False, poll_seconds=60.0)
    runner = Runner(orch.as_actor("listener"), config)
    serving = threading.Thread(target=runner.serve)
    serving.start()
    try:
        time.sleep(1.0)  # past its first claim (of nothing): the next poll is a minute away
        orch.tasks.create(TaskSpec(key="NEW", title="new", command=CommandSpec(argv=["true"])))
        # Within a third of the poll interval: only the push can have woken it.
        wait_for(lambda: orch.queries.get_task("NEW").status is S.DONE, 20, "NEW done by a push")
    finally:
        runner.stop()
        serving.join(30)

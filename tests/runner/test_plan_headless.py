"""A plan of 50 tasks in a DAG runs headless with `run --until-idle`, with
approvals granted (and one refused) from the CLI in between."""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.services import Orchestrator

from ..cli.support import run_in_process, run_subprocess
from .helpers import cli

S = TaskStatus
GATES = {"P-9", "P-20", "P-33"}  # require approval
FAILING = {"P-14", "P-41"}  # exit 3 on every attempt
FLAKY = {"P-3"}  # fails on the first attempt only
REJECTED = "P-20"


def build_plan(path: Path) -> dict[str, list[str]]:
    rng = random.Random(5)
    deps: dict[str, list[str]] = {}
    tasks = []
    for i in range(50):
        key = f"P-{i}"
        earlier = [f"P-{j}" for j in range(max(0, i - 8), i)]
        deps[key] = sorted(rng.sample(earlier, min(len(earlier), rng.randint(0, 2))))
        if key in FAILING:
            argv = ["sh", "-c", "echo trying; exit 3"]
        elif key in FLAKY:
            argv = ["sh", "-c", 'test "$ORCHESTRATOR_TUI_ATTEMPT" -gt 1 || exit 1']
        else:
            argv = ["sh", "-c", 'echo "$ORCHESTRATOR_TUI_TASK" ran']
        tasks.append(
            {
                "key": key,
                "title": f"plan step {i}",
                "depends_on": deps[key],
                "command": {"argv": argv},
                "requires_approval": key in GATES,
                "max_retries": 1,
            }
        )
    path.write_text(yaml.safe_dump({"name": "headless", "tasks": tasks}))
    return deps


def expected_statuses(deps: dict[str, list[str]]) -> dict[str, TaskStatus]:
    status: dict[str, TaskStatus] = {}
    for key in sorted(deps, key=lambda k: int(k.split("-")[1])):
        if any(status[d] is not S.DONE for d in deps[key]):
            status[key] = S.PENDING  # waits on something that never finished
        elif key in FAILING or key == REJECTED:
            status[key] = S.FAILED
        else:
            status[key] = S.DONE
    return status


def test_fifty_task_dag_runs_to_the_expected_statuses(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.yaml"
    deps = build_plan(plan)
    assert cli(db_url, "db", "seed", "--plan", str(plan)).code == 0
    run = ["run", "--until-idle", "--agent", "headless", "--max-parallel", "6"]
    run += ["--poll-seconds", "0.05", "--retry-backoff", "0.05"]
    decided: list[str] = []
    for _ in range(10):
        done = cli(db_url, *run)
        failed = "0 failed, 0 lost" not in done.out
        assert done.code == (10 if failed else 0), done.err  # the plan has a failing task
        assert "idle:" in done.out
        waiting = [w.key for w in orch.queries.waiting_approvals()]
        if not waiting:
            break
        for key in waiting:
            if key == REJECTED:
                verdict = cli(db_url, "task", "reject", key, "--comment", "no")
            else:
                verdict = cli(db_url, "task", "approve", key, actor="reviewer")
            assert verdict.code == 0, verdict.err
            decided.append(key)
    expected = expected_statuses(deps)
    reached = {g for g in GATES if expected[g] is not S.PENDING}
    assert REJECTED in reached and len(reached) >= 2
    assert sorted(decided) == sorted(reached)

    actual = {t.key: t.status for t in orch.queries.list_tasks()}
    assert actual == expected
    assert expected["P-3"] is S.DONE  # flaky: failed once, retried, done
    assert [r.exit_code for r in orch.queries.runs_for("P-3")] == [1, 0]
    # A failing task the plan reached ran twice (a retry) and failed both times; one
    # behind an unfinished blocker never ran.
    assert any(expected[key] is S.FAILED for key in FAILING)
    for key in FAILING:
        attempts = [r.exit_code for r in orch.queries.runs_for(key)]
        assert attempts == ([3, 3] if expected[key] is S.FAILED else []), key
    # the runner's agent name is on every run, and it never approved anything itself
    assert {r.agent for t in actual for r in orch.queries.runs_for(t)} == {"headless"}
    assert all(a.actor != "headless" for k in GATES for a in orch.queries.approvals_for(k))


def test_simulate_accepts_the_demo_plan_flags_and_prints_staged_colour() -> None:
    """The `simulate` family's real subprocess (its failing run is called in-process)."""
    args = ["simulate", "--seconds", "0.2", "--fail-chance", "0", "--seed", "3", "--lines", "12"]
    done = run_subprocess(args)
    assert done.code == 0, done.err
    assert "\x1b[" in done.out  # coloured
    assert "▶ planning" in done.out and "▶ running tests" in done.out
    assert "::output-uri https://example.invalid/standalone/pull/" in done.out
    failing = run_in_process(
        ["simulate", "--seconds", "0", "--fail-chance", "1", "--seed", "3", "--exit-code", "5"]
    )
    assert failing.code == 5 and "error:" in failing.err

"""`task next` on the CLI and `next_task` over MCP name the same task: the one a
claim takes (`rules.NEXT_ORDER` over the claimable tasks), whichever door an agent
asks at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.run_model import RetryPolicy, RunResult

from .conftest import AGENT, call, clean_env, session


def cli_next(db: Path) -> str | None:
    """The key `orchestrator-tui task next` prints, None when it says none is ready."""
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", "--db", str(db), "--as", AGENT, "task", "next"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    )
    line = proc.stdout.strip()
    return None if line == "no task is ready" else line.split()[0]


def _plan_where_the_two_orders_differed(orch: Orchestrator) -> None:
    """Tasks a priority-then-fewest-dependencies order over every ready task and
    the claim's order over the claimable ones used to rank differently."""
    orch.tasks.create(TaskSpec(key="BASE", title="Base"))
    orch.tasks.start("BASE")
    orch.tasks.complete("BASE")
    # Equal priority: the older one, though it had a dependency (now done), comes first.
    orch.tasks.create(TaskSpec(key="OLDER", title="Older", depends_on=["BASE"]))
    orch.tasks.create(TaskSpec(key="NEWER", title="Newer"))
    # More urgent, but a person's work: an agent is not offered it.
    orch.tasks.create(TaskSpec(key="SIGN", title="Sign", priority="critical", agent_type="human"))
    # More urgent, but waiting out a retry's delay after a failed run.
    flaky = CommandSpec(argv=["false"])
    orch.tasks.create(
        TaskSpec(key="FLAKY", title="Flaky", priority="high", command=flaky, max_retries=2)
    )
    _fail("FLAKY", orch, retry_in=3600)
    # Least urgent, its retry's short wait already over: offered once the others are taken.
    orch.tasks.create(
        TaskSpec(key="AGAIN", title="Again", priority="low", command=flaky, max_retries=2)
    )
    _fail("AGAIN", orch, retry_in=0.001)


def _fail(key: str, orch: Orchestrator, retry_in: float) -> None:
    """A runner runs the task's command, which fails: it is retried in `retry_in` s."""
    [claim] = orch.runs.claim("runner-1", 60.0, key=key)
    failed = RunResult(claim.run_id, claim.task_id, RunStatus.FAILED, exit_code=1)
    [settled] = orch.runs.finish("runner-1", [failed], RetryPolicy(base_seconds=retry_in))
    assert settled.retry_at is not None


async def test_cli_task_next_and_mcp_next_task_name_the_same_task(
    db: Path, orch: Orchestrator
) -> None:
    _plan_where_the_two_orders_differed(orch)
    offered = []
    async with session(db) as client:
        while True:
            peek = (await call(client, "next_task"))["task"]
            mcp_key = peek["key"] if peek else None
            assert cli_next(db) == mcp_key == getattr(orch.queries.next_ready(), "key", None)
            if mcp_key is None:
                break
            offered.append(mcp_key)
            orch.tasks.start(mcp_key)
    assert offered == ["OLDER", "NEWER", "AGAIN"]

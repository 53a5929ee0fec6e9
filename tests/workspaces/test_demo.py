"""The demo's workspace tasks, run headless: worktrees, a verify gate that
fails once, diffs for review, merge on approve, a dependent on the merged work."""

from __future__ import annotations

from pathlib import Path

from orchestrator_tui.cli.misc_cmds import _load_workspace_demo
from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from ..runner.helpers import fast_config
from .gitrepo import git

S = TaskStatus


def serve(orch: Orchestrator) -> None:
    config = fast_config(agent="demo-runner", agent_types=("coding", "documentation"))
    Runner(orch.as_actor(config.agent), config).serve()


def test_the_workspace_demo(orch: Orchestrator, tmp_path: Path) -> None:
    _load_workspace_demo(orch, tmp_path)
    repo = tmp_path / "demo-repo"
    serve(orch)
    first, second = orch.queries.runs_for("WS-1")
    assert first.status is RunStatus.FAILED and first.error is not None
    assert first.error.startswith("verify failed: `python3 -m unittest -q` exit 1")
    assert second.status is RunStatus.SUCCEEDED
    assert orch.queries.get_task("WS-1").status is S.AWAITING_APPROVAL
    assert orch.queries.get_task("WS-2").status is S.AWAITING_APPROVAL
    assert orch.queries.get_task("WS-3").status is S.PENDING  # waits for WS-1

    found = orch.workspaces.diff("WS-2")
    assert found is not None
    assert [f.path for f in found[0].files] == ["README.md"]
    (run,) = orch.queries.runs_for("WS-2")
    texts = [line.text for line in orch.queries.log_lines(run.id)]
    assert "setup copied .env: GREETER_LANGUAGE=en" in texts

    orch.as_actor("maria").approvals.approve("WS-1")
    assert git(repo, "show", "main:test_greeter.py").count("hello dr ada") == 1
    serve(orch)
    assert orch.queries.get_task("WS-3").status is S.AWAITING_APPROVAL
    summary = orch.workspaces.changes("WS-3")
    assert summary is not None and [f.path for f in summary.files] == ["greeter.py"]
    assert summary.verify == [{"argv": ["python3", "-m", "unittest", "-q"], "exit_code": 0}]

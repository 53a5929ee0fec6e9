"""The demo's simulated agent in a task's worktree: what it says it changed is
what the approver's diff shows, and it never writes outside a worktree."""

from __future__ import annotations

from pathlib import Path

from benchmarks.review_setup import git, make_repo
from orchestrator_tui.domain.agent import AgentUse
from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.domain.workspace import WorkspaceSpec
from orchestrator_tui.services import Orchestrator

from .helpers import serve

ARGS = ["--seconds", "0.2", "--fail-chance", "0", "--seed", "1"]


def _add(orch: Orchestrator, key: str, repo: Path | None, cwd: Path | None = None) -> None:
    workspace = (
        WorkspaceSpec(repo=str(repo), root=str(repo.parent / "wt")) if repo is not None else None
    )
    command = CommandSpec(
        argv=["orchestrator-tui"],
        cwd=str(cwd) if cwd else None,
        agent=AgentUse(profile="simulated", args=ARGS),
        workspace=workspace,
    )
    orch.tasks.create(
        TaskSpec(key=key, title=f"task {key}", command=command, requires_approval=True)
    )


def test_in_a_worktree_it_changes_what_it_says_and_the_diff_shows_it(
    orch: Orchestrator, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    _add(orch, "SIM", repo)
    serve(orch)
    assert orch.queries.get_task("SIM").status is TaskStatus.AWAITING_APPROVAL
    run = orch.queries.runs_for("SIM")[-1]
    changes = orch.workspaces.changes("SIM")
    assert changes is not None and not changes.no_changes
    assert [f.path for f in changes.files] == ["simulated-agent.md"]
    assert (run.summary or "").startswith("Changed 1 file (simulated-agent.md)")
    assert run.outputs.get("files_changed") == "1"
    assert git(repo, "status", "--porcelain") == ""  # the main checkout is untouched
    orch.as_actor("rita").approvals.request_changes("SIM", "one more line")
    serve(orch)
    found = orch.workspaces.diff("SIM")
    assert found is not None
    assert "attempt 1" in found[1] and "attempt 2" in found[1]


def test_outside_a_worktree_it_writes_nothing(orch: Orchestrator, tmp_path: Path) -> None:
    here = tmp_path / "plain"
    here.mkdir()
    _add(orch, "SIM", None, cwd=here)
    serve(orch)
    assert orch.queries.get_task("SIM").status is TaskStatus.AWAITING_APPROVAL
    assert list(here.iterdir()) == []

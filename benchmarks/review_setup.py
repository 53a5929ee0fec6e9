"""A task that ran in a git worktree and awaits review, as the review pane's test
(tests/tui/test_review_pane.py) and its benchmark (`bench_review.py`) set it up:
a real repository, a run claimed and finished, and a diff as large as asked for.
The workspace tests make their repositories with `make_repo` too."""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.domain.workspace import FileChange, WorkspaceSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.runs import RunResult
from orchestrator_tui.workspaces.worktree import Captured


def git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=where, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A repository on `main` with one commit of `files` and an identity set."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test Person")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "commit.gpgsign", "false")
    for name, text in (files or {"README.md": "hello\n"}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def spec(repo: Path) -> WorkspaceSpec:
    return WorkspaceSpec(repo=str(repo), root=str(repo.parent / "wt"), on_approve="merge")  # type: ignore[arg-type]


def start(orch: Orchestrator, key: str, repo: Path) -> int:
    """A task whose command runs in a worktree of `repo` and needs approval, claimed
    by a runner; the run's id."""
    command = CommandSpec(argv=["true"], workspace=spec(repo))
    orch.tasks.create(
        TaskSpec(key=key, title=f"task {key}", command=command, requires_approval=True)
    )
    (claim,) = orch.runs.claim("runner-1", 600, key=key)
    return claim.run_id


def finish(orch: Orchestrator, key: str, run_id: int) -> None:
    task_id = orch.queries.get_task(key).id
    result = RunResult(run_id=run_id, task_id=task_id, status=RunStatus.SUCCEEDED, exit_code=0)
    orch.runs.finish("runner-1", [result])


def huge_captured(total_bytes: int) -> tuple[Captured, int]:
    """A captured diff of about `total_bytes` in files of ~10 KB; its file count."""
    body = "".join(f"+{'x' * 90} {i}\n" for i in range(100))  # ~10 KB per file
    parts: list[str] = []
    files: list[FileChange] = []
    n = 0
    while sum(map(len, parts)) < total_bytes:
        parts.append(f"diff --git a/f{n}.txt b/f{n}.txt\n--- a/f{n}.txt\n+++ b/f{n}.txt\n")
        parts.append("@@ -0,0 +1,100 @@\n" + body)
        files.append(FileChange(path=f"f{n}.txt", added=100, removed=0))
        n += 1
    diff = "".join(parts)
    return Captured("a" * 40, "b" * 40, None, files, diff, len(diff)), n

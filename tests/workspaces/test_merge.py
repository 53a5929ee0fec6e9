"""Merge on approve: fast-forward, merge commit, conflicts aborted, push."""

from __future__ import annotations

from pathlib import Path

from orchestrator_tui.domain.workspace import WorkspaceSpec
from orchestrator_tui.workspaces.merge import merge_for_approval
from orchestrator_tui.workspaces.worktree import capture, prepare

from .gitrepo import git, make_repo


def spec(repo: Path, **kw: object) -> WorkspaceSpec:
    return WorkspaceSpec.model_validate(
        {"repo": str(repo), "root": str(repo.parent / "wt"), "on_approve": "merge", **kw}
    )


def work(repo: Path, key: str, files: dict[str, str], **kw: object) -> Path:
    made = prepare(spec(repo, **kw), key)
    for name, text in files.items():
        (made.layout.path / name).write_text(text)
    capture(made.layout, 1, None, [])
    return made.layout.path


def test_fast_forward_then_merge_commit_then_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"shared.txt": "one\n", "a.txt": "a\n"})
    work(repo, "T-1", {"shared.txt": "one from T-1\n"})
    work(repo, "T-2", {"shared.txt": "one from T-2\n"})
    work(repo, "T-3", {"a.txt": "a from T-3\n"})

    first = merge_for_approval(spec(repo), "T-1")
    assert first.ok and first.message == "fast-forwarded main to task/T-1"
    assert (repo / "shared.txt").read_text() == "one from T-1\n"  # main is checked out here

    second = merge_for_approval(spec(repo), "T-2")
    assert not second.ok
    assert second.conflicts == ["shared.txt"]
    assert "conflicts in shared.txt" in second.message
    assert git(repo, "status", "--porcelain") == ""  # aborted: nothing half merged
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", "task/T-1")

    third = merge_for_approval(spec(repo), "T-3")
    assert third.ok and third.message == "merged task/T-3 into main"
    assert git(repo, "log", "-1", "--format=%P", "main").count(" ") == 1  # a merge commit
    assert (repo / "a.txt").read_text() == "a from T-3\n"
    again = merge_for_approval(spec(repo), "T-3")
    assert again.ok and "already in main" in again.message


def test_merge_into_a_base_not_checked_out_anywhere(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"f.txt": "1\n", "g.txt": "1\n"})
    git(repo, "branch", "release")
    git(repo, "checkout", "-q", "--detach")
    work(repo, "T-1", {"f.txt": "2\n"}, base="release")
    work(repo, "T-2", {"g.txt": "2\n"}, base="release")
    assert merge_for_approval(spec(repo, base="release"), "T-1").ok
    out = merge_for_approval(spec(repo, base="release"), "T-2")
    assert out.ok, out.message
    assert git(repo, "show", "release:f.txt") == "2"
    assert git(repo, "show", "release:g.txt") == "2"
    assert len(git(repo, "worktree", "list").splitlines()) == 3  # repo + two task worktrees


def test_a_dirty_base_checkout_is_not_merged_into(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"f.txt": "1\n"})
    work(repo, "T-1", {"f.txt": "2\n"})
    (repo / "f.txt").write_text("local edit\n")
    out = merge_for_approval(spec(repo), "T-1")
    assert not out.ok and "uncommitted changes" in out.message
    assert (repo / "f.txt").read_text() == "local edit\n"


def test_none_leaves_the_branch_and_push_pushes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"f.txt": "1\n"})
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    work(repo, "T-1", {"f.txt": "2\n"})
    assert merge_for_approval(spec(repo, on_approve="none"), "T-1").ok
    assert git(repo, "rev-parse", "main") != git(repo, "rev-parse", "task/T-1")
    pushed = merge_for_approval(spec(repo, on_approve="push"), "T-1")
    assert pushed.ok, pushed.message
    assert git(remote, "rev-parse", "task/T-1") == git(repo, "rev-parse", "task/T-1")
    failed = merge_for_approval(spec(repo, on_approve="push", remote="nowhere"), "T-1")
    assert not failed.ok and "pushing task/T-1 to nowhere" in failed.message

"""Making, reusing, recovering and removing task worktrees on real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.domain.workspace import WorkspaceSpec
from orchestrator_tui.workspaces.git import WorkspaceError
from orchestrator_tui.workspaces.worktree import capture, layout, prepare, remove

from .gitrepo import git, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"app.py": "x = 1\n", "README.md": "hi\n"})


def spec(repo: Path, **kw: object) -> WorkspaceSpec:
    return WorkspaceSpec.model_validate({"repo": str(repo), "root": str(repo.parent / "wt"), **kw})


def test_a_worktree_on_its_own_branch_off_base(repo: Path) -> None:
    made = prepare(spec(repo), "PAY-1")
    assert made.created
    assert made.layout.path == (repo.parent / "wt" / "PAY-1").resolve()
    assert git(made.layout.path, "branch", "--show-current") == "task/PAY-1"
    assert (made.layout.path / "app.py").read_text() == "x = 1\n"
    again = prepare(spec(repo), "PAY-1")
    assert not again.created and again.layout.path == made.layout.path


def test_default_root_is_beside_the_repository(repo: Path) -> None:
    where = layout(WorkspaceSpec(repo=str(repo)), "A-1")
    assert where.path == repo.parent.resolve() / "repo.worktrees" / "A-1"
    assert where.branch == "task/A-1"


def test_keys_that_look_alike_never_share_a_branch_or_a_folder(repo: Path) -> None:
    keys = ["A-1", "A:1", "a/b", "a-b", "x..y", "q.lock"]
    made = {key: prepare(spec(repo), key) for key in keys}
    assert len({m.layout.path for m in made.values()}) == len(keys)
    assert len({m.layout.branch for m in made.values()}) == len(keys)
    assert made["A-1"].layout.branch == "task/A-1"
    assert made["A:1"].layout.branch.startswith("task/A-1-")


def test_two_tasks_never_share_a_checkout(repo: Path) -> None:
    one, two = prepare(spec(repo), "T-1"), prepare(spec(repo), "T-2")
    assert one.layout.path != two.layout.path
    (one.layout.path / "app.py").write_text("x = 2\n")
    assert (two.layout.path / "app.py").read_text() == "x = 1\n"


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(WorkspaceError, match="is not a git repository"):
        prepare(spec(tmp_path / "plain"), "T-1")
    with pytest.raises(WorkspaceError, match="does not exist"):
        prepare(spec(tmp_path / "nowhere"), "T-1")


def test_missing_base(repo: Path) -> None:
    with pytest.raises(WorkspaceError) as missing:
        prepare(spec(repo, base="develop"), "T-1")
    assert (
        str(missing.value) == f"base 'develop' does not exist in {repo} (its checkout is on 'main')"
    )
    assert not (repo.parent / "wt" / "T-1").exists()


def test_dirty_base_is_refused_and_nothing_is_made(repo: Path) -> None:
    (repo / "app.py").write_text("x = 99\n")
    with pytest.raises(WorkspaceError) as dirty:
        prepare(spec(repo), "T-1")
    assert str(dirty.value) == (
        f"base main has uncommitted changes in {repo} (1 file); commit or stash them first"
    )
    assert not (repo.parent / "wt" / "T-1").exists()
    assert git(repo, "branch", "--list", "task/T-1") == ""


def test_a_foreign_branch_of_the_same_name_is_not_taken_over(repo: Path) -> None:
    git(repo, "branch", "task/T-1")
    with pytest.raises(WorkspaceError, match=r"already exists .* not made for T-1"):
        prepare(spec(repo), "T-1")
    assert not (repo.parent / "wt" / "T-1").exists()


def test_root_inside_the_repository_is_refused(repo: Path) -> None:
    with pytest.raises(WorkspaceError, match="inside the repository"):
        prepare(spec(repo, root=str(repo / "wt")), "T-1")


def test_setup_copies_untracked_files_and_runs_steps(repo: Path) -> None:
    (repo / ".env").write_text("SECRET=1\n")
    (repo / "config").mkdir()
    (repo / "config" / "local.ini").write_text("[x]\n")
    lines: list[str] = []
    made = prepare(
        spec(
            repo,
            setup={
                "copy": [".env", "config/*.ini"],
                "run": [["python3", "-c", "open('setup-ran','w').write('yes')"]],
            },
        ),
        "T-1",
        lines.append,
    )
    assert (made.layout.path / ".env").read_text() == "SECRET=1\n"
    assert (made.layout.path / "config" / "local.ini").exists()
    assert (made.layout.path / "setup-ran").read_text() == "yes"
    assert made.copied == [".env", "config/local.ini"]
    assert "setup: copied .env" in lines
    # the copied files are never committed as the agent's work
    got = capture(made.layout, 1, None, made.copied)
    assert [f.path for f in got.files] == ["setup-ran"]


def test_a_copied_file_the_repository_ignores_does_not_stop_the_commit(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore .env")
    (repo / ".env").write_text("SECRET=1\n")
    made = prepare(spec(repo, setup={"copy": [".env"]}), "T-1")
    (made.layout.path / "app.py").write_text("x = 2\n")
    got = capture(made.layout, 1, None, made.copied)
    assert [f.path for f in got.files] == ["app.py"]


def test_a_failing_setup_leaves_nothing_behind(repo: Path) -> None:
    bad = spec(repo, setup={"run": [["python3", "-c", "import sys; sys.exit(3)"]]})
    with pytest.raises(WorkspaceError, match=r"setup step .* failed \(exit 3\)"):
        prepare(bad, "T-1")
    assert not (repo.parent / "wt" / "T-1").exists()
    assert git(repo, "branch", "--list", "task/T-1") == ""
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_leftover_worktree_folder_deleted_by_hand_is_recovered(repo: Path) -> None:
    import shutil

    made = prepare(spec(repo), "T-1")
    (made.layout.path / "work.txt").write_text("half\n")
    git(made.layout.path, "add", "work.txt")
    git(made.layout.path, "commit", "-q", "-m", "agent work")
    shutil.rmtree(made.layout.path)  # a runner killed, its folder cleaned by someone
    again = prepare(spec(repo), "T-1")
    assert again.created  # registered worktree pruned, our branch checked out again
    assert (again.layout.path / "work.txt").read_text() == "half\n"


def test_killed_run_leftovers_are_reused_with_a_stale_lock_cleared(repo: Path) -> None:
    made = prepare(spec(repo), "T-1")
    (made.layout.path / "new.txt").write_text("left by a killed agent\n")
    gitdir = Path(git(made.layout.path, "rev-parse", "--absolute-git-dir"))
    (gitdir / "index.lock").write_text("")
    again = prepare(spec(repo), "T-1")
    assert not again.created
    got = capture(again.layout, 2, None, [])
    assert got.committed is not None
    assert [f.path for f in got.files] == ["new.txt"]


def test_capture_commits_leftovers_and_reads_the_diff(repo: Path) -> None:
    made = prepare(spec(repo, author="Agent Smith <agent@example.com>"), "T-1")
    (made.layout.path / "app.py").write_text("x = 2\ny = 3\n")
    (made.layout.path / "blob.bin").write_bytes(b"\x00\x01\x02")
    got = capture(made.layout, 1, "Agent Smith <agent@example.com>", [])
    assert got.committed == git(made.layout.path, "rev-parse", "HEAD")
    assert git(made.layout.path, "log", "-1", "--format=%an <%ae>|%s") == (
        "Agent Smith <agent@example.com>|T-1: attempt 1"
    )
    assert got.base_commit == git(repo, "rev-parse", "main")
    by_path = {f.path: f for f in got.files}
    assert (by_path["app.py"].added, by_path["app.py"].removed) == (2, 1)
    assert by_path["blob.bin"].binary
    assert "+y = 3" in got.diff and "Binary files" in got.diff
    assert git(made.layout.path, "status", "--porcelain") == ""


def test_nothing_changed(repo: Path) -> None:
    made = prepare(spec(repo), "T-1")
    got = capture(made.layout, 1, None, [])
    assert got.committed is None and got.files == [] and got.diff == ""


def test_remove_keeps_the_branch(repo: Path) -> None:
    made = prepare(spec(repo), "T-1")
    assert remove(spec(repo), "T-1")
    assert not made.layout.path.exists()
    assert git(repo, "branch", "--list", "task/T-1").strip() == "task/T-1"
    assert not remove(spec(repo), "T-1")


def test_parallel_tasks_in_one_repository_never_trip_on_gits_locks(repo: Path) -> None:
    """Worktrees made at once (threads here, runner processes alike) share the
    repository's config and worktree list; without the repository lock one of
    them fails on `config.lock` now and then."""
    import threading

    workspace = spec(repo)
    errors: list[str] = []

    def make(key: str) -> None:
        try:
            prepare(workspace, key)
        except WorkspaceError as exc:
            errors.append(f"{key}: {exc}")

    for round_ in range(12):
        threads = [threading.Thread(target=make, args=(f"P{round_}-{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(git(repo, "worktree", "list").splitlines()) == 1 + 12 * 6

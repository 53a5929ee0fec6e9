"""The runner with tasks in git worktrees: parallel tasks, diffs, verify gates,
merge on approve, a killed runner, setup steps."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.domain.enums import EventKind, LogStream, RunStatus, TaskStatus
from orchestrator_tui.domain.errors import MergeFailed
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from ..runner.helpers import fast_config, wait_for
from .gitrepo import git, make_repo

S = TaskStatus
PY = sys.executable


def edit(path: str, text: str) -> list[str]:
    """A command that writes `text` into `path` (relative to its cwd) and exits 0."""
    return [PY, "-c", f"open({path!r}, 'w').write({text!r})"]


def add(orch: Orchestrator, key: str, argv: list[str], repo: Path, **kw: Any) -> None:
    command = CommandSpec(
        argv=argv,
        workspace={"repo": str(repo), "root": str(repo.parent / "wt"), **kw.pop("workspace", {})},
        verify=kw.pop("verify", []),
        on_verify_fail=kw.pop("on_verify_fail", "retry"),
    )
    orch.tasks.create(TaskSpec(key=key, title=f"task {key}", command=command, **kw))


def serve(orch: Orchestrator, **kw: Any) -> Runner:
    config = fast_config(**kw)
    runner = Runner(orch.as_actor(config.agent), config)
    runner.serve()
    return runner


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"shared.txt": "original\n"})


def test_parallel_tasks_in_own_worktrees_merge_then_conflict(
    orch: Orchestrator, repo: Path
) -> None:
    merge = {"on_approve": "merge"}
    add(orch, "A", edit("shared.txt", "from A\n"), repo, requires_approval=True, workspace=merge)
    add(orch, "B", edit("shared.txt", "from B\n"), repo, requires_approval=True, workspace=merge)
    orch.tasks.create(
        TaskSpec(key="C", title="after B", depends_on=["B"], command=CommandSpec(argv=["true"]))
    )
    serve(orch, max_parallel=2)
    assert orch.queries.get_task("A").status is S.AWAITING_APPROVAL
    assert orch.queries.get_task("B").status is S.AWAITING_APPROVAL

    a, b = orch.workspaces.diff("A"), orch.workspaces.diff("B")
    assert a is not None and b is not None
    assert a[0].worktree != b[0].worktree
    assert [(f.path, f.added, f.removed) for f in a[0].files] == [("shared.txt", 1, 1)]
    assert "+from A" in a[1] and "-original" in a[1]
    assert "+from B" in b[1]
    assert a[0].committed is not None and a[0].head_commit == a[0].committed

    bob = orch.as_actor("bob")
    bob.approvals.approve("A")
    assert orch.queries.get_task("A").status is S.DONE
    assert (repo / "shared.txt").read_text() == "from A\n"
    assert not Path(a[0].worktree).exists()  # removed once done
    merged = [e for e in orch.queries.timeline("A") if e.kind == EventKind.MERGED]
    assert merged and "fast-forwarded main" in merged[0].data["message"]

    with pytest.raises(MergeFailed, match=r"conflicts in shared\.txt") as info:
        bob.approvals.approve("B")
    assert info.value.conflicts == ["shared.txt"]
    assert orch.queries.get_task("B").status is S.AWAITING_APPROVAL
    assert git(repo, "status", "--porcelain") == ""
    serve(orch)  # C waits on B, which is not done
    assert orch.queries.get_task("C").status is S.PENDING
    assert orch.queries.runs_for("C") == []


def test_a_run_that_changes_nothing_says_so(orch: Orchestrator, repo: Path) -> None:
    add(orch, "A", ["true"], repo)
    serve(orch)
    summary = orch.workspaces.changes("A")
    assert summary is not None and summary.no_changes and summary.committed is None
    assert orch.queries.get_task("A").status is S.DONE


def test_verify_fails_once_then_passes_with_the_failure_as_feedback(
    orch: Orchestrator, repo: Path, tmp_path: Path
) -> None:
    seen = tmp_path / "feedback.txt"
    agent = (
        "import os\n"
        "feedback = os.environ.get('ORCHESTRATOR_TUI_FEEDBACK')\n"
        f"open({str(seen)!r}, 'a').write(repr(feedback) + '\\n')\n"
        "if os.environ['ORCHESTRATOR_TUI_ATTEMPT'] == '2': open('fixed', 'w').write('ok')\n"
    )
    check = (
        "import os, sys\n"
        "if not os.path.exists('fixed'):\n"
        "    print('FAILED test_thing: fixed is missing'); sys.exit(1)\n"
        "print('1 passed')\n"
    )
    add(orch, "A", [PY, "-c", agent], repo, verify=[[PY, "-c", check]], max_retries=1)
    serve(orch)
    first, second = orch.queries.runs_for("A")
    assert first.status is RunStatus.FAILED and first.exit_code == 0
    assert first.error is not None and first.error.startswith("verify failed:")
    verify_lines = [
        line.text for line in orch.queries.log_lines(first.id) if line.stream is LogStream.VERIFY
    ]
    assert verify_lines == ["FAILED test_thing: fixed is missing"]
    assert second.status is RunStatus.SUCCEEDED
    feedback = seen.read_text().splitlines()
    assert feedback[0] == "None"
    assert "FAILED test_thing: fixed is missing" in feedback[1]
    assert orch.queries.get_task("A").status is S.DONE
    assert orch.workspaces.changes("A", second.id).verify[0]["exit_code"] == 0  # type: ignore[index]


def test_a_failing_verify_can_fail_the_task_outright(orch: Orchestrator, repo: Path) -> None:
    add(orch, "A", ["true"], repo, verify=[["false"]], on_verify_fail="fail", max_retries=3)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.error == "verify failed: `false` exit 1"
    assert orch.queries.get_task("A").status is S.FAILED


def test_verify_and_setup_steps_are_said_with_their_arguments_told_apart(
    orch: Orchestrator, repo: Path
) -> None:
    """`sh -c 'exit 3'`, as a shell would read it: `sh -c exit 3` is another command."""
    setup = {"setup": {"run": [["sh", "-c", "echo set up > ready.txt"]]}}
    verify = [["sh", "-c", "exit 3"]]
    add(orch, "A", ["true"], repo, verify=verify, on_verify_fail="fail", workspace=setup)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.error == "verify failed: `sh -c 'exit 3'` exit 3"
    texts = [line.text for line in orch.queries.log_lines(run.id)]
    assert "setup: sh -c 'echo set up > ready.txt'" in texts
    assert "verify: sh -c 'exit 3'" in texts


def test_setup_copies_an_untracked_env_file_for_the_command(orch: Orchestrator, repo: Path) -> None:
    (repo / ".env").write_text("TOKEN=abc\n")
    code = "print(open('.env').read().strip())"
    add(orch, "A", [PY, "-c", code], repo, workspace={"setup": {"copy": [".env"]}})
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    texts = [line.text for line in orch.queries.log_lines(run.id)]
    assert "TOKEN=abc" in texts and "setup: copied .env" in texts
    summary = orch.workspaces.changes("A")
    assert summary is not None and summary.no_changes  # .env is not the agent's work


def test_a_broken_workspace_fails_the_run_with_one_clear_line(
    orch: Orchestrator, tmp_path: Path
) -> None:
    (tmp_path / "plain").mkdir()
    add(orch, "A", ["true"], tmp_path / "plain")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.error == f"workspace: workspace repo {tmp_path / 'plain'} is not a git repository"
    assert orch.queries.get_task("A").status is S.FAILED


def test_without_an_approval_gate_the_merge_happens_when_the_run_ends(
    orch: Orchestrator, repo: Path
) -> None:
    add(orch, "A", edit("new.txt", "hi\n"), repo, workspace={"on_approve": "merge"})
    serve(orch)
    assert orch.queries.get_task("A").status is S.DONE
    assert git(repo, "show", "main:new.txt") == "hi"


def logged(orch: Orchestrator, key: str) -> list[str]:
    """The lines of the task's first run so far."""
    runs = orch.queries.runs_for(key)
    return [line.text for line in orch.queries.log_lines(runs[0].id)] if runs else []


def test_a_killed_runner_leaves_a_worktree_the_next_runner_reuses(
    orch: Orchestrator, db_url: str, repo: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import os, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "attempt = os.environ['ORCHESTRATOR_TUI_ATTEMPT']\n"
        "open('attempt-' + attempt, 'w').write('x')\n"
        "print('working', flush=True)\n"
        "if attempt == '1':\n"
        "    time.sleep(60)\n"
    )
    add(orch, "A", [PY, "-c", code], repo, max_retries=1)
    argv = [PY, "-m", "orchestrator_tui", "run", "--db", db_url, "--agent", "doomed"]
    doomed = subprocess.Popen(
        [*argv, "--lease-seconds", "1", "--poll-seconds", "0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Its own output, not the runner's "workspace: ..." lines: the file is written.
        wait_for(lambda: "working" in logged(orch, "A"))
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        serve(orch, agent="rescuer", lease_seconds=1.0)
    finally:
        doomed.kill()
        doomed.wait()
    first, second = orch.queries.runs_for("A")
    assert first.status is RunStatus.LOST and second.status is RunStatus.SUCCEEDED
    texts = [line.text for line in orch.queries.log_lines(second.id)]
    assert any(t.startswith("workspace: reusing ") for t in texts)
    summary = orch.workspaces.changes("A")
    assert summary is not None
    assert sorted(f.path for f in summary.files) == ["attempt-1", "attempt-2"]
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # done: removed


def test_the_command_learns_its_worktree_and_branch(orch: Orchestrator, repo: Path) -> None:
    code = (
        "import os\n"
        "print(os.getcwd() == os.environ['ORCHESTRATOR_TUI_WORKSPACE'])\n"
        "print(os.environ['ORCHESTRATOR_TUI_BRANCH'])\n"
    )
    add(orch, "A", [PY, "-c", code], repo, workspace={"branch": "agents/{key}"})
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    texts = [line.text for line in orch.queries.log_lines(run.id)]
    assert "True" in texts and "agents/A" in texts


def test_verify_without_a_workspace_runs_in_the_command_cwd(
    orch: Orchestrator, tmp_path: Path
) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "marker").write_text("x")
    check = [PY, "-c", "import os, sys; sys.exit(0 if os.path.exists('marker') else 5)"]
    command = CommandSpec(argv=["true"], cwd=str(tmp_path / "here"), verify=[check, ["false"]])
    orch.tasks.create(TaskSpec(key="A", title="t", command=command))
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.error == "verify failed: `false` exit 1"  # the first passed in its cwd
    assert orch.workspaces.changes("A") is None


def test_a_cancelled_tasks_worktree_is_removed_by_the_next_runner(
    orch: Orchestrator, repo: Path
) -> None:
    add(orch, "A", edit("f.txt", "x"), repo, requires_approval=True)
    add(orch, "B", edit("g.txt", "x"), repo, requires_approval=True, workspace={"keep": True})
    serve(orch)
    worktrees = {k: Path(orch.workspaces.changes(k).worktree) for k in "AB"}  # type: ignore[union-attr]
    assert all(p.exists() for p in worktrees.values())
    for key in "AB":
        orch.tasks.transition(key, S.CANCELLED, reason="not needed")
    serve(orch)
    assert not worktrees["A"].exists() and worktrees["B"].exists()  # B says keep
    assert git(repo, "branch", "--list", "task/A").strip() == "task/A"

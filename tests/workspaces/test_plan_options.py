"""Plan files accept workspace, verify, on_verify_fail and on_approve."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.workspace import OnApprove, OnVerifyFail
from orchestrator_tui.services import Orchestrator

PLAN = """
name: review
workspace:
  repo: ./code
  base: main
  setup: {copy: [.env]}
tasks:
  - key: A
    title: edit
    command: {argv: [make, edit]}
    verify: [[make, test]]
    on_verify_fail: fail
    on_approve: merge
    requires_approval: true
  - key: B
    title: own workspace
    command: {argv: ["true"]}
    workspace: {repo: /elsewhere, branch: "agents/{key}", keep: true}
  - key: C
    title: a person's task
"""


def test_plan_options_fold_into_the_command(orch: Orchestrator, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    orch.plans.load_file(path)
    a = orch.queries.get_task("A").command
    assert a is not None and a.workspace is not None
    assert a.workspace.repo == str(tmp_path / "code")
    assert a.workspace.setup.copy_files == [".env"]
    assert a.workspace.on_approve is OnApprove.MERGE
    assert (a.verify, a.on_verify_fail) == ([["make", "test"]], OnVerifyFail.FAIL)
    b = orch.queries.get_task("B").command
    assert b is not None and b.workspace is not None
    assert (b.workspace.repo, b.workspace.branch_for("B"), b.workspace.keep) == (
        "/elsewhere",
        "agents/B",
        True,
    )
    assert orch.queries.get_task("C").command is None
    again = orch.plans.load_file(path)
    assert again.unchanged == 3  # loading the same plan twice changes nothing


def test_verify_without_a_command_is_refused(orch: Orchestrator, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("tasks:\n  - key: A\n    title: t\n    verify: [[make, test]]\n")
    with pytest.raises(ValidationFailed, match="need a command to run"):
        orch.plans.load_file(path)
    path.write_text(
        "tasks:\n  - key: A\n    title: t\n    command: {argv: [x]}\n    on_approve: merge\n"
    )
    with pytest.raises(ValidationFailed, match="on_approve needs a workspace"):
        orch.plans.load_file(path)
    path.write_text("tasks:\n  - key: A\n    title: t\n    command: {argv: [x]}\n    verify: [x]\n")
    with pytest.raises(ValidationFailed, match="verify"):
        orch.plans.load_file(path)
    assert orch.queries.count_tasks() == 0


def test_a_task_doing_the_plans_agent_takes_its_own_verify_and_workspace(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """The plan's `agent:` makes a task without a command an agent task, and an
    agent task takes `verify`, `workspace` and `on_approve` like a command."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        "agent: {profile: claude, model: sonnet}\n"
        "workspace: {repo: ./code}\n"
        "tasks:\n"
        "  - key: A\n    title: t\n    verify: [[make, test]]\n    on_approve: merge\n"
        "  - key: B\n    title: t\n    workspace: {repo: ./other}\n"
        "  - key: C\n    title: t\n"
    )
    orch.plans.load_file(path)
    a = orch.queries.get_task("A").command
    assert a is not None and a.agent is not None and a.workspace is not None
    assert (a.agent.profile, a.agent.model) == ("claude", "sonnet")
    assert a.verify == [["make", "test"]]
    assert (a.workspace.repo, a.workspace.on_approve) == (str(tmp_path / "code"), OnApprove.MERGE)
    b = orch.queries.get_task("B").command
    assert b is not None and b.agent is not None and b.workspace is not None
    assert (b.agent.profile, b.workspace.repo) == ("claude", str(tmp_path / "other"))
    c = orch.queries.get_task("C").command
    assert c is not None and c.agent is not None and c.workspace is not None
    assert c.workspace.repo == str(tmp_path / "code")
    # A person's task is no agent's: its verify still has nothing to run.
    path.write_text(
        "agent: claude\ntasks:\n"
        "  - key: H\n    title: t\n    agent_type: human\n    verify: [[make, test]]\n"
    )
    with pytest.raises(ValidationFailed, match="need a command to run"):
        orch.plans.load_file(path)
    assert orch.queries.count_tasks() == 3


@pytest.mark.parametrize("cwd", ["plan folder", "elsewhere"])
def test_import_reads_relative_workspace_paths_from_the_plans_folder(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    """`import plan.yaml` (the command line's and the TUI's ctrl+o) as `db seed --plan`
    does: `repo` and `root` relative to the plan file's folder, whatever the current
    folder, so the runner later finds the repository wherever it runs."""
    from orchestrator_tui.services.importers import import_path

    folder = tmp_path / "plans"
    folder.mkdir()
    monkeypatch.chdir(folder if cwd == "plan folder" else tmp_path)
    path = folder / "plan.yaml"
    path.write_text(PLAN)
    import_path(orch, path)
    a = orch.queries.get_task("A").command
    assert a is not None and a.workspace is not None
    assert a.workspace.repo == str(tmp_path / "plans" / "code")
    b = orch.queries.get_task("B").command
    assert b is not None and b.workspace is not None and b.workspace.repo == "/elsewhere"


def test_a_plans_relative_cwd_is_read_from_its_folder(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`command: {argv: [pytest, -q], cwd: .}` runs in the plan's folder, wherever the
    runner (or the person importing it) is."""
    from orchestrator_tui.services.importers import import_path

    folder = tmp_path / "plans"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    path = folder / "plan.yaml"
    path.write_text(
        "tasks:\n"
        "  - {key: A, title: a, command: {argv: [pytest, -q], cwd: .}}\n"
        "  - {key: B, title: b, command: {argv: [make], cwd: ../src}}\n"
        "  - {key: C, title: c, command: {argv: [make], cwd: /srv}}\n"
        "  - {key: D, title: d, command: {argv: [make], cwd: ~/x}}\n"
    )
    import_path(orch, path)
    cwds = [orch.queries.get_task(k).command.cwd for k in "ABCD"]  # type: ignore[union-attr]
    assert cwds == [str(folder), str(tmp_path / "src"), "/srv", "~/x"]
    orch.plans.load_file(path)  # `db seed --plan`: the same folders, nothing changed
    assert [orch.queries.get_task(k).command.cwd for k in "ABCD"] == cwds  # type: ignore[union-attr]


def test_a_refusal_of_the_whole_plan_reads_as_one_sentence(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """No `top level: Value error,` from the validation library before our own words."""
    path = tmp_path / "plan.yaml"
    path.write_text("tasks:\n  - key: A\n    title: t\n    verify: [[make, test]]\n")
    with pytest.raises(ValidationFailed) as refused:
        orch.plans.load_file(path)
    assert str(refused.value) == (
        f"{path}: tasks[0] (A): workspace, verify and on_approve need a command to run"
    )

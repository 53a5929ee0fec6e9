"""The edit form's Agent and Workspace fields: what the database holds after
changing them, and what the form refuses (keeping what was typed, writing nothing)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from orchestrator_tui.domain.agent import AgentUse
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.domain.workspace import WorkspaceSpec
from orchestrator_tui.ui.modals.task_form import TaskForm

from .conftest import add, notes, settle, wait_until
from .test_editing import fill, form_error, git_repo, save


@pytest.fixture(autouse=True)
def _builtin_profiles(tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own


async def open_edit_form(pilot, app) -> TaskForm:
    """The edit form of the selected task, opened with `e`, once it has read the task."""
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, TaskForm)
    await wait_until(pilot, lambda: form.reading is None, "the task read")
    return form


def typed(form: TaskForm) -> dict[str, str]:
    return {f: form.query_one(f, Input).value for f in ("#agent", "#model", "#repo", "#base")}


async def test_the_edit_form_changes_the_model_then_the_agent(orch, make):
    agent = AgentUse(profile="claude", model="opus", args=["--max-turns", "3"])
    add(orch, "A", "agent's task", command=CommandSpec(argv=["claude"], agent=agent))
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_edit_form(pilot, app)
        assert typed(form) == {"#agent": "claude", "#model": "opus", "#repo": "", "#base": ""}
        fill(form, {"#model": "sonnet"})
        await save(pilot)
        await wait_until(pilot, lambda: orch.queries.get_task("A").version == 2, "saved")
        command = orch.queries.get_task("A").command
        assert command is not None and command.agent is not None
        # the same agent keeps its arguments
        assert (command.agent.profile, command.agent.model) == ("claude", "sonnet")
        assert command.agent.args == ["--max-turns", "3"] and command.argv == ["claude"]
        form = await open_edit_form(pilot, app)
        fill(form, {"#agent": "codex", "#model": ""})
        await save(pilot)
        await wait_until(pilot, lambda: orch.queries.get_task("A").version == 3, "saved")
    command = orch.queries.get_task("A").command
    assert command is not None and command.agent is not None
    # another agent: its own program, none of the old agent's model or arguments
    assert command.argv == ["codex"]
    assert (command.agent.profile, command.agent.model, command.agent.args) == ("codex", None, [])
    edit = orch.queries.timeline("A")[-1]
    assert edit.kind == "task_edited" and set(edit.data["after"]) == {"command"}


async def test_the_edit_form_gives_a_command_task_an_agent_and_a_worktree(orch, make, tmp_path):
    repo = git_repo(tmp_path / "shop")
    add(orch, "A", "tests", command=CommandSpec(argv=["pytest", "-q"], timeout_seconds=60))
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_edit_form(pilot, app)
        fill(form, {"#title": "tests, by an agent", "#agent": "claude", "#model": "opus"})
        fill(form, {"#repo": str(repo), "#base": "develop"})
        await save(pilot)
        await wait_until(pilot, lambda: orch.queries.get_task("A").version == 2, "saved")
        assert any("A saved" in m for m in notes(app))
    task = orch.queries.get_task("A")
    command = task.command
    assert task.title == "tests, by an agent"
    assert command is not None and command.agent is not None
    assert command.argv == ["claude"] and command.timeout_seconds == 60
    assert (command.agent.profile, command.agent.model) == ("claude", "opus")
    assert command.workspace is not None
    assert (command.workspace.repo, command.workspace.base) == (str(repo.resolve()), "develop")


async def test_the_edit_form_refuses_and_keeps_what_was_typed(orch, make, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    shop = git_repo(tmp_path / "shop")
    in_shop = WorkspaceSpec(repo=str(shop.resolve()), base="develop")
    agent = AgentUse(profile="claude")
    add(orch, "A", "agent's", command=CommandSpec(argv=["claude"], agent=agent, workspace=in_shop))
    add(orch, "B", "a person's task")
    before = {k: orch.queries.get_task(k).model_dump() for k in "AB"}
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_edit_form(pilot, app)
        refusals = [
            (
                {"#agent": "claud"},
                "agent.profile: unknown agent profile 'claud'; did you mean claude?"
                " (known: aider, claude,",
            ),
            ({"#agent": "bad name!"}, "agent.profile: String should match pattern"),
            ({"#agent": ""}, "agent: cannot be emptied here (task edit A -- COMMAND replaces it)"),
            ({"#agent": "", "#model": "opus"}, "agent: a model needs an agent"),
            ({"#agent": "claude", "#model": "", "#repo": ""}, "repository: a task's worktree"),
            ({"#repo": str(plain)}, f"repository: {plain} is not a git repository"),
        ]
        for change, refusal in refusals:
            fill(form, change)
            now = typed(form)
            await save(pilot)
            await wait_until(pilot, lambda r=refusal: form_error(form).startswith(r), refusal)
            assert app.screen is form and typed(form) == now
        await pilot.press("escape", "j")
        form = await open_edit_form(pilot, app)
        assert form.editing is not None and form.editing.key == "B"
        for change, refusal in [
            ({"#base": "dev"}, "base branch needs something to run: a command or an agent"),
            (
                {"#base": "", "#repo": str(shop)},
                "repository needs something to run: a command or an agent",
            ),
            ({"#repo": "", "#model": "opus"}, "agent: a model needs an agent"),
        ]:
            fill(form, change)
            now = typed(form)
            await save(pilot)
            await wait_until(pilot, lambda r=refusal: form_error(form) == r, refusal)
            assert app.screen is form and typed(form) == now
        assert notes(app) == []
    assert {k: orch.queries.get_task(k).model_dump() for k in "AB"} == before

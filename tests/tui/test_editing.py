"""Adding and editing tasks, adding and removing dependencies."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from benchmarks.review_setup import git, make_repo
from orchestrator_tui.ui.modals.prompt import PickTask, TextPrompt
from orchestrator_tui.ui.modals.task_form import TaskForm

from .conftest import (
    ACTOR,
    add,
    main_screen,
    notes,
    press_on,
    screen_text,
    settle,
    started,
    wait_until,
)


async def open_new_task_form(pilot, app) -> TaskForm:
    """The new-task form, opened with `n` once the app has settled."""
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, TaskForm)
    return app.screen


def fill(form: TaskForm, values: dict[str, str]) -> None:
    """Type each value into the form's input of that id."""
    for field, value in values.items():
        form.query_one(field, Input).value = value


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


def form_error(form: TaskForm) -> str:
    return str(form.query_one("#dialog-error").render())


async def test_new_task_from_the_form(orch, make):
    add(orch, "A", "first")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        fill(form, {"#title": "Write the changelog", "#hours": "2.5", "#depends": "A"})
        await save(pilot)
        table = main_screen(app).table
        await wait_until(  # the new row's page may arrive after the write's own worker
            pilot,
            lambda: (
                table.cursor_row is not None and table.cursor_row.title == "Write the changelog"
            ),
            "the cursor on the new task",
        )
    rows = orch.queries.list_tasks()
    assert [r.title for r in rows] == ["first", "Write the changelog"]
    created = orch.queries.get_task(rows[1].key)
    assert created.estimated_hours == 2.5
    assert [b.key for b in created.blockers] == ["A"]
    assert orch.queries.timeline(created.key)[0].actor == ACTOR


async def test_new_task_with_an_unknown_dependency_writes_nothing(orch, make):
    add(orch, "A", "first")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        fill(form, {"#title": "orphan", "#depends": "NOPE-1"})
        await save(pilot)
        assert any("NOPE-1" in m for m in notes(app))
    assert orch.queries.count_tasks() == 1


async def test_edit_changes_only_what_was_changed(orch, make):
    add(orch, "A", "old title", description="keep me", assignee="bob")
    app = make()
    async with started(app) as pilot:
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TaskForm)
        assert form.query_one("#title", Input).value == "old title"
        form.query_one("#title", Input).value = "new title"
        await save(pilot)
    task = orch.queries.get_task("A")
    assert (task.title, task.description, task.assignee) == ("new title", "keep me", "bob")
    edit = orch.queries.timeline("A")[-1]
    assert edit.kind == "task_edited" and set(edit.data["after"]) == {"title"}


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_edit_form_shows_what_runs_the_task_and_where(orch, make, size):
    """A task given to a coding agent in a git worktree: the edit form says which
    agent and model, and which repository and base branch."""
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.models import CommandSpec
    from orchestrator_tui.domain.workspace import WorkspaceSpec

    command = CommandSpec(
        argv=["claude"],
        agent=AgentUse(profile="claude", model="opus"),
        workspace=WorkspaceSpec(repo="/srv/payments", base="develop"),
    )
    add(orch, "A", "agent's task", command=command)
    add(orch, "B", "a person's task")
    app = make()
    async with started(app, size) as pilot:
        await pilot.press("e")
        await settle(pilot)
        text = screen_text(app)
        assert "claude, model opus" in text, text
        assert "/srv/payments" in text and "develop" in text, text
        await pilot.press("escape", "j", "e")
        await settle(pilot)
        text = screen_text(app)
        assert "Edit B" in text and "nothing: no command or agent" in text, text


async def test_keys_typed_while_the_edit_form_reads_are_dropped_if_it_cannot(
    orch, make, monkeypatch
):
    """The edit form opens on `e` and reads its task; a key typed meanwhile waits for
    its title. When the task cannot be read the form closes and the key is dropped:
    it never starts the task under it."""
    import threading

    from orchestrator_tui.domain.errors import NotFound

    add(orch, "A", "first")
    app = make()
    async with started(app) as pilot:
        typed = threading.Event()

        def vanished(key: str) -> None:
            typed.wait(5)  # the read ends only after `s` was typed
            raise NotFound(f"no task {key}")

        monkeypatch.setattr(app.orch_provider().queries, "get_task", vanished)
        await pilot.press("e", "s")
        typed.set()
        await settle(pilot)
        assert not isinstance(app.screen, TaskForm)
        assert any("no task A" in m for m in notes(app)), notes(app)
        await settle(pilot)
    assert orch.queries.get_task("A").status.value == "pending"


async def test_add_and_remove_a_dependency(orch, make):
    add(orch, "A", "first")
    add(orch, "B", "second")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "B", "D")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("A", "enter")
        await settle(pilot)
        assert [b.key for b in orch.queries.get_task("B").blockers] == ["A"]
        assert main_screen(app).table.cursor_row.readiness.value == "waiting"
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, PickTask)
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        await settle(pilot)
    assert orch.queries.get_task("B").blockers == []


async def test_a_cycle_is_refused_with_the_cycle_named(orch, make):
    add(orch, "A", "first")
    add(orch, "B", "second", depends_on=["A"])
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "A", "D")
        await pilot.press("B", "enter")
        await settle(pilot)
        messages = notes(app)
        assert any("cycle" in m and "A" in m and "B" in m for m in messages), messages
    assert orch.queries.get_task("A").blockers == []


async def test_remove_dependency_on_a_task_without_any(orch, make):
    add(orch, "A", "first")
    app = make()
    async with started(app) as pilot:
        await pilot.press("U")
        await settle(pilot)
        assert not isinstance(app.screen, PickTask)
        assert any("no dependencies" in m for m in notes(app))


async def test_the_form_creates_a_runnable_task(orch, make):
    from textual.widgets import Select

    add(orch, "A", "first")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        fill(form, {"#title": "Run the tests", "#key": "QA-7"})
        form.query_one("#agent-type", Select).value = "testing"
        fill(
            form,
            {
                "#command": "pytest -q 'tests/a b.py'",
                "#criteria": "all green; no new warnings",
                "#depends": "A",
            },
        )
        form.query_one("#dep-type", Select).value = "enhances"
        await save(pilot)
        assert not isinstance(app.screen, TaskForm)
    task = orch.queries.get_task("QA-7")
    assert task.command is not None and task.command.argv == ["pytest", "-q", "tests/a b.py"]
    assert task.agent_type is not None and task.agent_type.value == "testing"
    assert task.success_criteria == ["all green", "no new warnings"]
    assert [(b.key, b.type.value) for b in task.blockers] == [("A", "enhances")]


async def test_the_form_gives_the_task_to_a_coding_agent(orch, make, tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        fill(
            form,
            {
                "#title": "Fix the login timeout",
                "#key": "FIX-1",
                "#agent": "claude",
                "#model": "sonnet",
            },
        )
        await save(pilot)
        assert not isinstance(app.screen, TaskForm)
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 1, "the task written")
    command = orch.queries.get_task("FIX-1").command
    assert command is not None and command.argv == ["claude"]
    assert command.agent is not None and (command.agent.profile, command.agent.model) == (
        "claude",
        "sonnet",
    )


async def test_an_unknown_agent_is_named_in_the_form_which_keeps_what_was_typed(
    orch, make, tmp_path, monkeypatch
):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        typed = {"#title": "Fix the login timeout", "#key": "FIX-2", "#agent": "claud"}
        typed["#model"] = "sonnet"
        fill(form, typed)
        await save(pilot)
        assert app.screen is form
        error = form_error(form)
        assert error.startswith(
            "agent.profile: unknown agent profile 'claud'; did you mean claude?"
            " (known: aider, claude,"
        )
        assert {f: form.query_one(f, Input).value for f in typed} == typed
        assert notes(app) == []
        form.query_one("#agent", Input).value = "command"  # needs a command of its own
        await save(pilot)
        assert app.screen is form
        error = form_error(form)
        assert error == "agent.profile: `command` needs the task's command"
        form.query_one("#agent", Input).value = "claude"
        await save(pilot)
        assert not isinstance(app.screen, TaskForm)
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 1, "the task written")
    assert orch.queries.get_task("FIX-2").command.agent.profile == "claude"


def git_repo(folder: Path) -> Path:
    """A repository on `main` with one commit, and a branch `develop` from it."""
    make_repo(folder)
    git(folder, "branch", "develop")
    return folder


async def test_the_form_gives_the_task_a_git_worktree(orch, make, tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own
    repo = git_repo(tmp_path / "shop")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        typed = {"#title": "Fix the login timeout", "#key": "FIX-3", "#agent": "codex"}
        fill(form, {**typed, "#repo": str(repo), "#base": "develop"})
        await save(pilot)
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 1, "the task written")
        assert not isinstance(app.screen, TaskForm)
        form = await open_new_task_form(pilot, app)  # a command of one's own, no agent
        fill(form, {"#title": "Run the tests", "#key": "T", "#command": "pytest -q"})
        fill(form, {"#repo": str(repo)})
        await save(pilot)
        await wait_until(pilot, lambda: orch.queries.count_tasks() == 2, "the task written")
    command = orch.queries.get_task("FIX-3").command
    assert command is not None and command.argv == ["codex"]
    assert command.agent is not None and command.agent.profile == "codex"
    assert command.workspace is not None
    assert (command.workspace.repo, command.workspace.base) == (str(repo.resolve()), "develop")
    command = orch.queries.get_task("T").command
    assert command is not None and command.argv == ["pytest", "-q"]
    assert command.workspace is not None and command.workspace.repo == str(repo.resolve())
    assert command.workspace.base == "main"


async def test_a_workspace_refused_in_the_form_which_keeps_what_was_typed(
    orch, make, tmp_path, monkeypatch
):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own
    plain = tmp_path / "plain"
    plain.mkdir()
    missing = tmp_path / "nowhere"
    shop = git_repo(tmp_path / "shop")
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        typed = {"#title": "Fix it", "#agent": "claude", "#repo": str(plain), "#base": "dev"}
        refusals = [
            ({}, f"repository: {plain} is not a git repository"),
            ({"#repo": str(missing)}, f"repository: {missing} is not a folder"),
            ({"#repo": ""}, "base branch needs a repository"),
            (
                {"#repo": str(shop)},
                f"base branch: base 'dev' does not exist in {shop.resolve()} "
                "(its checkout is on 'main')",
            ),
            (
                {"#base": "develop", "#agent": ""},
                "repository needs something to run: a command or an agent",
            ),
        ]
        for change, refusal in refusals:
            typed.update(change)
            fill(form, typed)
            await save(pilot)
            await wait_until(pilot, lambda r=refusal: form_error(form) == r, refusal)
            assert app.screen is form
            assert {f: form.query_one(f, Input).value for f in typed} == typed
        assert notes(app) == []
    assert orch.queries.count_tasks() == 0


async def test_the_form_says_what_is_wrong_and_keeps_the_dialog(orch, make):
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        form = await open_new_task_form(pilot, app)
        fill(form, {"#title": "bad", "#command": "echo 'unclosed"})
        await save(pilot)
        assert isinstance(app.screen, TaskForm)
        assert "command:" in form_error(form)
        fill(form, {"#command": "", "#key": "bad key!"})
        await save(pilot)
        assert isinstance(app.screen, TaskForm)
        assert "key:" in form_error(form)
        fill(form, {"#key": "", "#model": "opus"})
        await save(pilot)
        assert isinstance(app.screen, TaskForm)
        assert "agent: a model needs an agent" in form_error(form)
        fill(form, {"#model": "", "#hours": "two"})
        await save(pilot)
        assert isinstance(app.screen, TaskForm)
        assert form_error(form) == "estimated hours must be a number"
        fill(form, {"#hours": "", "#command": "'' --flag"})  # a rule of ours, in its words
        await save(pilot)
        assert isinstance(app.screen, TaskForm)
        assert form_error(form) == "command.argv: the program (first argument) is empty"
    assert orch.queries.count_tasks() == 0


async def test_add_dependency_completes_keys_and_ignores_case(orch, make):
    for key in ("PAY-1", "PAY-10", "PAY-2", "OPS-1"):
        add(orch, key, f"task {key}")
    app = make()
    async with started(app) as pilot:
        await press_on(pilot, "OPS-1", "D")
        field = app.screen.query_one(Input)
        await pilot.press(*"pay-")
        await wait_until(pilot, lambda: field._suggestion == "PAY-1", "a completion")
        await pilot.press("1", "0")
        await wait_until(pilot, lambda: field._suggestion == "PAY-10", "PAY-10")
        await pilot.press("right")  # accept the completion: the key as it is written
        assert field.value == "PAY-10"
        await pilot.press("enter")
        await settle(pilot)
        assert [b.key for b in orch.queries.get_task("OPS-1").blockers] == ["PAY-10"]
        await pilot.press("D")
        await settle(pilot)
        await pilot.press(*"pay-2", "enter")  # typed in lower case: still PAY-2
        await settle(pilot)
        assert sorted(b.key for b in orch.queries.get_task("OPS-1").blockers) == [
            "PAY-10",
            "PAY-2",
        ]
        assert any("OPS-1 now waits for PAY-2" in m for m in notes(app))

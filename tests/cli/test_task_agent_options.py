"""`task add` / `task edit` say what a task runs: a command, a coding agent (with its
model and arguments), a git worktree; an edit changes only the parts it names."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest import mock

import pytest

from benchmarks.review_setup import git, make_repo

from ..agents.helpers import FAKE
from .conftest import Cli


def command_of(cli: Cli, key: str) -> dict:
    return cli.ok("task", "show", key, "--json").json()["command"]


def test_an_agent_task_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "branch", "develop")
    out = cli.ok(
        "task", "add", "Fix the login timeout", "--key", "FIX",
        "--agent", "claude", "--model", "sonnet",
        "--agent-arg=--max-turns", "--agent-arg", "3",
        "--workspace", str(repo), "--base", "develop", "--timeout", "600",
    ).out  # fmt: skip
    assert out.startswith("FIX added: now pending\n")
    command = command_of(cli, "FIX")
    assert command["argv"] == ["claude"]  # the profile's program
    assert command["timeout_seconds"] == 600
    assert command["agent"]["profile"] == "claude"
    assert command["agent"]["model"] == "sonnet"
    assert command["agent"]["args"] == ["--max-turns", "3"]
    assert command["workspace"]["repo"] == str(repo.resolve())
    assert command["workspace"]["base"] == "develop"

    shown = cli.ok("task", "show", "FIX").out.splitlines()
    assert "  agent      claude, model sonnet, args --max-turns 3" in shown
    assert f"  workspace  {repo.resolve()} (a worktree from develop)" in shown
    assert not any(line.startswith("  command ") for line in shown)


def test_what_runs_is_shown_with_its_arguments_told_apart(cli: Cli) -> None:
    """An argument with a space is quoted as a shell would, so what `task show` says
    is the command that runs (the runner's `start` line writes it the same way)."""
    cli.ok("task", "add", "Docs", "--key", "D", "--", "sh", "-c", "mkdir -p docs && echo hi")
    cli.ok("task", "add", "Ask", "--key", "A", "--agent", "simulated", "--agent-arg=--ask")
    cli.ok("task", "edit", "A", "--agent-arg=--ask", "--agent-arg", "Which one?")
    assert "  command    sh -c 'mkdir -p docs && echo hi'" in cli.ok("task", "show", "D").out
    assert "  agent      simulated, args --ask 'Which one?'" in cli.ok("task", "show", "A").out


def test_show_says_where_a_command_runs(cli: Cli, tmp_path: Path) -> None:
    """`--cwd` (or a plan's `cwd:`) is where the agent or command runs: `task show`
    says it, as it says a worktree's repository."""
    (tmp_path / "shop").mkdir()
    cli.ok("task", "add", "Fix", "--key", "F", "--agent", "codex", "--cwd", str(tmp_path / "shop"))
    shown = cli.ok("task", "show", "F").out.splitlines()
    assert f"  cwd        {tmp_path / 'shop'}" in shown


def test_a_base_branch_the_repository_lacks_is_refused_when_it_is_given(
    cli: Cli, tmp_path: Path
) -> None:
    """Checked as the task is added or edited, not first when it runs: one line,
    exit 7, nothing written."""
    repo = make_repo(tmp_path / "repo")  # on main, with no develop
    cli.ok("db", "init")
    where = repo.resolve()
    missing = f"base 'develop' does not exist in {where} (its checkout is on 'main')"
    add = ("task", "add", "x", "--key", "X", "--agent", "codex", "--workspace", str(repo))
    assert cli.fails(7, *add, "--base", "develop") == f"error: --base: {missing}"
    assert cli.count("SELECT COUNT(*) FROM tasks") == 0
    cli.ok(*add)  # main, the base a workspace has unless told, exists
    assert cli.fails(7, "task", "edit", "X", "--base", "develop") == f"error: --base: {missing}"
    assert command_of(cli, "X")["workspace"]["base"] == "main"
    git(repo, "checkout", "-q", "-b", "trunk")
    git(repo, "branch", "-q", "-D", "main")
    line = cli.fails(7, "task", "add", "y", "--agent", "codex", "--workspace", str(repo))
    assert (
        line == f"error: --base: base 'main' does not exist in {where} (its checkout is on 'trunk')"
    )
    assert cli.count("SELECT COUNT(*) FROM tasks") == 1


def test_command_options_without_anything_to_run_are_refused(cli: Cli, tmp_path: Path) -> None:
    cli.ok("task", "add", "first", "--key", "A")
    tasks = cli.count("SELECT COUNT(*) FROM tasks")
    line = cli.fails(2, "task", "add", "x", "--timeout", "5")
    assert line == "error: --timeout needs something to run: a command after -- or an --agent"
    assert cli.fails(2, "task", "add", "x", "--model", "opus", "--", "true") == (
        "error: --model needs an --agent"
    )
    assert cli.fails(2, "task", "add", "x", "--base", "dev", "--agent", "codex") == (
        "error: --base needs a --workspace"
    )
    line = cli.fails(7, "task", "add", "x", "--agent", "claud")
    assert line.startswith(
        "error: agent.profile: unknown agent profile 'claud'; did you mean claude?"
        " (known: aider, claude,"
    )
    line = cli.fails(7, "task", "add", "x", "--agent", "command")
    assert line == "error: agent.profile: `command` needs the task's command"
    missing = tmp_path / "nowhere"
    line = cli.fails(7, "task", "add", "x", "--agent", "codex", "--workspace", str(missing))
    assert line == f"error: --workspace: {missing} is not a folder"
    line = cli.fails(7, "task", "add", "x", "--agent", "codex", "--workspace", str(tmp_path))
    assert line == f"error: --workspace: {tmp_path} is not a git repository"
    assert cli.fails(2, "task", "edit", "A", "--cwd", "/tmp").endswith(
        "--cwd needs something to run: a command after -- or an --agent"
    )
    assert cli.count("SELECT COUNT(*) FROM tasks") == tasks


def test_an_edit_changes_only_the_parts_it_names(cli: Cli) -> None:
    cli.ok("task", "add", "tests", "--key", "T", "--cwd", "/srv", "--", "pytest", "-q")
    cli.ok("task", "edit", "T", "--timeout", "30")
    assert command_of(cli, "T") == {
        "argv": ["pytest", "-q"], "cwd": "/srv", "env": {}, "timeout_seconds": 30.0,
    }  # fmt: skip

    # A task a person runs becomes an agent's: the program is the profile's, the rest stays.
    cli.ok("task", "edit", "T", "--agent", "claude", "--model", "sonnet")
    command = command_of(cli, "T")
    assert command["argv"] == ["claude"] and command["cwd"] == "/srv"
    assert command["agent"]["model"] == "sonnet"
    cli.ok("task", "edit", "T", "--model", "opus")
    assert command_of(cli, "T")["agent"]["profile"] == "claude"
    assert command_of(cli, "T")["agent"]["model"] == "opus"

    # Another agent: its own program; the model chosen for the first one goes.
    cli.ok("task", "edit", "T", "--agent", "codex")
    command = command_of(cli, "T")
    assert command["argv"] == ["codex"] and command["agent"]["model"] is None
    assert command["timeout_seconds"] == 30.0

    # A command after -- is what runs now: the agent goes, unless named again.
    cli.ok("task", "edit", "T", "--", "make", "check")
    command = command_of(cli, "T")
    assert command["argv"] == ["make", "check"] and "agent" not in command
    assert command["cwd"] == "/srv"

    timeline = cli.ok("task", "timeline", "T").out
    assert "changed command timeout seconds from none to 30.0\n" in timeline
    assert (
        "changed command argv from claude to codex; command agent profile from 'claude' to "
        "'codex'; command agent model from 'opus' to none\n"
    ) in timeline


@pytest.mark.sqlite_only  # the runner's agent writes through the same file
def test_an_agent_task_added_on_the_command_line_runs(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = tmp_path / "agents.yaml"
    fake = [sys.executable, FAKE, "--shape", "claude", "--model={model}", "{args}"]
    profiles.write_text(json.dumps({"fake": {"argv": [*fake, "--", "{prompt}"]}}))
    record = tmp_path / "record.json"
    env = {"ORCHESTRATOR_TUI_AGENTS": str(profiles), "FAKE_AGENT_RECORD": str(record)}
    monkeypatch.setenv("ORCHESTRATOR_TUI_AGENTS", str(profiles))

    add = cli(
        "task", "add", "Fix the login timeout", "--key", "FIX",
        "--agent", "fake", "--model", "m1", "--agent-arg=--scenario", "--agent-arg", "ok",
        env=env,
    )  # fmt: skip
    assert add.code == 0, add.err
    ran = cli("run", "--until-idle", env=env)
    assert ran.code == 0, ran.err

    runs = cli.ok("task", "runs", "FIX", "--json").json()
    assert [(r["status"], r["profile"], r["model"]) for r in runs] == [("succeeded", "fake", "m1")]
    assert cli.ok("task", "show", "FIX", "--json").json()["status"] == "done"
    called = json.loads(record.read_text())
    assert called["argv"][2:6] == ["--model=m1", "--scenario", "ok", "--"]
    assert "Fix the login timeout" in called["prompt"]  # the prompt, built from the task


def test_show_says_what_stops_a_run(cli: Cli, tmp_path: Path) -> None:
    cli.ok("task", "add", "tests", "--key", "T", "--timeout", "90", "--", "pytest", "-q")
    assert "  timeout    90s" in cli.ok("task", "show", "T").out.splitlines()
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: fix\ntasks:\n  - key: IMPL\n    title: Implement\n"
        "    agent: {profile: codex, budget: {usd: 1.5, tokens: 200000}}\n"
        "    command: {argv: [codex], timeout_seconds: 1800}\n"
    )
    cli.ok("db", "seed", "--plan", str(plan))
    shown = cli.ok("task", "show", "IMPL").out.splitlines()
    assert "  timeout    1800s" in shown
    assert "  budget     $1.50, 200,000 tokens (all its runs together)" in shown


def test_show_says_the_agent_profiles_timeout_when_the_task_sets_none(
    cli: Cli, tmp_path: Path
) -> None:
    profiles = tmp_path / "agents.yaml"
    profiles.write_text(
        "slow: {argv: [slow-agent, '{prompt}'], timeout_seconds: 7200}\n"
        "forever: {argv: [forever-agent, '{prompt}'], timeout_seconds: null}\n"
    )
    cli.env["ORCHESTRATOR_TUI_AGENTS"] = str(profiles)
    cli.ok("task", "add", "a", "--key", "A", "--agent", "claude")
    cli.ok("task", "add", "b", "--key", "B", "--agent", "slow")
    cli.ok("task", "add", "c", "--key", "C", "--agent", "forever")
    cli.ok("task", "add", "d", "--key", "D", "--agent", "claude", "--timeout", "60")
    cli.ok("task", "add", "e", "--key", "E", "--", "pytest")

    def timeout(key: str) -> list[str]:
        shown = cli.ok("task", "show", key).out.splitlines()
        return [line for line in shown if line.startswith("  timeout")]

    assert timeout("A") == ["  timeout    3600s (the agent profile's)"]  # the built-in default
    assert timeout("B") == ["  timeout    7200s (the agent profile's)"]
    assert timeout("C") == []  # a profile that says none has none
    assert timeout("D") == ["  timeout    60s"]  # the task's own wins
    assert timeout("E") == []  # a plain command has no default


def test_no_timeout_clears_the_tasks_own_and_the_profiles_holds_again(cli: Cli) -> None:
    cli.ok("task", "add", "a", "--key", "A", "--agent", "claude", "--timeout", "60")
    assert "  timeout    60s" in cli.ok("task", "show", "A").out.splitlines()
    cli.ok("task", "edit", "A", "--no-timeout")
    assert command_of(cli, "A")["timeout_seconds"] is None
    shown = cli.ok("task", "show", "A").out.splitlines()
    assert "  timeout    3600s (the agent profile's)" in shown
    assert any("command timeout seconds from 60" in line for line in shown), shown
    # Both at once say two things: refused, nothing written.
    cli.ok("task", "edit", "A", "--timeout", "60")
    line = cli.fails(2, "task", "edit", "A", "--timeout", "30", "--no-timeout")
    assert "not allowed with argument" in line
    assert command_of(cli, "A")["timeout_seconds"] == 60.0


def test_show_says_the_same_of_a_profile_no_longer_in_agents_yaml(cli: Cli, tmp_path: Path) -> None:
    cli.env.pop("ORCHESTRATOR_TUI_AGENTS", None)
    cli.env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # the file in the config folder
    profiles = tmp_path / "config" / "orchestrator-tui" / "agents.yaml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text("slow: {argv: [slow-agent, '{prompt}'], timeout_seconds: 7200}\n")
    cli.ok("task", "add", "b", "--key", "B", "--agent", "slow")
    assert "  timeout    7200s (the agent profile's)" in cli.ok("task", "show", "B").out
    profiles.unlink()  # its run now fails: no profile `slow`, so no timeout of its own
    fast = cli.ok("task", "show", "B").out
    with mock.patch("orchestrator_tui.store.quick_reads.open_reads", return_value=None):
        full = cli.ok("task", "show", "B").out
    assert fast == full
    assert not [line for line in fast.splitlines() if line.startswith("  timeout")]


def test_the_plain_reads_profile_timeouts_are_the_runners() -> None:
    from orchestrator_tui.agents.profiles import BUILTIN, resolve
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.command_text import (
        BUILTIN_AGENT_TIMEOUTS,
        OWN_COMMAND,
        builtin_profile_timeout,
    )

    # one list: the agents layer builds a profile for each name the domain lists
    assert {name: p.timeout_seconds for name, p in BUILTIN.items()} == BUILTIN_AGENT_TIMEOUTS
    for name in [*BUILTIN, OWN_COMMAND]:
        found = resolve(AgentUse(profile=name), BUILTIN, ["run", "{prompt}"])
        assert builtin_profile_timeout(name) == found.timeout_seconds, name
    assert builtin_profile_timeout("slow") is None  # only a user's file could define it


def test_a_relative_cwd_is_the_folder_it_was_typed_in(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--cwd .` means here, as `--workspace .` does, not wherever a runner is
    started later."""
    here = tmp_path / "project"
    (here / "sub").mkdir(parents=True)
    monkeypatch.chdir(here)
    cli.ok("task", "add", "where", "--key", "W", "--cwd", ".", "--", "pwd")
    assert command_of(cli, "W")["cwd"] == str(here)
    cli.ok("task", "edit", "W", "--cwd", "sub")
    assert command_of(cli, "W")["cwd"] == str(here / "sub")

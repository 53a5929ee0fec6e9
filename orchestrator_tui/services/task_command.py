"""What a task's command becomes when a person says something about it: a new
command, working directory or timeout, a coding agent, its model or arguments, a
git worktree. The one rule behind `task add` / `task edit` and the TUI's edit form:
only the parts given change, laid over what the task had.

A new command (argv) replaces the argv and, unless an agent is given too, the agent
(the person named what to run). A new agent profile over a task's command runs that
profile's program instead; the same profile keeps the agent's other settings. May
read the user's profiles file and the repository on disk (call it off the UI thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..agents.profiles import COMMAND
from ..domain.agent import AgentUse
from ..domain.command_text import needs_something_to_run
from ..domain.errors import UsageError
from ..domain.models import CommandSpec
from .agent_profiles import agent_task_command
from .task_workspace import workspace_over

#: What the edit form calls the parts it changes, in refusals.
FORM_NAMES: Mapping[str, str] = {
    "cwd": "working directory",
    "timeout_seconds": "timeout",
    "clear_timeout": "no timeout",
    "agent": "agent",
    "model": "model",
    "agent_args": "agent arguments",
    "workspace": "repository",
    "base": "base branch",
}


@dataclass(frozen=True)
class CommandChange:
    """What is said about a task's command: None (or empty) is not said."""

    argv: list[str] = field(default_factory=list)
    cwd: str | None = None
    timeout_seconds: float | None = None
    #: True clears the task's own timeout (its agent profile's then holds).
    clear_timeout: bool | None = None
    #: The agent profile's name.
    agent: str | None = None
    #: The agent's model; "" is none (the profile's own).
    model: str | None = None
    agent_args: list[str] = field(default_factory=list)
    #: The repository the task's git worktree is made from.
    workspace: str | None = None
    base: str | None = None

    def given(self) -> list[str]:
        """The names of the parts said (argv aside), in the order of `FORM_NAMES`."""
        return [name for name in FORM_NAMES if getattr(self, name) not in (None, [])]

    def says_something(self) -> bool:
        return bool(self.argv or self.given())


def command_over(
    current: CommandSpec | None,
    change: CommandChange,
    names: Mapping[str, str] = FORM_NAMES,
    run_words: tuple[str, str] = ("a command", "an agent"),
) -> CommandSpec | None:
    """The command `change` describes, laid over `current` (the task's command, None
    for a new task or one without). None when it says nothing and there is none.
    `names` and `run_words` are what the caller's surface calls the parts and the two
    things a task can run, in refusals (UsageError, ValidationFailed)."""
    if not change.says_something():
        return current
    given = change.given()
    if not change.argv and change.agent is None and current is None:
        raise UsageError(needs_something_to_run(names[given[0]], run_words))
    data: dict[str, Any] = current.model_dump() if current is not None else {}
    old_use = data.pop("agent", None)
    if change.argv:
        data["argv"] = list(change.argv)
        old_use = None
    if change.cwd is not None:
        data["cwd"] = change.cwd
    if change.timeout_seconds is not None:
        data["timeout_seconds"] = change.timeout_seconds
    if change.clear_timeout:
        data["timeout_seconds"] = None
    if change.workspace is not None or change.base is not None:
        where = (names["workspace"], names["base"])
        data["workspace"] = workspace_over(
            data.get("workspace"), change.workspace, change.base, where
        )
    old = AgentUse.model_validate(old_use) if old_use else None
    use = _agent_use(change, old, names, run_words)
    if use is None:
        return CommandSpec.model_validate(data)
    if change.agent not in (None, COMMAND) and not change.argv:
        data.pop("argv", None)  # the program is the new profile's
    if "argv" not in data:
        data["argv"] = agent_task_command(use, None).argv
    return agent_task_command(use, CommandSpec.model_validate(data))


def _agent_use(
    change: CommandChange,
    old: AgentUse | None,
    names: Mapping[str, str],
    run_words: tuple[str, str],
) -> AgentUse | None:
    """The agent `change` chooses, over the task's own (`old`)."""
    mine: dict[str, Any] = {}
    if change.agent is not None:
        mine["profile"] = change.agent
    if change.model is not None:
        mine["model"] = change.model or None
    if change.agent_args:
        mine["args"] = list(change.agent_args)
    if not mine:
        return old
    if "profile" not in mine and old is None:
        first = "model" if change.model is not None else "agent_args"
        raise UsageError(f"{names[first]} needs {run_words[1]}")
    if old is not None and mine.get("profile") in (None, old.profile):
        return AgentUse.model_validate({**old.model_dump(), **mine})
    return AgentUse.model_validate(mine).merged_over(old)

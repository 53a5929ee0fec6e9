"""Reading the user's agent profiles file, laid over the built-in profiles."""

from __future__ import annotations

from pathlib import Path

from ..agents.profiles import BUILTIN, parse_profiles
from ..config import profiles_path
from ..domain.agent import AgentProfile, AgentUse
from ..domain.command_text import MODEL_WITHOUT_AGENT, needs_something_to_run
from ..domain.errors import UsageError, ValidationFailed
from ..domain.models import CommandSpec, TaskSpec
from ..domain.workspace import WorkspaceSpec
from .safe_yaml import load_yaml, read_text


def load_profiles(path: Path | None = None) -> dict[str, AgentProfile]:
    """The built-in profiles with the user's file laid over them (a missing file is fine)."""
    path = path or profiles_path()
    profiles = dict(BUILTIN)
    if path.is_file():
        profiles.update(parse_profiles(load_yaml(read_text(path), str(path)), str(path)))
    return profiles


def agent_timeout(command: CommandSpec | None) -> float | None:
    """How long a run of `command` may go on when it sets no timeout: its agent
    profile's `timeout_seconds`. None for a plain command, a profile without one,
    or one that cannot be found or read (its run fails saying so)."""
    from ..agents.profiles import resolve
    from ..domain.errors import OrchestratorError

    if command is None or command.agent is None:
        return None
    try:
        return resolve(command.agent, load_profiles(), command.argv).timeout_seconds
    except OrchestratorError:
        return None


def agent_task_command(
    use: AgentUse,
    command: CommandSpec | None,
    where: str = "agent",
    workspace: WorkspaceSpec | None = None,
) -> CommandSpec:
    """The command a task runs `use` with: its own command with the agent added, or
    the profile's program (in `workspace`). Refused (naming `where`) for a profile
    no one defined."""
    from ..agents.plan_agents import agent_command, check_use

    known = load_profiles()
    check_use(use, known, where, has_command=command is not None)
    return agent_command(use, known, command, workspace)


def with_agent(
    spec: TaskSpec,
    profile: str | None,
    model: str | None = None,
    workspace: WorkspaceSpec | None = None,
) -> TaskSpec:
    """A new task given to the coding agent `profile` (with `model`), in a git
    worktree when `workspace` is given: its own command, if any, keeps its working
    directory and timeout. A workspace needs something to run: a command or an agent."""
    command = spec.command
    if workspace is not None:
        if command is None and profile is None:
            raise UsageError(needs_something_to_run("repository"))  # the form's field
        if command is not None:
            command = command.model_copy(update={"workspace": workspace})
    if profile is None:
        if model is not None:
            raise ValidationFailed(MODEL_WITHOUT_AGENT)
        return spec.model_copy(update={"command": command})
    use = AgentUse(profile=profile, model=model)
    command = agent_task_command(use, command, workspace=workspace)
    return spec.model_copy(update={"command": command})

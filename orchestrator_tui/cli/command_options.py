"""`task add` / `task edit` options saying what a task runs: a command after `--`,
its working directory and timeout, a coding agent, a git worktree.

On `task edit` only the parts given change; the rest of the task's command stays.
A new command after `--` replaces the argv and, unless `--agent` is given too, the
agent (the person named what to run).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..domain.command_text import RUN_WORDS_CLI, needs_something_to_run
from ..domain.errors import UsageError
from .common import positive_seconds

if TYPE_CHECKING:
    from ..domain.agent import AgentUse
    from ..domain.models import CommandSpec

#: Options that shape a command, with the flag an error names.
_FLAGS = {
    "cwd": "--cwd",
    "timeout": "--timeout",
    "no_timeout": "--no-timeout",
    "agent": "--agent",
    "model": "--model",
    "agent_arg": "--agent-arg",
    "workspace": "--workspace",
    "base": "--base",
}


def add_command_options(p: argparse.ArgumentParser, editing: bool = False) -> None:
    p.add_argument("--cwd", default=None, help="working directory for the command")
    timeouts = p.add_mutually_exclusive_group()
    timeouts.add_argument("--timeout", type=positive_seconds, default=None, metavar="SECONDS")
    if editing:
        timeouts.add_argument(
            "--no-timeout",
            action="store_true",
            default=None,  # not given: says nothing about the command
            help="clear the task's own timeout (an agent's profile then sets it)",
        )
    p.add_argument(
        "--agent",
        metavar="PROFILE",
        help="a coding agent does the task (claude, codex, gemini, ...: `agent profiles`)",
    )
    p.add_argument("--model", help="the agent's model")
    p.add_argument(
        "--agent-arg",
        action="append",
        metavar="ARG",
        help="an argument for the agent (repeatable; --agent-arg=--flag for one with a dash)",
    )
    p.add_argument(
        "--workspace",
        metavar="REPO",
        help="run in a git worktree of REPO on its own branch (task/KEY)",
    )
    p.add_argument("--base", metavar="BRANCH", help="the branch the worktree starts from (main)")
    p.set_defaults(command=[])


def _given(args: argparse.Namespace) -> list[str]:
    return [flag for name, flag in _FLAGS.items() if getattr(args, name, None) not in (None, [])]


def says_command(args: argparse.Namespace) -> bool:
    """Whether the command line says anything about the task's command."""
    return bool(args.command or _given(args))


def command_from_args(
    args: argparse.Namespace, current: CommandSpec | None = None
) -> CommandSpec | None:
    """The command the options describe, laid over `current` (the task's command when
    editing). None when they say nothing about one and there is none."""
    if not says_command(args):
        return current
    given = _given(args)
    if not args.command and args.agent is None and current is None:
        raise UsageError(needs_something_to_run(given[0], RUN_WORDS_CLI))
    from ..domain.agent import AgentUse
    from ..domain.models import CommandSpec

    data: dict[str, Any] = current.model_dump() if current is not None else {}
    old_use = data.pop("agent", None)
    if args.command:
        data["argv"] = list(args.command)
        old_use = None
    if args.cwd is not None:
        data["cwd"] = args.cwd
    if args.timeout is not None:
        data["timeout_seconds"] = args.timeout
    if getattr(args, "no_timeout", None):
        data["timeout_seconds"] = None
    if args.workspace is not None or args.base is not None:
        from ..services.task_workspace import workspace_over

        data["workspace"] = workspace_over(data.get("workspace"), args.workspace, args.base)
    use = _agent_use(args, AgentUse.model_validate(old_use) if old_use else None)
    if use is None:
        return CommandSpec.model_validate(data)
    from ..agents.profiles import COMMAND
    from ..services.agent_profiles import agent_task_command

    if args.agent not in (None, COMMAND) and not args.command:
        data.pop("argv", None)  # the program is the new profile's
    if "argv" not in data:
        data["argv"] = agent_task_command(use, None).argv
    return agent_task_command(use, CommandSpec.model_validate(data))


def _agent_use(args: argparse.Namespace, old: AgentUse | None) -> AgentUse | None:
    """The agent `--agent`, `--model` and `--agent-arg` choose, over the task's own."""
    from ..domain.agent import AgentUse

    mine: dict[str, Any] = {}
    if args.agent is not None:
        mine["profile"] = args.agent
    if args.model is not None:
        mine["model"] = args.model
    if args.agent_arg:
        mine["args"] = list(args.agent_arg)
    if not mine:
        return old
    if "profile" not in mine and old is None:
        first = "--model" if args.model is not None else "--agent-arg"
        raise UsageError(f"{first} needs an --agent")
    if old is not None and mine.get("profile") in (None, old.profile):
        return AgentUse.model_validate({**old.model_dump(), **mine})
    return AgentUse.model_validate(mine).merged_over(old)

"""`task add` / `task edit` options saying what a task runs: a command after `--`,
its working directory and timeout, a coding agent, a git worktree.

On `task edit` only the parts given change; the rest of the task's command stays
(the rule is `services.task_command.command_over`, which the TUI's edit form uses too).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..domain.command_text import RUN_WORDS_CLI
from .common import positive_seconds

if TYPE_CHECKING:
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

#: `_FLAGS` by the names of `services.task_command.CommandChange`.
_NAMES = {
    **_FLAGS,
    "timeout_seconds": "--timeout",
    "clear_timeout": "--no-timeout",
    "agent_args": "--agent-arg",
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


def _here(folder: str | None) -> str | None:
    """A folder typed on the command line, from the folder it was typed in (as
    `--workspace` is read), not from wherever a runner starts later."""
    if not folder:
        return folder
    from pathlib import Path

    return str(Path(folder).expanduser().resolve())


def command_from_args(
    args: argparse.Namespace, current: CommandSpec | None = None
) -> CommandSpec | None:
    """The command the options describe, laid over `current` (the task's command when
    editing). None when they say nothing about one and there is none."""
    if not says_command(args):
        return current
    from ..services.task_command import CommandChange, command_over

    change = CommandChange(
        argv=list(args.command),
        cwd=_here(args.cwd),
        timeout_seconds=args.timeout,
        clear_timeout=getattr(args, "no_timeout", None),
        agent=args.agent,
        model=args.model,
        agent_args=list(args.agent_arg or []),
        workspace=args.workspace,
        base=args.base,
    )
    return command_over(current, change, _NAMES, RUN_WORDS_CLI)

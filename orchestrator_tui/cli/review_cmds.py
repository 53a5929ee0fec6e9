"""`orchestrator-tui task diff`: what a task's run changed in its worktree."""

from __future__ import annotations

import argparse
from typing import Any

from ..domain.errors import NotFound
from ..domain.text import visible
from .common import emit_json, open_from_args, say, wants_json


def cmd_diff(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    found: Any = (
        orch.workspaces.changes(args.key, args.run)
        if args.stat
        else orch.workspaces.diff(args.key, args.run)
    )
    if found is None:
        where = f"run {args.run} of {args.key}" if args.run else args.key
        raise NotFound(
            f"{where}: no workspace changes recorded (the task has no workspace or never ran)"
        )
    summary, text = (found, None) if args.stat else found
    if wants_json(args):
        data = summary.model_dump(mode="json")
        data["no_changes"] = summary.no_changes
        if text is not None:
            data["diff"] = text
        emit_json(data)
        return 0
    say(summary.headline())
    for line in summary.file_lines():
        say(line)
    if text:
        say("")
        for line in text.splitlines():
            say(visible(line))
    return 0


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from .run_cmds import _task_subcommands

    p = _task_subcommands(sub).add_parser(
        "diff",
        parents=parents,
        help="what a task's run changed in its worktree (default: the latest run)",
    )
    p.add_argument("key")
    p.add_argument("--run", type=int, metavar="ID", help="run id, as listed by `task runs`")
    p.add_argument("--stat", action="store_true", help="only the files with +/- counts")
    p.set_defaults(handler=cmd_diff)

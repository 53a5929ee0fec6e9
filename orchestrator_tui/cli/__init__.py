"""The `orchestrator-tui` command: the same services as the TUI, for people,
scripts and agents in other terminals."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from .. import __version__
from ..domain.errors import EXIT_CODES, OrchestratorError
from ..domain.text import printable
from . import db_cmds, io_cmds, misc_cmds, run_cmds, task_cmds
from .common import common_options

#: Modules that add subcommands; each has `register(subparsers, parents)`.
COMMAND_MODULES = [db_cmds, task_cmds, io_cmds, misc_cmds, run_cmds]


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="orchestrator-tui",
        description="A keyboard-driven control room for work done by agents. "
        "With no command, opens the TUI.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub, [common])
    parser.set_defaults(handler=misc_cmds.cmd_tui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` is a command to run, kept as an argument list.
    trailing: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, trailing = words[:cut], words[cut + 1 :]
    args = build_parser().parse_args(words)
    if trailing:
        if not hasattr(args, "command") or args.handler.__module__ != task_cmds.__name__:
            print(
                "orchestrator-tui: error: only `task add` and `task edit` take a command after --",
                file=sys.stderr,
            )
            return 2
        args.command = trailing
    try:
        return int(args.handler(args) or 0)
    except OrchestratorError as exc:
        # One line, and untrusted parts (keys, file contents) cannot reach the
        # terminal as escape sequences.
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:  # a bad option value, checked by a pydantic model
        from ..services.safe_yaml import describe_validation_error

        failure = describe_validation_error(exc, None, "invalid input")
        print(f"error: {printable(str(failure))}", file=sys.stderr)
        return failure.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `orchestrator-tui` command: the same services as the TUI, for people,
scripts and agents in other terminals."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import __version__
from ..domain.errors import EXIT_CODES, ExitCode, OrchestratorError, UsageError
from ..domain.text import printable

if TYPE_CHECKING:
    import argparse

#: Modules that add subcommands; each has `register(subparsers, parents)`.
#: Imported only when a command is parsed, so opening the TUI skips them.
COMMAND_MODULES = [
    "db_cmds",
    "task_cmds",
    "io_cmds",
    "misc_cmds",
    "run_cmds",
    "question_cmds",
    "mcp_cmds",
    "review_cmds",
]

#: Modules that add only these top-level commands: imported only when the command
#: line names one of them (or names no command), since they load the database
#: layer or every importer at import time. The rest are always imported.
OWN_WORDS: dict[str, frozenset[str]] = {
    "db_cmds": frozenset({"db"}),
    "io_cmds": frozenset({"import", "export"}),
    "mcp_cmds": frozenset({"mcp"}),
}

#: The first words of every subcommand (the TUI's fast path looks for them).
COMMAND_WORDS = frozenset(
    {
        "db",
        "task",
        "approvals",
        "stats",
        "agent",
        "tui",
        "demo",
        "import",
        "export",
        "run",
        "simulate",
        "mcp",
    }
)


#: The options a plain TUI start takes (`[tui] [--db URL] [--as NAME] [--json] [--run]`).
_TUI_VALUES = {"--db": "db", "--as": "actor"}
_TUI_FLAGS = {"--json": "json", "--run": "run"}


def tui_start(words: Sequence[str]) -> dict[str, str | bool | None] | None:
    """The options of a plain TUI start, each written in full (`--db URL` or
    `--db=URL`; the last one given counts, as for the full parser), or None when the
    words are anything else: an abbreviation, a missing value, another word. The
    full parser then decides (and says what is wrong)."""
    found: dict[str, str | bool | None] = {"db": None, "actor": None, "json": False, "run": False}
    command = False
    rest = iter(words)
    for word in rest:
        name, equals, value = word.partition("=")
        if name in _TUI_VALUES:
            if not equals:
                following = next(rest, None)
                if following is None or following.startswith("-"):
                    return None
                value = following
            found[_TUI_VALUES[name]] = value
        elif word in _TUI_FLAGS:
            found[_TUI_FLAGS[word]] = True
        elif word == "tui" and not command:
            command = True
        else:
            return None
    return found


def _fast_tui(words: list[str]) -> int | None:
    """Open the TUI without building the whole CLI when no other command is asked
    for: the command modules import the database layer, which the app loads
    only after its first frame, and `argparse` is not needed either. None when the
    full parser must decide."""
    if any(w in COMMAND_WORDS - {"tui"} or w in ("-h", "--help", "--version") for w in words):
        return None
    options = tui_start(words)
    if options is None:
        return None
    from .terminal import require_terminal

    require_terminal()
    # Nearly every object made until the first frame (modules, classes, widgets, their
    # styles) lives as long as the app: collecting garbage among them is wasted work,
    # about a seventh of the CPU before the first frame. The app collects again once
    # its first rows are drawn (`app.resume_collection`).
    gc.disable()
    from ..config import resolve_db
    from ..store.quick import FIRST_PAGE_ROWS, EarlyFirstPage

    db, actor = options["db"], options["actor"]
    db_url = resolve_db(db if isinstance(db, str) else None)
    early = EarlyFirstPage(db_url, FIRST_PAGE_ROWS)  # read while the app imports
    from ..app import run_app

    return run_app(
        db_url=db_url,
        actor=actor if isinstance(actor, str) else None,
        run=options["run"] is True,
        early_page=early,
    )


def command_word(words: Sequence[str]) -> str | None:
    """The command a command line names (its first word that is neither an
    option nor an option's value), or None."""
    from .common import positional_words

    found = positional_words(words)
    return found[0] if found else None


def needed_modules(words: Sequence[str] | None) -> list[str]:
    """The command modules a parser for `words` needs (all of them for None)."""
    word = None if words is None else command_word(words)
    if word is None or word not in COMMAND_WORDS:
        return list(COMMAND_MODULES)
    return [m for m in COMMAND_MODULES if m not in OWN_WORDS or word in OWN_WORDS[m]]


def build_parser(
    words: Sequence[str] | None = None, every_subcommand: bool = False
) -> argparse.ArgumentParser:
    """The whole parser, or (given the command line) one that parses it the same way
    while importing only the command modules it needs and building only the
    subcommands it names (`every_subcommand`: all of them, as `Parser` explains)."""
    import argparse
    from importlib import import_module

    from .common import Parser, common_options, positional_words

    names = needed_modules(words)
    modules = [import_module(f"{__name__}.{name}") for name in names]
    common = common_options()
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser = Parser(
        prog="orchestrator-tui",
        description="A keyboard-driven control room for work done by agents. "
        "With no command, opens the TUI.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
        wanted=() if words is None or every_subcommand else positional_words(words),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--run",
        action="store_true",
        dest="open_runner",  # not `run`: `task logs --run ID` names a run
        default=argparse.SUPPRESS,
        help="with no command: open the TUI with its runner started (as `tui --run`)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in modules:
        module.register(sub, [common])
    parser.set_defaults(handler=modules[names.index("misc_cmds")].cmd_tui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` is a command to run, kept as an argument list.
    trailing: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, trailing = words[:cut], words[cut + 1 :]
    try:
        if not trailing and (fast := _fast_tui(words)) is not None:
            return fast
        from .common import NotBuilt

        try:
            args = build_parser(words).parse_args(words)
        except NotBuilt:  # an option's value was taken for a subcommand's name
            args = build_parser(words, every_subcommand=True).parse_args(words)
        handler = getattr(args.handler, "__name__", "")
        if getattr(args, "open_runner", False) and handler not in ("cmd_tui", "cmd_demo"):
            raise UsageError(
                f"--run opens the TUI with its runner started; `{args.command}` does not "
                "open the TUI (`orchestrator-tui run` runs tasks without it)"
            )
        if trailing:
            if handler not in ("cmd_add", "cmd_edit"):
                raise UsageError("only `task add` and `task edit` take a command after --")
            args.command = trailing
        return int(args.handler(args) or 0)
    except OrchestratorError as exc:
        # One line, and untrusted parts (keys, file contents) cannot reach the
        # terminal as escape sequences.
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:
        return _bad_value(exc)


def _bad_value(exc: Exception) -> int:
    """A bad option value checked by a pydantic model: one line, exit 7.
    Anything else is a bug and keeps its traceback."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        raise exc
    from ..services.safe_yaml import describe_validation_error

    failure = describe_validation_error(exc, None, "invalid input")
    print(f"error: {printable(str(failure))}", file=sys.stderr)
    return failure.exit_code


if __name__ == "__main__":
    sys.exit(main())

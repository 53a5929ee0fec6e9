"""What every CLI command shares: the common options, opening the database,
and printing results as plain text or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

from ..config import resolve_actor, resolve_db
from ..domain.errors import ExitCode, NotFound
from ..domain.text import printable


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one `error:` line like every other
    error (exit 2), naming the help that shows the usage. Its subcommands' parsers
    are of the same class.

    `wanted`: the words of the command line that may name its subcommands, in order
    (`task`, `next`): of the subcommands at each level only the one named is built
    (argparse spends a fraction of a millisecond on every parser and option: 5-15 ms
    of a read's start on a small machine); the others keep their names and help,
    so choices, help and errors read the same. Parsing with one that was not built
    raises `NotBuilt`, and the caller builds them all."""

    def __init__(self, *args: Any, wanted: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wanted = tuple(wanted)
        self.register("action", "parsers", _Subcommands)

    def add_subparsers(self, **kwargs: Any) -> Any:
        action: Any = super().add_subparsers(**kwargs)
        action.wanted = self.wanted
        return action

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"error: {printable(message)} (see `{self.prog} --help`)\n")


class NotBuilt(Exception):
    """The command line reached a subcommand whose parser was not built."""


class Unbuilt:
    """A subcommand's parser left unbuilt: whatever adds its options is ignored."""

    _actions: tuple[argparse.Action, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return self._ignored

    def _ignored(self, *args: Any, **kwargs: Any) -> Unbuilt:
        return self


class _Subcommands(argparse._SubParsersAction):
    """Subcommands building only the parser of the one `wanted` names (all without one)."""

    wanted: tuple[str, ...] = ()

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if not self.wanted or self.wanted[0] in (name, *kwargs.get("aliases", ())):
            return super().add_parser(name, wanted=self.wanted[1:], **kwargs)
        real, self._parser_class = self._parser_class, Unbuilt
        try:  # named, with its help, as argparse names any other
            return super().add_parser(name, **kwargs)
        finally:
            self._parser_class = real

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        if isinstance(self._name_parser_map.get(values[0]), Unbuilt):
            raise NotBuilt(values[0])
        super().__call__(parser, namespace, values, option)


def positional_words(words: Sequence[str]) -> list[str]:
    """The words of a command line that are neither options nor the values of the
    options every command takes (`--db`, `--as`): where its subcommands are named."""
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("--db", "--as"):
            skip = True
        elif not word.startswith("-"):
            found.append(word)
    return found


def count(text: str) -> int:
    """An argument that counts something (`--limit`): a whole number, 0 or more.
    (A negative LIMIT means none on SQLite and is an error on PostgreSQL.)"""
    value = int(text)  # argparse reports a ValueError as "invalid count value"
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def at_least_one(text: str) -> int:
    """A whole number, 1 or more (`run --max-parallel`)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds, 0 or more (a backoff, a grace period)."""
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, not {text}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0 (a lease, a poll interval)."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text}")
    return value


def chance(text: str) -> float:
    """A probability, from 0 to 1 (`simulate --fail-chance`)."""
    value = float(text)
    if not 0 <= value <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"must be a chance from 0 to 1, not {text}")
    return value


def common_options() -> argparse.ArgumentParser:
    """--db, --as and --json, accepted before or after the subcommand."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="PATH|URL",
        help="database file or SQLAlchemy URL (default: $ORCHESTRATOR_TUI_DB, "
        "else the file in your user data directory)",
    )
    parent.add_argument(
        "--as",
        dest="actor",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help="who is acting (default: $ORCHESTRATOR_TUI_ACTOR, else your OS user)",
    )
    parent.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return parent


def subcommand_adder(
    group: Any, parents: list[argparse.ArgumentParser]
) -> Callable[[str, Any, str], argparse.ArgumentParser]:
    """`add(name, handler, help_text)` for the subcommands of `group`: each runs
    `handler`, takes the common options, and says `help_text` both in the list of
    commands and in its own --help."""

    def add(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text, parents=parents, description=help_text)
        p.set_defaults(handler=handler)
        return p

    return add


def open_from_args(args: argparse.Namespace, create: bool = False) -> Any:
    """The orchestrator over --db. Only commands that make something (`create`)
    may create a missing SQLite file."""
    from ..services import open_orchestrator

    url = db_url(args)
    if not create:
        refuse_missing(url)
    return open_orchestrator(url, resolve_actor(getattr(args, "actor", None)))


def refuse_missing(url: str) -> None:
    """NotFound when `url` names a SQLite file that does not exist: reading must
    never create a database."""
    from ..store.engine import missing_database

    missing = missing_database(url)
    if missing is not None:
        raise NotFound(
            f"no database at {missing}; create one with `orchestrator-tui db init` "
            "(or `db seed`, or `import` a file)"
        )


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[Any]:
    """The orchestrator over --db for a command that keeps it open (a runner, a
    server), closed however the command ends."""
    orch = open_from_args(args)
    try:
        yield orch
    finally:
        orch.close()


@contextmanager
def opened_to_fill(args: argparse.Namespace, keep: bool = True) -> Iterator[Any]:
    """The orchestrator for `db seed` and `import`, which may create the database:
    one they created is removed again if they fail (or if `keep` is False, as
    for a dry run), and announced when they succeed."""
    from ..store.engine import missing_database

    new = missing_database(db_url(args))
    orch = open_from_args(args, create=True)
    try:
        yield orch
    except BaseException:
        keep = False
        raise
    finally:
        if new is not None and not keep:
            orch.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{new}{suffix}").unlink(missing_ok=True)
    if new is not None and keep and not wants_json(args):
        say(f"created a new database at {printable(str(new))}")


def db_url(args: argparse.Namespace) -> str:
    return resolve_db(getattr(args, "db", None))


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # a pydantic model (not imported: start-up time)
        return value.model_dump(mode="json")
    if isinstance(value, SimpleNamespace):  # a plain read: the fields of its view, in order
        return to_jsonable(vars(value))
    if is_dataclass(value) and not isinstance(value, type):  # a plain `ListRow`, in order
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):  # as pydantic writes it (enums are strings already)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    json.dump(to_jsonable(value), sys.stdout, indent=2)
    sys.stdout.write("\n")


def say(text: str) -> None:
    """One line for a person; untrusted parts must already be `printable`."""
    print(text)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned text table; every cell is made printable."""
    cells = [[printable("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row[:-1]):
            widths[i] = min(max(widths[i], len(cell)), 40)

    def line(parts: Sequence[str]) -> str:
        head = [p[: widths[i]].ljust(widths[i]) for i, p in enumerate(parts[:-1])]
        return "  ".join([*head, parts[-1]]).rstrip()

    print(line(headers))
    for row in cells:
        print(line(row))

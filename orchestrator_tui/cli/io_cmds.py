"""`orchestrator-tui import` and `export`: bring plans in from task-master,
Backlog.md, the seed formats and our own files, and write them back out."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, TextIO

from ..domain.text import printable
from ..services.importers import EXPORT_FORMATS, IMPORT_FORMATS, export_path, import_path
from ..services.importers.formats import described
from .common import emit_json, open_from_args, opened_to_fill, positive_seconds, say, wants_json


class ProgressLine:
    """`importing: tasks 5000/100000` rewritten in place on stderr."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.stream.write(f"\r{stage}: {done}/{total}\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _show_progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def cmd_watch(args: argparse.Namespace) -> int:
    """`import PATH --watch`: a round per change, until interrupted."""
    from ..domain.errors import ValidationFailed
    from ..services.importers.watch import WatchRound, watch_import

    if args.dry_run:
        raise ValidationFailed("--watch writes each change; it cannot be a --dry-run")

    def show(result: WatchRound) -> None:
        if result.error is not None:
            print(
                f"error: {printable(result.error)} (watching for the next change)", file=sys.stderr
            )
            return
        assert result.report is not None
        for line in result.report.warnings:
            print(f"warning: {printable(line)}", file=sys.stderr)
        for conflict in result.conflicts:
            print(f"conflict: {printable(conflict.message())}", file=sys.stderr)
        if wants_json(args):
            emit_json(
                result.report.__dict__ | {"conflicts": [c.__dict__ for c in result.conflicts]}
            )
        else:
            say(printable(result.report.summary()))
        sys.stdout.flush()

    # Ctrl-C is how a watch ends; like any import it may create the database.
    with opened_to_fill(args) as orch, contextlib.suppress(KeyboardInterrupt):
        watch_import(
            orch,
            args.path,
            show,
            fmt=args.format,
            strict=args.strict,
            prefix=args.prefix,
            interval=args.interval,
        )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if args.watch:
        return cmd_watch(args)
    with opened_to_fill(args, keep=not args.dry_run) as orch:
        _import(orch, args)
    return 0


def _import(orch: Any, args: argparse.Namespace) -> None:
    progress = ProgressLine() if _show_progress(args) else None
    try:
        report = import_path(
            orch,
            args.path,
            fmt=args.format,
            dry_run=args.dry_run,
            progress=progress,
            strict=args.strict,
            prefix=args.prefix,
        )
    finally:
        if progress:
            progress.close()
    for line in report.warnings:
        print(f"warning: {printable(line)}", file=sys.stderr)
    if args.verbose:
        for line in report.notices:
            print(f"notice: {printable(line)}", file=sys.stderr)
    elif report.notices:
        print(f"{len(report.notices)} notices (--verbose shows them)", file=sys.stderr)
    if wants_json(args):
        emit_json(report.__dict__)
    else:
        say(printable(report.summary()))


def cmd_export(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    report = export_path(orch, args.path, fmt=args.format)
    for line in report.warnings:
        print(f"warning: {printable(line)}", file=sys.stderr)
    if wants_json(args):
        emit_json(report.__dict__)
    else:
        say(printable(report.summary()))
    return 0


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import",
        parents=parents,
        help=f"import tasks ({', '.join(IMPORT_FORMATS)})",
        description="Import a file or folder, all or nothing. Re-importing the same source "
        "updates the tasks it created. The format is detected when not given; formats: "
        f"{described()}.",
    )
    p.add_argument("path", help="file or folder to import")
    p.add_argument("--format", choices=IMPORT_FORMATS, help="skip detection (formats above)")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument(
        "--strict", action="store_true", help="refuse warnings too (dangling references, ...)"
    )
    p.add_argument("--prefix", metavar="P", help="put P- in front of every imported key")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list notices (skipped files)")
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep importing whenever PATH changes (Ctrl-C stops); a status changed both "
        "here and in the file is reported as a conflict and the newer side wins",
    )
    p.add_argument(
        "--interval",
        type=positive_seconds,
        default=1.0,
        metavar="S",
        help="--watch: seconds between looks",
    )
    p.set_defaults(handler=cmd_import)
    p = sub.add_parser(
        "export",
        parents=parents,
        help=f"export every task ({', '.join(EXPORT_FORMATS)})",
        description="Write every task to PATH. Format from --format, else from the name: "
        "tasks.json is task-master, *.json ours, *.yaml/*.yml our YAML plan. "
        "--format backlog writes a new Backlog.md folder PATH/backlog.",
    )
    p.add_argument(
        "path", help="file to write (replaced atomically), or the folder to write backlog/ in"
    )
    p.add_argument("--format", choices=EXPORT_FORMATS)
    p.set_defaults(handler=cmd_export)

"""Every file format we read or write, in one registry: its name, what it is
(for `--format` help and the import dialog), how to recognise it cheaply
(from the path, the first bytes, or the parsed JSON that the parser then
reuses), how to parse it, and how to export to it when we can.

Detection asks the formats in the order listed here and takes the first
that says yes: a SQLite file is seed 001's whatever its name, a folder is
Backlog.md's before it is seed 002's, and a JSON file is ours before it is
task-master's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from ...domain.errors import ValidationFailed
from . import backlog, native, seed001, seed002, taskmaster
from .common import Issues, ParsedImport, Progress
from .source import Source

Parser = Callable[[Source, Issues, "Progress | None"], ParsedImport]
#: What an export writes: a file's text, or a folder's files by their relative paths
Written = str | dict[str, str]
#: (connection, target path) -> (what to write, tasks written, warnings)
Exporter = Callable[[Connection, Path], tuple[Written, int, list[str]]]


@dataclass(frozen=True)
class FileFormat:
    name: str
    summary: str
    detect: Callable[[Source], bool]
    parse: Parser
    export: Exporter | None = None

    @property
    def exports(self) -> bool:
        return self.export is not None


def _native_export(fmt: str) -> Exporter:
    def export(conn: Connection, path: Path) -> tuple[Written, int, list[str]]:
        document = native.plan_document(conn, path.stem)
        return native.dump(document, fmt), len(document["tasks"]), []

    return export


def _taskmaster_export(conn: Connection, path: Path) -> tuple[Written, int, list[str]]:
    from . import taskmaster_export

    return taskmaster_export.export(conn, path)


def _backlog_export(conn: Connection, path: Path) -> tuple[Written, int, list[str]]:
    from . import backlog_export

    return backlog_export.export(conn, path)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        seed001.FORMAT, "seed 001's task-orchestrator SQLite database", seed001.detect,
        seed001.parse,
    ),
    FileFormat(
        backlog.FORMAT, "a Backlog.md folder", backlog.detect, backlog.parse, _backlog_export,
    ),
    FileFormat(
        seed002.FORMAT, "seed 002's markdown task files, a folder or one file", seed002.detect,
        seed002.parse,
    ),
    FileFormat(
        native.YAML, "our YAML plan", native.detect_yaml, native.parse_yaml,
        _native_export(native.YAML),
    ),
    FileFormat(
        native.JSON, "our JSON export", native.detect_json, native.parse_json,
        _native_export(native.JSON),
    ),
    FileFormat(
        taskmaster.FORMAT, "task-master's tasks.json", taskmaster.detect, taskmaster.parse,
        _taskmaster_export,
    ),
)  # fmt: skip
BY_NAME = {f.name: f for f in FORMATS}
IMPORT_FORMATS = tuple(f.name for f in FORMATS)
EXPORT_FORMATS = tuple(f.name for f in FORMATS if f.exports)


def described(names: tuple[str, ...] = IMPORT_FORMATS) -> str:
    """`name (what it is), ...` for help texts."""
    return ", ".join(f"{n} ({BY_NAME[n].summary})" for n in names)


def named(name: str, exporting: bool = False) -> FileFormat:
    found = BY_NAME.get(name)
    if found is None or (exporting and not found.exports):
        known = ", ".join(EXPORT_FORMATS if exporting else IMPORT_FORMATS)
        what = "export" if exporting else "import"
        raise ValidationFailed(f"unknown {what} format {name!r} (known: {known})")
    return found


def detect(source: Source) -> FileFormat:
    """The format of `source`, from its shape and content (read at most once)."""
    path = source.path
    if not source.is_dir and not path.exists():
        raise ValidationFailed(f"{path}: no such file or folder")
    for fmt in FORMATS:
        if fmt.detect(source):
            return fmt
    if source.is_dir:
        raise ValidationFailed(
            f"{path}: no Backlog.md folder (config.yml, tasks/) or task markdown files here"
        )
    if source.suffix == ".json":
        raise ValidationFailed(f"{path}: a JSON file that is neither task-master's nor ours")
    raise ValidationFailed(
        f"{path}: cannot tell the format; give --format ({', '.join(IMPORT_FORMATS)})"
    )

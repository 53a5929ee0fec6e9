"""Import and export: the API the CLI and the TUI's command palette call.

    report = import_path(orch, path, fmt=None, dry_run=False, progress=None)
    report = export_path(orch, path, fmt=None)

Formats in: task-master `tasks.json`, a Backlog.md folder, seed 002's
markdown task files, seed 001's SQLite database, our YAML plan and our JSON
export. Out: our JSON and YAML, and task-master. The format is detected
when not given. Parsing is pure (each format's module returns a validated
plan); `PlanService.load` writes it in one transaction, all or nothing.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...domain.errors import ValidationFailed
from ..safe_files import read_bytes, read_text, readable_folder
from ..safe_yaml import load_json
from . import native, taskmaster
from .common import Issues, ParsedImport, Progress, with_prefix

if TYPE_CHECKING:
    from .. import Orchestrator

IMPORT_FORMATS = ("task-master", "backlog", "seed-002", "seed-001", "yaml", "json")
EXPORT_FORMATS = ("json", "yaml", "task-master")


@dataclass(frozen=True)
class ImportReport:
    format: str
    origin: str
    tasks: int
    added: int
    changed: int
    unchanged: int
    dependencies: int
    dependencies_added: int
    dependencies_removed: int
    missing: int
    dry_run: bool
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"{verb} {self.tasks} tasks from {self.origin} ({self.format}): "
            f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged; "
            f"{self.dependencies} dependencies"
        )
        if self.missing:
            text += f"; {self.missing} earlier imported tasks are no longer in the source (kept)"
        return text


@dataclass(frozen=True)
class ExportReport:
    format: str
    path: str
    tasks: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"exported {self.tasks} tasks to {self.path} ({self.format})"


_SQLITE_MAGIC = b"SQLite format 3\x00"


def detect_format(path: Path) -> str:
    """The import format of `path`, from its shape and content."""
    if path.is_dir():
        from . import backlog, seed002

        readable_folder(path)  # an unreadable folder is an error, not an empty one
        if backlog.find_root(path) is not None:
            return "backlog"
        if seed002.looks_like_folder(path):
            return "seed-002"
        raise ValidationFailed(
            f"{path}: no Backlog.md folder (config.yml, tasks/) or task markdown files here"
        )
    if not path.exists():
        raise ValidationFailed(f"{path}: no such file or folder")
    if read_bytes(path, len(_SQLITE_MAGIC), head=True) == _SQLITE_MAGIC:
        return "seed-001"
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".md":
        return "seed-002"
    if suffix == ".json":
        data = load_json(read_text(path), str(path))
        if native.looks_like(data):
            return "json"
        if taskmaster.looks_like(data):
            return "task-master"
        raise ValidationFailed(f"{path}: a JSON file that is neither task-master's nor ours")
    raise ValidationFailed(f"{path}: cannot tell the format; give --format ({_names()})")


def _names() -> str:
    return ", ".join(IMPORT_FORMATS)


def parse_path(
    path: Path, fmt: str | None = None, strict: bool = False, progress: Progress | None = None
) -> ParsedImport:
    """Read and validate `path` without touching any database."""
    fmt = fmt or detect_format(path)
    issues = Issues(strict)
    if fmt == "task-master":
        return taskmaster.parse(path, issues, progress)
    if fmt == "backlog":
        from . import backlog

        return backlog.parse(path, issues, progress)
    if fmt == "seed-002":
        from . import seed002

        return seed002.parse(path, issues, progress)
    if fmt == "seed-001":
        from . import seed001

        return seed001.parse(path, issues, progress)
    if fmt in (native.YAML, native.JSON):
        return native.parse(path, issues, fmt)
    raise ValidationFailed(f"unknown import format {fmt!r} (known: {_names()})")


def import_path(
    orch: Orchestrator,
    path: Path | str,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    *,
    strict: bool = False,
    prefix: str | None = None,
) -> ImportReport:
    """Import `path` into `orch`'s database, all or nothing; `dry_run` writes nothing."""
    parsed = with_prefix(parse_path(Path(path), fmt, strict, progress), prefix)
    result = orch.plans.load(
        parsed.plan, parsed.origin, progress, where=parsed.where, dry_run=dry_run
    )
    return ImportReport(
        format=parsed.format,
        origin=parsed.origin,
        tasks=result.tasks,
        added=result.added,
        changed=result.changed,
        unchanged=result.unchanged,
        dependencies=result.dependencies,
        dependencies_added=result.dependencies_added,
        dependencies_removed=result.dependencies_removed,
        missing=result.missing,
        dry_run=dry_run,
        warnings=list(parsed.warnings),
        notices=list(parsed.notices),
    )


def export_format_for(path: Path) -> str:
    if path.name == "tasks.json":
        return "task-master"
    if path.suffix.lower() in (".yaml", ".yml"):
        return "yaml"
    if path.suffix.lower() == ".json":
        return "json"
    raise ValidationFailed(f"{path}: cannot tell the export format; give --format")


def export_path(orch: Orchestrator, path: Path | str, fmt: str | None = None) -> ExportReport:
    """Write every task (and, for our formats, its history) to `path`."""
    path = Path(path)
    fmt = fmt or export_format_for(path)
    warnings: list[str] = []
    with orch.db.read() as conn:
        if fmt in (native.JSON, native.YAML):
            document: Any = native.plan_document(conn, path.stem)
            text = native.dump(document, fmt)
            count = len(document["tasks"])
        elif fmt == "task-master":
            from . import taskmaster_export

            text, count, warnings = taskmaster_export.export(conn)
        else:
            known = ", ".join(EXPORT_FORMATS)
            raise ValidationFailed(f"unknown export format {fmt!r} (known: {known})")
    _write_atomically(path, text)
    return ExportReport(fmt, str(path), count, warnings)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportReport",
    "ImportReport",
    "detect_format",
    "export_path",
    "import_path",
    "parse_path",
]

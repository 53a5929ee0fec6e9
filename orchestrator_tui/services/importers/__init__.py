"""Import and export: the API the CLI and the TUI's command palette call.

    report = import_path(orch, path, fmt=None, dry_run=False, progress=None)
    report = export_path(orch, path, fmt=None)

or, to show a plan before writing exactly that plan:

    parsed = read_import(path, fmt=None, fingerprint=True)
    preview = load_import(orch, parsed, dry_run=True)
    report = load_import(orch, parsed)   # report.source_changed: file edited since

Formats in: task-master `tasks.json`, a Backlog.md folder, seed 002's
markdown task files, seed 001's SQLite database, our YAML plan and our JSON
export. Out: our JSON and YAML, task-master and a Backlog.md folder (see
`formats.FORMATS`).
The format is detected when not given. Parsing is pure (each format's module
returns a validated plan); `PlanService.load` writes it in one transaction,
all or nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...domain.errors import OrchestratorError, ValidationFailed
from ...domain.words import counted
from ...store.bulk import collector_paused
from ...store.folders import require_folder
from . import formats
from .common import Issues, ParsedImport, Progress, with_prefix
from .formats import EXPORT_FORMATS, IMPORT_FORMATS
from .source import Source

if TYPE_CHECKING:
    from .. import Orchestrator


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
    #: the source's bytes differ from those read for this plan (it was
    #: edited after it was read); what was written is the plan as read
    source_changed: bool = False

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"{verb} {counted(self.tasks, 'task')} from {self.origin} ({self.format}): "
            f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged; "
            f"{counted(self.dependencies, 'dependency')}"
        )
        if self.missing:
            gone = counted(self.missing, "earlier imported task is", "earlier imported tasks are")
            text += f"; {gone} no longer in the source (kept)"
        return text


@dataclass(frozen=True)
class ExportReport:
    format: str
    path: str
    tasks: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"exported {counted(self.tasks, 'task')} to {self.path} ({self.format})"


def detect_format(path: Path | Source) -> str:
    """The import format of `path`, from its shape and content."""
    source = path if isinstance(path, Source) else Source(path)
    return formats.detect(source).name


def parse_path(
    path: Path | Source,
    fmt: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ParsedImport:
    """Read and validate `path` without touching any database; a file is read
    and parsed once, for detection and parsing alike."""
    source = path if isinstance(path, Source) else Source(path)
    with collector_paused():  # many objects are made, none of them in cycles to collect
        found = formats.named(fmt) if fmt else formats.detect(source)
        return found.parse(source, Issues(strict), progress)


def read_import(
    path: Path | str,
    fmt: str | None = None,
    progress: Progress | None = None,
    *,
    strict: bool = False,
    prefix: str | None = None,
    fingerprint: bool = False,
) -> ParsedImport:
    """The plan `path` holds, ready for `load_import`. With `fingerprint` it
    also remembers a hash of what was read (for a single text file, the very
    text parsed), so a later load can tell whether the source changed since."""
    source = Source(path, digest=fingerprint)
    parsed = with_prefix(parse_path(source, fmt, strict, progress), prefix)
    if fingerprint:
        read = source if parsed.origin == source.origin else Source(parsed.origin)
        parsed.fingerprint = read.fingerprint()
    return parsed


def load_import(
    orch: Orchestrator,
    parsed: ParsedImport,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Write exactly the plan in `parsed` (all or nothing; `dry_run` writes
    nothing). When `parsed` has a fingerprint and the source no longer
    matches it, the report says so: the plan written is still the one read."""
    changed = False
    if parsed.fingerprint is not None and not dry_run:
        try:
            changed = Source(parsed.origin).fingerprint() != parsed.fingerprint
        except (OrchestratorError, OSError):
            changed = True
    result = orch.plans.load(
        parsed.plan,
        parsed.origin,
        progress,
        where=parsed.where,
        adopt=parsed.adopt,
        same_as_ours=parsed.same_as_ours,
        dry_run=dry_run,
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
        source_changed=changed,
    )


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
    # One pause of the cyclic collector for reading and writing: once it is back, its
    # first pass walks every object made while it was off that is still alive, so the
    # plan is let go before it comes back.
    with collector_paused():
        parsed = read_import(path, fmt, progress, strict=strict, prefix=prefix)
        report = load_import(orch, parsed, dry_run, progress)
        del parsed
    return report


def export_format_for(path: Path) -> str:
    if path.name == "tasks.json":
        return "task-master"
    if path.suffix.lower() in (".yaml", ".yml"):
        return "yaml"
    if path.suffix.lower() == ".json":
        return "json"
    raise ValidationFailed(f"{path}: cannot tell the export format; give --format")


def export_path(orch: Orchestrator, path: Path | str, fmt: str | None = None) -> ExportReport:
    """Write every task (and, for our formats, its history) to `path`: a file,
    or for a folder format (Backlog.md) a new folder inside `path`."""
    path = Path(path)
    exporter = formats.named(fmt or export_format_for(path), exporting=True)
    assert exporter.export is not None
    with orch.db.read() as conn:
        written, count, warnings = exporter.export(conn, path)
    require_folder(path.parent)
    if isinstance(written, str):
        _write_atomically(path, written)
    else:
        _write_folder(path, written)
    return ExportReport(exporter.name, str(path), count, warnings)


def _write_folder(path: Path, files: dict[str, str]) -> None:
    """Write `files` (relative paths) under `path`, all or nothing: they are
    written into a temporary folder beside it that is then moved into place.
    A top folder that already exists is refused, never merged or replaced."""
    tops = sorted({Path(name).parts[0] for name in files})
    for top in tops:
        if (path / top).exists():
            raise ValidationFailed(
                f"{path / top}: already exists; export into a folder without one"
            )
    path.mkdir(exist_ok=True)  # PATH itself, as named; never its missing parents
    temp = Path(tempfile.mkdtemp(prefix=".export.", dir=path))
    try:
        for name, text in files.items():
            target = temp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for top in tops:
            os.rename(temp / top, path / top)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
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
    "load_import",
    "parse_path",
    "read_import",
]

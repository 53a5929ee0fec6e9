"""What every importer shares: the parsed result, the warning collector,
helpers that turn foreign values into plan-task fields while naming the file,
the record and the field of any problem, and the two steps every importer
ends with:

- `link(records, resolve, issues)` turns the references each record names
  (dependencies, parent) into keys, with one rule for every format: a
  reference to the record itself, a reference named twice and a reference to
  nothing are each a warning (refused by --strict) and are not linked.
- `finish(records, issues, ...)` drops the closing link of a dependency
  cycle among finished tasks (refusing any other cycle), validates each
  record into a `PlanTask` and returns the `ParsedImport`.

Importers are pure: they read files and return a `ParsedImport`; only
`services.plans` writes, in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import TypeAdapter, ValidationError

from ...domain.enums import Priority
from ...domain.errors import CycleError, OrchestratorError, ValidationFailed, validation_message
from ...domain.models import KEY_PATTERN
from ...domain.packed import PackedTasks
from ...domain.plan import NamedTask, PlanSpec, PlanTask, absolute_time
from ...domain.status_map import map_status

if TYPE_CHECKING:
    from ..plans import SameAsOurs

Progress = Callable[[str, int, int], None]


@dataclass
class ParsedImport:
    """A validated plan read from a foreign source, ready for `PlanService.load`."""

    format: str
    origin: str
    plan: PlanSpec
    #: plan key -> "file: record" for messages about that task
    where: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    #: `Source.fingerprint()` of what was read, when `read_import` was asked for it
    fingerprint: str | None = None
    #: plan key -> the task of ours the source names as that record (our export
    #: wrote it there): the record updates that task, whoever owns it
    adopt: dict[str, NamedTask] = field(default_factory=dict)
    #: the format's rule for what a file says that is no news (`plans.SameAsOurs`)
    same_as_ours: SameAsOurs | None = None


class Issues:
    """Warnings (imported anyway, unless strict) and notices (for information)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.warnings: list[str] = []
        self.notices: list[str] = []

    def warn(self, message: str) -> None:
        if self.strict:
            raise ValidationFailed(f"{message} (refused by --strict)")
        self.warnings.append(message)

    def notice(self, message: str) -> None:
        self.notices.append(message)


def fail(where: str, field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{where}: {field_name}: {message}")


_SLUG = re.compile(r"[^a-z0-9._-]+")


def slug(text: str, limit: int = 40) -> str:
    """A key-safe lower-case form of a name (`My Tag!` -> `my-tag`)."""
    out = _SLUG.sub("-", text.strip().lower()).strip("-.")[:limit].strip("-.")
    return out or "x"


def source_name(fmt: str, path: Path) -> str:
    """The `source` of every task imported from `path`: format and absolute path."""
    text = f"{fmt}:{path.resolve()}"
    return text if len(text) <= 200 else f"{fmt}:...{text[-(195 - len(fmt)) :]}"


#: The name our export marks a record with to say which task of ours it was
#: written from (`{"key": ..., "source": ...}`; where depends on the format).
MARK = "orchestrator-tui"


def named_task(mark: Any, where: str, field_name: str, issues: Issues) -> NamedTask | None:
    """The task of ours a record's mark names, or None with a warning."""
    key = mark.get("key") if isinstance(mark, dict) else None
    if isinstance(key, str) and re.match(KEY_PATTERN, key):
        source = mark.get("source")
        return NamedTask(key, source if isinstance(source, str) else None)
    issues.warn(f"{where}: {field_name}: {MARK}: {mark!r} names no task key; ignored")
    return None


def named_once(
    marks: Sequence[tuple[str, NamedTask, str]], field_name: str, issues: Issues
) -> dict[str, NamedTask]:
    """`adopt` from (record key, the task its mark names, where the record is):
    a task named by two records (one copied by hand) only for the first; the
    later is a task of its own, with a warning."""
    adopt: dict[str, NamedTask] = {}
    first: dict[str, str] = {}  # key of ours -> the record key naming it first
    for key, ours, where in marks:
        if ours.key in first:
            issues.warn(
                f"{where}: {field_name}: {MARK}: {ours.key!r} is named by an earlier "
                f"record too ({first[ours.key]}); imported as a task of its own"
            )
        else:
            first[ours.key] = key
            adopt[key] = ours
    return adopt


def status_at(word: Any, where: str, field_name: str, extra: dict[str, str] | None = None) -> str:
    if not isinstance(word, str):
        raise fail(where, field_name, f"expected a status word, got {word!r}")
    try:
        return map_status(word, extra).value
    except OrchestratorError as exc:
        raise fail(where, field_name, str(exc)) from None


_PRIORITY_WORDS = {p.value: p for p in Priority} | {"urgent": Priority.CRITICAL}


def priority_at(word: Any, where: str, field_name: str) -> str:
    found = _PRIORITY_WORDS.get(str(word).strip().lower()) if word is not None else None
    if found is None:
        known = ", ".join(_PRIORITY_WORDS)
        raise fail(where, field_name, f"unknown priority {word!r} (known: {known})")
    return found.value


def time_at(value: Any, where: str, field_name: str) -> datetime | None:
    """An aware UTC datetime from a date, a datetime or an ISO 8601 text."""
    if value is None or value == "":
        return None
    try:
        return absolute_time(value)
    except ValueError:
        raise fail(where, field_name, f"{value!r} is not a date or time") from None


def jsonable(value: Any) -> Any:
    """YAML values made JSON-safe (dates become ISO text) for the `extra` column."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_PLAN_TASKS = TypeAdapter(list[PlanTask])
#: Records validated per call: one validator call per chunk, and each chunk's
#: raw data can be let go as soon as its tasks exist.
VALIDATE_CHUNK = 2000


def make_tasks(records: list[Record]) -> PackedTasks:
    """Validated PlanTasks, one per record; a bad value names the record and the
    field. Each record's raw data is released once its task exists, and each
    chunk's tasks are kept packed (the import then holds one small copy of
    every task, not the record and a full model beside it)."""
    tasks = PackedTasks()
    for start in range(0, len(records), VALIDATE_CHUNK):
        part = records[start : start + VALIDATE_CHUNK]
        try:
            tasks.extend(_PLAN_TASKS.validate_python([r.data for r in part]))
        except ValidationError as exc:
            first = exc.errors()[0]
            index, *loc = first["loc"]
            name = ".".join(str(p) for p in loc) or "record"
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            message = validation_message(first)
            raise fail(part[int(index)].where, name, f"{message}{more}") from None
        for record in part:
            record.data = {"key": record.data["key"]}
    return tasks


def make_plan(name: str, tasks: Sequence[PlanTask], **more: Any) -> PlanSpec:
    """The plan of an import; its `tasks` may be a `PackedTasks`, which is read
    (indexed, iterated) as the list of tasks it holds but not changed in place."""
    return PlanSpec.model_construct(
        version=1,
        name=name,
        description=more.get("description", ""),
        agents=more.get("agents", []),
        tasks=cast("list[PlanTask]", tasks),
    )


def with_prefix(parsed: ParsedImport, prefix: str | None) -> ParsedImport:
    """Every key (and reference to one) with `PREFIX-` in front."""
    if not prefix:
        return parsed
    head = slug(prefix, 20) + "-"
    mine = {t.key for t in parsed.plan.tasks}

    def move(key: str | None) -> str | None:
        if key not in mine:
            return key
        moved = head + key
        if not re.match(KEY_PATTERN, moved):
            where = parsed.where.get(key, key)
            raise fail(f"{parsed.origin}: {where}", "key", f"{moved!r} is too long with --prefix")
        return moved

    tasks = PackedTasks()  # one moved task at a time, kept as small as the ones read
    for task in parsed.plan.tasks:
        deps = [r.model_copy(update={"key": move(r.key)}) for r in task.depends_on]
        data = {"key": move(task.key), "depends_on": deps}
        if task.parent:
            data["parent"] = move(task.parent)
        # the same fields given as the task read (a key moved is not a field given anew)
        tasks.append(PlanTask.model_construct(set(task.model_fields_set), **{**dict(task), **data}))
    parsed.plan = parsed.plan.model_copy(update={"tasks": tasks})
    parsed.where = {move(k) or k: v for k, v in parsed.where.items()}
    parsed.adopt = {move(k) or k: v for k, v in parsed.adopt.items()}
    return parsed


@dataclass(slots=True)
class Record:
    """One foreign record on its way to a PlanTask: its plan-task fields (with
    `key`), where it is, and the references it names as the file writes them."""

    data: dict[str, Any]
    where: str
    refs: list[Any] = field(default_factory=list)
    parent: Any = None
    refs_field: str = "dependencies"
    parent_field: str = "parent"
    #: how a dangling reference is described: "no task 'x' {scope}"
    scope: str = "in this file"
    #: filled by `link`: references that named no task, as written
    dangling: list[str] = field(default_factory=list)
    #: filled by `link` and `finish`: keys this record named but is not linked to
    unlinked: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.data["key"])


#: A reference as written, and the record naming it -> a key, or None for no task.
Resolve = Callable[[Any, Record], str | None]


def link(
    records: list[Record],
    resolve: Resolve,
    issues: Issues,
    *,
    resolve_parent: Resolve | None = None,
    keep_dangling: bool = False,
) -> None:
    """Set each record's `depends_on` and `parent` from its references.

    A reference to the record itself, a dependency named twice, and a
    reference that names no task are warned about (naming the file, the
    record and the field) and not linked; --strict refuses them. With
    `keep_dangling`, references to nothing stay in `extra` as
    `unresolved_dependencies` and `unresolved_parent`."""
    find_parent = resolve_parent or resolve
    dropped = "not linked, kept in extra" if keep_dangling else "not linked"
    for record in records:
        keys: list[str] = []
        for ref in record.refs:
            target = resolve(ref, record)
            place = f"{record.where}: {record.refs_field}"
            if target is None:
                record.dangling.append(str(ref).strip())
                issues.warn(f"{place}: no task {ref!r} {record.scope}; {dropped}")
            elif target == record.key:
                record.unlinked.append(target)
                issues.warn(f"{place}: {ref!r} is the task itself; not linked")
            elif target in keys:
                issues.warn(f"{place}: {ref!r} is named more than once; linked once")
            else:
                keys.append(target)
        record.data["depends_on"] = keys
        if keep_dangling and record.dangling:
            record.data.setdefault("extra", {})["unresolved_dependencies"] = record.dangling
        if record.parent is None or str(record.parent).strip() == "":
            continue
        place = f"{record.where}: {record.parent_field}"
        target = find_parent(record.parent, record)
        if target is None:
            issues.warn(f"{place}: no task {record.parent!r} {record.scope}; {dropped}")
            if keep_dangling:
                record.data.setdefault("extra", {})["unresolved_parent"] = str(record.parent)
        elif target == record.key:
            issues.warn(f"{place}: {record.parent!r} is the task itself; not linked")
        else:
            record.data["parent"] = target


def finish(
    records: list[Record],
    issues: Issues,
    *,
    fmt: str,
    origin: str,
    name: str,
    where_prefix: str = "",
    before_validation: Callable[[Record], None] | None = None,
) -> ParsedImport:
    """Close the import: break cycles among finished tasks (any other cycle is
    refused), validate every record into a PlanTask, and make the plan.
    `before_validation` sees each record last (a format's own bookkeeping);
    `where_prefix` is cut from the record labels kept for later messages."""
    break_finished_cycles(records, issues)
    if before_validation is not None:
        for record in records:
            before_validation(record)
    where = {r.key: r.where.removeprefix(where_prefix) for r in records}
    tasks = make_tasks(records)
    return ParsedImport(fmt, origin, make_plan(name, tasks), where, issues.warnings, issues.notices)


def break_finished_cycles(records: list[Record], issues: Issues) -> None:
    """Refuse a dependency cycle, unless every task on it is finished (done:
    `rules.FINISHED`): such a cycle can hold nothing back, so its closing link is
    dropped with a warning (task-master files in the wild have them)."""
    from ...domain.graph import find_cycle
    from ...domain.rules import FINISHED

    finished = {s.value for s in FINISHED}

    by_key = {r.key: r for r in records}
    graph = {key: list(r.data.get("depends_on", [])) for key, r in by_key.items()}
    while cycle := find_cycle(graph):
        record = by_key[cycle[0]]
        chain = " -> ".join(cycle)
        if any(by_key[k].data.get("status") not in finished for k in cycle[:-1]):
            refused = CycleError(cycle)  # exit 5, as for a plan file or `task depend`
            refused.args = (f"{record.where}: {record.refs_field}: dependency cycle: {chain}",)
            raise refused
        message = (
            f"{record.where}: {record.refs_field}: cycle among finished tasks ({chain}); "
            f"the link {cycle[0]} -> {cycle[1]} is not imported"
        )
        if issues.strict:  # refused, it is a cycle like any other: exit 5
            refused = CycleError(cycle)
            refused.args = (f"{message} (refused by --strict)",)
            raise refused
        issues.warn(message)
        graph[cycle[0]].remove(cycle[1])
        record.data["depends_on"] = graph[cycle[0]]
        record.unlinked.append(cycle[1])

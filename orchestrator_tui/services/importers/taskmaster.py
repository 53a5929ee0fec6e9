"""task-master's `tasks.json`: the tagged form (`{"tag": {"tasks": [...],
"metadata": {...}}, ...}`) and the legacy form (`{"tasks": [...]}`, read as
tag `master`).

Keys: `<tag>-<id>` for a task and `<tag>-<id>.<sub>` for a subtask (tag made
key-safe: `master-12`, `master-12.3`, `tm-core-phase-1-4`); external ids are
`<tag>/<id>` and `<tag>/<id>.<sub>`. Every task carries its tag in `tags`.

Dependencies are numbers or strings. In a task, `7` is task 7 and `"7.2"`
subtask 2 of task 7; in a subtask a bare number is a sibling subtask. Fields
we have no column for (details, testStrategy, complexity, ...) go to `extra`
unchanged, with `extra["_taskmaster"]` remembering the original id, status
and dependency words, a blank description, field order and tag metadata so
export writes the same file back; links the file names but we do not import
(to the task itself, or closing a cycle among finished tasks) are remembered
there as `unlinked`, and tags with no tasks on the file's first task as
`empty_tags`. A task's description that only repeats its title is read as
none: our export writes the title for a task without one (task-master
requires one).

A record our export wrote for a task it could not name by source, tag and
id (one made here, from another source, renumbered, or written to another
file than its own) carries that task's key in
`metadata["orchestrator-tui"]["key"]` (and its source in `"source"`), which
task-master keeps; the import hands it on (`ParsedImport.adopt`) so that the
record updates that task rather than adding a second one, and takes it out
of the kept metadata.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from ...domain.enums import Complexity, TaskStatus
from ...domain.plan import NamedTask
from ...domain.status_map import TO_TASK_MASTER
from .common import (
    MARK,
    Issues,
    ParsedImport,
    Progress,
    Record,
    fail,
    finish,
    link,
    named_once,
    named_task,
    priority_at,
    slug,
    source_name,
    status_at,
    time_at,
)
from .source import Source

FORMAT = "task-master"
RESERVED = "_taskmaster"
#: Record fields that have a column of ours; every other field goes to `extra`.
MAPPED = ("id", "title", "description", "status", "priority", "dependencies", "subtasks")


def task_key(tag: str, task_id: Any) -> str:
    """The key of task `task_id` of `tag` (`master-12`); a subtask's is `sub_key`."""
    return f"{slug(tag)}-{slug(str(task_id), 20)}"


def sub_key(top_key: str, sub_id: Any) -> str:
    return f"{top_key}.{slug(str(sub_id), 20)}"


def detect(source: Source) -> bool:
    return not source.is_dir and source.suffix == ".json" and looks_like(source.json)


def looks_like(data: Any) -> bool:
    if not isinstance(data, dict) or not data:
        return False
    if isinstance(data.get("tasks"), list):
        return all(isinstance(t, dict) and "id" in t for t in data["tasks"][:5])
    return all(isinstance(v, dict) and isinstance(v.get("tasks"), list) for v in data.values())


def _complexity(score: Any) -> str | None:
    if isinstance(score, bool) or not isinstance(score, int | float):
        return None
    if score <= 3:
        return Complexity.LOW.value
    if score <= 6:
        return Complexity.MEDIUM.value
    return Complexity.HIGH.value if score <= 8 else Complexity.VERY_HIGH.value


def _id_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
        raise fail(where, "id", f"expected a number or a string, got {value!r}")
    return str(value).strip()


class _Tag:
    """One tag's tasks, read into plan-task dicts before references resolve."""

    def __init__(self, name: str, origin: str, source: str, issues: Issues) -> None:
        self.name, self.origin, self.source, self.issues = name, origin, source, issues
        self.tops: dict[str, str] = {}  # task id -> key
        self.subs: dict[tuple[str, str], str | None] = {}  # (id, sub) -> key; None: ambiguous
        self.records: list[Record] = []
        self.parent_ids: dict[str, str] = {}  # subtask key -> its task's id
        self.scope = f"in tag {name!r}"
        #: record key -> the task of ours its metadata names
        self.adopt: dict[str, NamedTask] = {}

    def read(self, tasks: Any, metadata: Any) -> None:
        if not isinstance(tasks, list):
            raise fail(f"{self.origin}: tag {self.name!r}", "tasks", "expected a list of tasks")
        for index, record in enumerate(tasks):
            where = f"{self.origin}: tag {self.name!r}, tasks[{index}]"
            if not isinstance(record, dict):
                raise fail(where, "record", "expected an object")
            tid = _id_text(record.get("id"), where)
            where = f"{where} (id {tid})"
            if tid in self.tops:
                raise fail(where, "id", f"duplicate task id {tid} in tag {self.name!r}")
            key = task_key(self.name, tid)
            self.tops[tid] = key
            first = metadata if index == 0 and metadata is not None else None
            self._record(record, key, f"{self.name}/{tid}", None, None, where, first)
            subtasks = record.get("subtasks")
            if subtasks is None:
                continue
            if not isinstance(subtasks, list):
                raise fail(where, "subtasks", "expected a list")
            counts = Counter(
                _id_text(s.get("id"), f"{where}, subtasks[{j}]") if isinstance(s, dict) else ""
                for j, s in enumerate(subtasks)
            )
            seen: Counter[str] = Counter()
            for j, sub in enumerate(subtasks):
                swhere = f"{where}, subtasks[{j}]"
                if not isinstance(sub, dict):
                    raise fail(swhere, "record", "expected an object")
                sid = _id_text(sub.get("id"), swhere)
                swhere = f"{swhere} (id {tid}.{sid})"
                seen[sid] += 1
                skey = sub_key(key, sid)
                ext = f"{self.name}/{tid}.{sid}"
                if counts[sid] > 1:
                    if seen[sid] == 1:
                        self.issues.warn(
                            f"{where}: subtasks: {counts[sid]} subtasks share id {sid}; "
                            f"imported as {skey}, {skey}-2, ... (a dependency on {tid}.{sid} "
                            "would be ambiguous)"
                        )
                    if seen[sid] > 1:
                        skey, ext = f"{skey}-{seen[sid]}", f"{ext}#{seen[sid]}"
                    self.subs[(tid, sid)] = None
                else:
                    self.subs[(tid, sid)] = skey
                self._record(sub, skey, ext, key, tid, swhere, None)

    def _record(
        self,
        record: dict[str, Any],
        key: str,
        ext: str,
        parent: str | None,
        parent_id: str | None,
        where: str,
        metadata: Any,
    ) -> None:
        title = record.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(where, "title", "missing or empty")
        deps = record.get("dependencies")
        if deps is None:
            deps = []
        if not isinstance(deps, list):
            raise fail(where, "dependencies", f"expected a list, got {deps!r}")
        extra = {k: v for k, v in record.items() if k not in MAPPED}
        if (ours := self._our_key(extra, where)) is not None:
            self.adopt[key] = ours
        # a `metadata` that held only our mark is not the record's own field
        fields = [name for name in record if name != "metadata" or name in extra]
        memo: dict[str, Any] = {"id": record.get("id"), "fields": fields, "tag": self.name}
        if "dependencies" in record:
            memo["dependencies"] = record["dependencies"]
        data: dict[str, Any] = {
            "key": key,
            "title": title,
            "tags": [self.name],
            "source": self.source,
            "external_id": ext,
        }
        if "description" in record:
            text = record["description"]
            if not isinstance(text, str | None):
                raise fail(where, "description", "expected text")
            if not text:  # the file's own blank, written back as it was
                memo["description"] = text
            elif parent is None and text == title:
                # a task's title standing in for the description task-master requires
                # (our export writes it for a task without one): it holds nothing more
                text = ""
            data["description"] = text or ""
        if "status" in record:
            data["status"] = status_at(record["status"], where, "status")
            memo["status"] = record["status"]
        if record.get("priority") is not None:
            data["priority"] = priority_at(record["priority"], where, "priority")
            memo["priority"] = record["priority"]
        if (level := _complexity(record.get("complexity"))) is not None:
            data["complexity"] = level
        if isinstance(record.get("updatedAt"), str):
            data["updated"] = time_at(record["updatedAt"], where, "updatedAt")
        if parent:
            data["parent"] = parent
        if metadata is not None:
            memo["tag_info"] = metadata
        data["extra"] = {**extra, RESERVED: memo}
        if parent_id is not None:
            self.parent_ids[key] = parent_id
        self.records.append(Record(data, where, deps, scope=self.scope))

    def _our_key(self, extra: dict[str, Any], where: str) -> NamedTask | None:
        """The task our export wrote into the record's metadata, taken out of it."""
        metadata = extra.get("metadata")
        if not isinstance(metadata, dict) or MARK not in metadata:
            return None
        mark = metadata[MARK]
        rest = {k: v for k, v in metadata.items() if k != MARK}
        if rest:
            extra["metadata"] = rest
        else:
            del extra["metadata"]
        return named_task(mark, where, "metadata", self.issues)

    def resolve(self, token: Any, record: Record) -> str | None:
        where, parent_id = record.where, self.parent_ids.get(record.key)
        if isinstance(token, bool) or not isinstance(token, int | str):
            raise fail(where, "dependencies", f"{token!r} is not a task id")
        text = str(token).strip()
        if "." in text:
            head, _, tail = text.partition(".")
            pair = (head, tail)
        elif parent_id is not None:
            pair = (parent_id, text)
        else:
            return self.tops.get(text)
        if pair in self.subs and self.subs[pair] is None:
            raise fail(where, "dependencies", f"{text!r} is ambiguous: several subtasks have id")
        return self.subs.get(pair)


def _remember_unlinked(record: Record) -> None:
    if record.unlinked:
        record.data["extra"][RESERVED]["unlinked"] = record.unlinked


def parse(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    path, origin = source.path, source.origin
    records, adopt = _read_tags(source, issues)
    source.release()  # the records hold what they need of the parsed file
    if progress:
        progress("read", len(records), len(records))
    parsed = finish(
        records,
        issues,
        fmt=FORMAT,
        origin=origin,
        name=path.stem,
        where_prefix=f"{origin}: ",
        before_validation=_remember_unlinked,
    )
    parsed.adopt = adopt
    parsed.same_as_ours = same_as_ours
    return parsed


def same_as_ours(row: Any, name: str, values: Mapping[str, Any]) -> bool:
    """task-master's rule (`plans.SameAsOurs`): a status word that is the one our
    export writes for the task's status (task-master has no `failed`: a failed task
    goes out `blocked`, and stays failed)."""
    if name == "extra":
        return False  # its memo alone is told apart by every import
    memo = (values.get("extra") or {}).get(RESERVED)
    return (
        name == "status"
        and isinstance(memo, dict)
        and memo.get("status") == TO_TASK_MASTER.get(TaskStatus(row.status))
    )


def _read_tags(source: Source, issues: Issues) -> tuple[list[Record], dict[str, NamedTask]]:
    """Every tag's records, linked within their tag, and the tasks of ours their
    metadata names (record key -> ours; a key named twice only for the first)."""
    data = source.json
    if not looks_like(data):
        raise fail(source.origin, "top level", "not a task-master file (no `tasks` list or tags)")
    legacy = isinstance(data.get("tasks"), list)
    tags = {"master": data} if legacy else data
    label = source_name(FORMAT, source.path)
    records: list[Record] = []
    marks: list[tuple[str, NamedTask, str]] = []
    empty: list[list[Any]] = []  # [position, tag, metadata] of tags with no tasks
    for position, (name, body) in enumerate(tags.items()):
        tag = _Tag(name, source.origin, label, issues)
        metadata = body.get("metadata")
        tag.read(body.get("tasks"), {"legacy": True} if legacy else {"metadata": metadata})
        link(tag.records, tag.resolve, issues)
        records += tag.records
        where = {r.key: r.where for r in tag.records} if tag.adopt else {}
        marks += [(key, ours, where[key]) for key, ours in tag.adopt.items()]
        if not tag.records:
            empty.append([position, name, metadata])
    if empty and records:  # an empty tag has no task to carry it: the file's first one does
        records[0].data["extra"][RESERVED]["empty_tags"] = empty
    return records, named_once(marks, "metadata", issues)

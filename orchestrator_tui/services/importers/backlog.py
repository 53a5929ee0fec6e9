"""A Backlog.md folder: `backlog/` with `config.yml`, `tasks/`, `completed/`,
`archive/tasks/` and `drafts/`, one markdown file per task.

Keys are the task ids in lower case (`back-100`, `back-100.9`, `draft-1`);
archived tasks get `-archived` after theirs (`back-168-archived`), as
Backlog.md may reuse an archived task's id. External ids are the ids in upper
case (`BACK-100`; `archive/BACK-168` for archived ones).

Status words come from `config.yml` (a custom status not in our table maps
by its column: the first is pending, the last done, the others in
progress). Drafts become `deferred` and archived tasks `cancelled` unless
they are done; the file's own status word stays in `extra["status"]`.
References to tasks that are not in the folder (`task-0` from long ago)
are kept in `extra` with a warning: Backlog.md itself keeps them. The
parent is the first of `parent_task_id`, `parent_task` and `parent` given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...domain.enums import TaskStatus
from ...domain.status_map import known_words
from ..safe_yaml import load_yaml, read_text
from .common import (
    Issues,
    ParsedImport,
    Progress,
    Record,
    done_or,
    fail,
    finish,
    jsonable,
    link,
    priority_at,
    slug,
    source_name,
    status_at,
    time_at,
)
from .markdown import checkboxes, read_frontmatter, sections, split_frontmatter
from .source import Source

FORMAT = "backlog"
#: (folder, namespace, tag added to each task)
FOLDERS = [
    ("tasks", "task", None),
    ("completed", "task", "completed"),
    ("drafts", "draft", "draft"),
    ("archive/tasks", "archive", "archived"),
]
_ID = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+(?:\.\d+)*)$")
_MAPPED = {
    "id",
    "title",
    "status",
    "assignee",
    "labels",
    "dependencies",
    "priority",
    "parent_task_id",
    "parent_task",
    "parent",
    "created_date",
    "updated_date",
}
_SECTIONS = {
    "Implementation Plan": "implementation_plan",
    "Implementation Notes": "implementation_notes",
    "Definition of Done": "definition_of_done",
}


def find_root(path: Path) -> Path | None:
    for candidate in (path, path / "backlog", path / ".backlog"):
        marked = (candidate / "config.yml").is_file() or (candidate / "tasks").is_dir()
        if marked and any((candidate / folder).is_dir() for folder, _, _ in FOLDERS):
            return candidate
    return None


def _number(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


class _Config:
    def __init__(self, root: Path, issues: Issues) -> None:
        path = root / "config.yml"
        data: dict[str, Any] = {}
        if path.is_file():
            loaded = load_yaml(read_text(path), str(path))
            if not isinstance(loaded, dict):
                raise fail(str(path), "top level", "expected a mapping of settings")
            data = loaded
        else:
            issues.notice(f"{root}: no config.yml; using Backlog.md's default statuses")
        statuses = data.get("statuses") or ["To Do", "In Progress", "Done"]
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            raise fail(str(path), "statuses", "expected a list of status names")
        known = known_words()
        self.extra: dict[str, str] = {}
        for index, word in enumerate(statuses):
            if " ".join(word.lower().split()) in known:
                continue
            if index == 0:
                ours = TaskStatus.PENDING
            elif index == len(statuses) - 1:
                ours = TaskStatus.DONE
            else:
                ours = TaskStatus.IN_PROGRESS
            self.extra[word] = ours.value
            issues.notice(f"{path}: statuses: {word!r} maps to {ours.value} by its column")
        self.default_status = str(data.get("default_status") or statuses[0])


class _Reader:
    def __init__(self, root: Path, issues: Issues) -> None:
        self.root, self.issues = root, issues
        self.config = _Config(root, issues)
        self.source = source_name(FORMAT, root)
        # (namespace, number) -> key; namespaces: task, draft, archive
        self.index: dict[tuple[str, tuple[int, ...]], str] = {}
        self.by_key: dict[str, str] = {}  # key -> file label
        self.records: list[Record] = []

    def read_file(self, path: Path, namespace: str, folder_tag: str | None) -> None:
        label = str(path.relative_to(self.root))
        where = f"{self.root}: {label}"
        split = split_frontmatter(read_text(path))
        front = read_frontmatter(split[0], where) if split else {}
        if not front.get("id"):
            self.issues.notice(f"{where}: skipped, not a task (no frontmatter id)")
            return
        raw_id = str(front["id"]).strip()
        where = f"{where} ({raw_id})"
        match = _ID.match(raw_id)
        key = raw_id.lower() if match else slug(raw_id)
        if namespace == "archive":
            key += "-archived"
        if match:
            ident = (namespace, _number(match.group(2)))
            if ident in self.index:
                first = self.by_key[self.index[ident]]
                raise fail(where, "id", f"duplicate id {raw_id} (also in {first})")
            self.index[ident] = key
        if key in self.by_key:
            raise fail(where, "id", f"duplicate id {raw_id} (also in {self.by_key[key]})")
        self.by_key[key] = label
        ext = raw_id.upper() if namespace != "archive" else f"archive/{raw_id.upper()}"
        data = self._task(front, split[1] if split else "", key, ext, where, namespace, folder_tag)
        deps = front.get("dependencies") or []
        if isinstance(deps, str):
            deps = [x.strip() for x in deps.split(",") if x.strip()]
        if not isinstance(deps, list):
            raise fail(where, "dependencies", "expected a list of task ids")
        record = Record(data, where, deps, scope="in this folder")
        for name in ("parent_task_id", "parent_task", "parent"):
            if front.get(name):
                record.parent, record.parent_field = front[name], name
                break
        self.records.append(record)

    def _task(
        self,
        front: dict[str, Any],
        body: str,
        key: str,
        ext: str,
        where: str,
        namespace: str,
        folder_tag: str | None,
    ) -> dict[str, Any]:
        title = front.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(where, "title", "missing or empty")
        word = front.get("status") or self.config.default_status
        status = status_at(word, where, "status", self.config.extra)
        if namespace == "draft":
            status = done_or(status, TaskStatus.DEFERRED)
        elif namespace == "archive":
            status = done_or(status, TaskStatus.CANCELLED)
        extra: dict[str, Any] = {k: jsonable(v) for k, v in front.items() if k not in _MAPPED}
        extra["status"] = word
        labels = front.get("labels") or []
        if isinstance(labels, str):
            labels = [x.strip() for x in labels.split(",") if x.strip()]
        if not isinstance(labels, list):
            raise fail(where, "labels", "expected a list")
        tags = [str(x) for x in labels] + ([folder_tag] if folder_tag else [])
        data: dict[str, Any] = {
            "key": key,
            "title": title,
            "status": status,
            "tags": tags,
            "source": self.source,
            "external_id": ext,
        }
        assignee = front.get("assignee")
        people = assignee if isinstance(assignee, list) else [assignee] if assignee else []
        if people:
            data["assignee"] = str(people[0])
            if len(people) > 1:
                extra["assignee"] = [str(p) for p in people]
        if front.get("priority") is not None:
            data["priority"] = priority_at(front["priority"], where, "priority")
        for name, field_name in (("created", "created_date"), ("updated", "updated_date")):
            if (when := time_at(front.get(field_name), where, field_name)) is not None:
                data[name] = when
        pre, parts = sections(body)
        description = parts.pop("Description", None)
        if description is None:
            description, pre = pre, ""
        elif pre:
            extra["preamble"] = pre
        data["description"] = description
        criteria = parts.pop("Acceptance Criteria", None)
        if criteria is not None:
            boxes = checkboxes(criteria)
            data["success_criteria"] = [text for _, text in boxes]
            extra["acceptance_criteria"] = [{"text": t, "done": d} for d, t in boxes]
            if not boxes and criteria:
                extra["acceptance_criteria_text"] = criteria
        summary = parts.pop("Final Summary", None)
        if summary is not None:
            data["completion_summary"] = summary
        for heading, name in _SECTIONS.items():
            if heading in parts:
                text = parts.pop(heading)
                boxes = checkboxes(text) if name == "definition_of_done" else []
                extra[name] = [{"text": t, "done": d} for d, t in boxes] if boxes else text
        if parts:
            extra["sections"] = parts
        data["extra"] = extra
        return data

    def resolve(self, ref: Any, record: Record) -> str | None:
        text = str(ref).strip()
        match = _ID.match(text)
        if not match:
            return None
        number = _number(match.group(2))
        if match.group(1).lower() == "draft":
            return self.index.get(("draft", number))
        own = ("archive",) if record.key.endswith("-archived") else ()
        for space in (*own, "task", "archive"):
            if (space, number) in self.index:
                return self.index[(space, number)]
        return None


def detect(source: Source) -> bool:
    return source.is_dir and find_root(source.path) is not None


def parse(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    path = source.path
    root = find_root(path)
    if root is None:
        raise fail(str(path), "folder", "not a Backlog.md folder (no config.yml or tasks/)")
    reader = _Reader(root, issues)
    files = [
        (file, namespace, tag)
        for folder, namespace, tag in FOLDERS
        if (root / folder).is_dir()
        for file in sorted((root / folder).glob("*.md"))
    ]
    for count, (file, namespace, tag) in enumerate(files, start=1):
        reader.read_file(file, namespace, tag)
        if progress and (count % 200 == 0 or count == len(files)):
            progress("files", count, len(files))
    link(reader.records, reader.resolve, issues, keep_dangling=True)
    return finish(
        reader.records,
        issues,
        fmt=FORMAT,
        origin=str(root),
        name=root.parent.name or root.name,
        where_prefix=f"{root}: ",
    )

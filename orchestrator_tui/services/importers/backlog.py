"""A Backlog.md folder: `backlog/` with `config.yml`, `tasks/`, `completed/`,
`archive/tasks/` and `drafts/`, one markdown file per task.

Keys are the task ids in lower case (`back-100`, `back-100.9`, `draft-1`);
archived tasks get `-archived` after theirs (`back-168-archived`), as
Backlog.md may reuse an archived task's id. External ids are the ids in upper
case (`BACK-100`; `archive/BACK-168` for archived ones).

Status words are free text: a word maps by its `config.yml` column (the
first pending, the last done, the others in progress) unless the common
table maps it more exactly, and a word in neither is pending with a warning.
Drafts become `deferred` and archived tasks `cancelled` unless they are
done; the file's own status word stays in `extra["status"]` for export.
References to tasks that are not in the folder (`task-0` from long ago)
are kept in `extra` with a warning: Backlog.md itself keeps them. Folders
of every age are read: nested folders, ids in file names only, older key
names, dotted ids with no parent named, unquoted titles with brackets and
colons; a file that still cannot be read, or repeats an id, is skipped
with a warning (refused by --strict).

A file our export wrote for a task it could not name by source and id
carries a line naming that task (`MARK_LINE`); the import takes it out of
the body and hands it on (`ParsedImport.adopt`), so that the file updates
that task (see `plans.named_row`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ...domain.enums import TaskStatus
from ...domain.errors import ValidationFailed
from ...domain.plan import NamedTask
from ...domain.status_map import lookup_status
from ..safe_files import files_in, read_text
from ..safe_yaml import load_yaml
from .common import (
    MARK,
    Issues,
    ParsedImport,
    Progress,
    Record,
    fail,
    finish,
    jsonable,
    link,
    named_once,
    named_task,
    priority_at,
    slug,
    source_name,
    time_at,
)
from .markdown import checkboxes, raw_value, read_frontmatter, sections, split_frontmatter
from .source import Source

FORMAT = "backlog"
#: `extra` key of our own bookkeeping: where the task's file was (for export)
RESERVED = "_backlog"
#: (folder, namespace, tag added to each task); each folder is read with its subfolders
FOLDERS = [
    ("tasks", "task", None),
    ("completed", "task", "completed"),
    ("drafts", "draft", "draft"),
    ("archive/tasks", "archive", "archived"),
]
#: The status a namespace's folder gives its tasks, unless they are done
_FOLDER_STATUS = {"draft": TaskStatus.DEFERRED, "archive": TaskStatus.CANCELLED}


def namespace_of(folder: str) -> str:
    """The namespace of the task files in `folder`, a path under `backlog/`
    (`drafts` -> `draft`, `archive/tasks/x` -> `archive`)."""
    for top, namespace, _ in FOLDERS:
        if folder == top or folder.startswith(top + "/"):
            return namespace
    return "task"


def folder_status(status: str, namespace: str) -> str:
    """The status of a task whose file says `status` and lies in a folder of
    `namespace`: drafts are deferred and archived tasks cancelled, unless they
    are done. The import and the export both ask this."""
    forced = _FOLDER_STATUS.get(namespace)
    return status if forced is None or status == TaskStatus.DONE.value else forced.value


_ID = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+(?:\.\d+)*)$")
#: `back-12 - Title.md`, `task-190.15.4 - x.md`, `task-3.md`: the id a file name carries
_FILE_ID = re.compile(r"^([A-Za-z][A-Za-z0-9_]*-\d+(?:\.\d+)*)(?:\s*-\s*(.*))?$")
#: Frontmatter names, newest first: older Backlog.md versions and hand-written files
_ALIASES = {
    "assignee": ("assignee", "assignees"),
    "labels": ("labels", "tags"),
    "dependencies": ("dependencies", "depends_on"),
    "parent": ("parent_task_id", "parent_task", "parent"),
    "created_date": ("created_date", "created", "createdDate"),
    "updated_date": ("updated_date", "updated", "updatedDate"),
}
_MAPPED = {"id", "title", "status", "priority"} | {n for names in _ALIASES.values() for n in names}
_SECTIONS = {
    "Implementation Plan": "implementation_plan",
    "Implementation Notes": "implementation_notes",
    "Definition of Done": "definition_of_done",
}
#: A line in a task's body where our export names the task it was written from,
#: `<!-- orchestrator-tui: {"key": ..., "source": ...} -->`: Backlog.md drops
#: frontmatter fields it does not know when it rewrites a file, but keeps this
#: (its edits move it to the end of the body).
MARK_LINE = re.compile(rf"^[ \t]*<!--[ \t]*{MARK}:[ \t]*(.*?)[ \t]*-->[ \t]*(?:\n|$)", re.M)
#: A Markdown code fence: three or more backticks or tildes, indented less than four.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)


def _marks_outside_fences(body: str) -> list[re.Match[str]]:
    """The `MARK_LINE`s of `body` that are not inside a fenced code block (one left
    open runs to the end, as Markdown reads it)."""
    fenced: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for fence in _FENCE.finditer(body):
        if opening is None:
            opening = fence
        elif fence.group(1)[0] == opening.group(1)[0] and len(fence.group(1)) >= len(
            opening.group(1)
        ):
            fenced.append((opening.start(), fence.end()))
            opening = None
    if opening is not None:
        fenced.append((opening.start(), len(body)))
    return [m for m in MARK_LINE.finditer(body) if not any(a <= m.start() < b for a, b in fenced)]


_NOT_TASKS = {"readme.md", "index.md"}
_TITLE_LINE = re.compile(r"^#\s+(.+?)\s*#*\s*$")


def find_root(path: Path) -> Path | None:
    for candidate in (path, path / "backlog", path / ".backlog"):
        marked = (candidate / "config.yml").is_file() or (candidate / "tasks").is_dir()
        if marked and any((candidate / folder).is_dir() for folder, _, _ in FOLDERS):
            return candidate
    return None


def _number(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _first(front: dict[str, Any], name: str) -> tuple[str, Any]:
    """(the name the file used, its value) for one of our fields, by its aliases."""
    for alias in _ALIASES[name]:
        if front.get(alias) not in (None, "", []):
            return alias, front[alias]
    return _ALIASES[name][0], None


def _words(value: Any) -> list[str]:
    """A list field as words: `[a, b]`, `a, b` or a single value."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [x.strip() for x in value.split(",") if x.strip()]
    if isinstance(value, list):
        return [str(x).strip() for x in value if x is not None and str(x).strip()]
    return [str(value)]


DEFAULT_STATUSES = ["To Do", "In Progress", "Done"]


#: What a board column means by its place: the first, any between, the last.
BY_PLACE: tuple[TaskStatus, TaskStatus, TaskStatus] = (
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.DONE,
)


def column_statuses(statuses: list[str]) -> dict[str, str]:
    """Status words of a board's columns that the common table does not know,
    mapped by their column's place (`BY_PLACE`)."""
    out: dict[str, str] = {}
    for index, word in enumerate(statuses):
        if lookup_status(word) is not None:
            continue  # the table maps it more exactly than its column
        place = 0 if index == 0 else 2 if index == len(statuses) - 1 else 1
        out[word] = BY_PLACE[place].value
    return out


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
        statuses = data.get("statuses") or DEFAULT_STATUSES
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            issues.warn(f"{path}: statuses: expected a list of status names; using the defaults")
            statuses = DEFAULT_STATUSES
        self.statuses: list[str] = statuses
        self.extra = column_statuses(statuses)
        for word, ours in self.extra.items():
            issues.notice(f"{path}: statuses: {word!r} maps to {ours} by its column")
        self.default_status = str(data.get("default_status") or statuses[0])

    def status(self, word: str, where: str, issues: Issues) -> str:
        """Our status for a task's word: its column, the common table, else pending."""
        found = lookup_status(word, self.extra)
        if found is not None:
            return found.value
        issues.warn(
            f"{where}: status: unknown status {word!r} (not a column in config.yml nor a "
            "common word); imported as pending, the word kept for export"
        )
        return TaskStatus.PENDING.value


class _Reader:
    def __init__(self, root: Path, issues: Issues) -> None:
        self.root, self.issues = root, issues
        self.config = _Config(root, issues)
        self.source = source_name(FORMAT, root)
        # (namespace, number) -> key; namespaces: task, draft, archive
        self.index: dict[tuple[str, tuple[int, ...]], str] = {}
        self.by_key: dict[str, str] = {}  # key -> file label
        self.ident: dict[str, tuple[str, tuple[int, ...]]] = {}  # key -> (namespace, number)
        self.raw_ids: dict[str, str] = {}  # key -> id as written
        self.records: list[Record] = []
        #: (key, the task of ours its mark names, where) of each marked file
        self.marks: list[tuple[str, NamedTask, str]] = []

    def read_file(self, path: Path, namespace: str, folder_tag: str | None) -> None:
        label = path.relative_to(self.root).as_posix()
        where = f"{self.root}: {label}"
        target = path.resolve()
        if not target.is_relative_to(self.root.resolve()):
            self.issues.warn(f"{where}: a link to {target}, outside the imported folder; skipped")
            return
        try:
            text = read_text(path).lstrip("\ufeff")
            split = split_frontmatter(text)
            if split is None and text.startswith("---"):
                self.issues.warn(f"{where}: its frontmatter never closes (no second ---); skipped")
                return
            front = read_frontmatter(split[0], where, lenient=True) if split else {}
        except ValidationFailed as exc:
            self.issues.warn(f"{exc}; file skipped")
            return
        body = split[1] if split else text
        raw_id, name_title = self._id_of(front, path)
        if raw_id is None:
            if path.name.lower() in _NOT_TASKS:
                self.issues.notice(f"{where}: skipped, not a task (no id)")
            else:
                self.issues.warn(f"{where}: skipped: no task id in its frontmatter or file name")
            return
        where = f"{where} ({raw_id})"
        title = self._title(front, split[0] if split else "", body, name_title, where)
        if title is None:
            self.issues.warn(f"{where}: title: none in the file or its name; file skipped")
            return
        match = _ID.match(raw_id)
        key = raw_id.lower() if match else slug(raw_id)
        if namespace == "archive":
            key += "-archived"
        ident = (namespace, _number(match.group(2))) if match else None
        taken = self.index.get(ident) if ident else None
        taken = taken or (key if key in self.by_key else None)
        if taken is not None:
            first = self.by_key[taken]
            if folder_tag == "completed" and f"{key}-completed" not in self.by_key:
                key += "-completed"
                ident, namespace = None, "completed"
                self.issues.warn(f"{where}: id: {raw_id} is also in {first}; imported as {key}")
            else:
                self.issues.warn(f"{where}: id: duplicate id {raw_id} (also in {first}); skipped")
                return
        if ident:
            self.index[ident] = key
            self.ident[key] = ident
        self.by_key[key] = label
        self.raw_ids[key] = raw_id
        ext = raw_id.upper()
        if namespace in ("archive", "completed"):
            ext = f"{namespace}/{ext}"
        data = self._task(front, body, key, ext, where, namespace, folder_tag, title)
        data["extra"][RESERVED] = {"file": label}
        refs_field, deps = _first(front, "dependencies")
        record = Record(data, where, _words(deps), refs_field=refs_field, scope="in this folder")
        parent_field, parent = _first(front, "parent")
        if parent is not None:
            record.parent, record.parent_field = parent, parent_field
        self.records.append(record)

    @staticmethod
    def _id_of(front: dict[str, Any], path: Path) -> tuple[str | None, str | None]:
        """(the task id, the title the file name carries)."""
        match = _FILE_ID.match(path.stem)
        name_title = match.group(2) if match else None
        if front.get("id") not in (None, ""):
            return str(front["id"]).strip(), name_title
        return (match.group(1) if match else None), name_title

    def _title(
        self, front: dict[str, Any], head: str, body: str, from_name: str | None, where: str
    ) -> str | None:
        title = front.get("title")
        if title is not None and not isinstance(title, str):
            title = raw_value(head, "title")  # `title: [WIP]` reads as a list
        if isinstance(title, str) and title.strip():
            return title.strip()
        for line in body.splitlines():
            if m := _TITLE_LINE.match(line):
                return m.group(1)
        if from_name and from_name.strip():
            self.issues.notice(f"{where}: title: none given; taken from the file name")
            return from_name.replace("-", " ").strip()
        return None

    def infer_parents(self) -> None:
        """A dotted id with no parent field (`task-190.15.4`) is a child of the
        id one level up (`task-190.15`) when that task is in the folder."""
        for record in self.records:
            ident = self.ident.get(record.key)
            if record.parent is not None or ident is None or len(ident[1]) < 2:
                continue
            up = self.index.get((ident[0], ident[1][:-1]))
            if up is not None:
                record.parent, record.parent_field = self.raw_ids[up], "id"

    def _task(
        self,
        front: dict[str, Any],
        body: str,
        key: str,
        ext: str,
        where: str,
        namespace: str,
        folder_tag: str | None,
        title: str,
    ) -> dict[str, Any]:
        word = str(front.get("status") or self.config.default_status).strip()
        status = self.config.status(word, where, self.issues)
        status = folder_status(status, namespace)
        extra: dict[str, Any] = {k: jsonable(v) for k, v in front.items() if k not in _MAPPED}
        extra["status"] = word
        tags = _words(_first(front, "labels")[1]) + ([folder_tag] if folder_tag else [])
        data: dict[str, Any] = {
            "key": key,
            "title": title,
            "status": status,
            "tags": tags,
            "source": self.source,
            "external_id": ext,
        }
        people = _words(_first(front, "assignee")[1])
        if people:
            data["assignee"] = people[0]
            if len(people) > 1:
                extra["assignee"] = people
        if front.get("priority") not in (None, ""):
            try:
                data["priority"] = priority_at(front["priority"], where, "priority")
            except ValidationFailed as exc:
                self.issues.warn(f"{exc}; kept in extra")
                extra["priority"] = jsonable(front["priority"])
        for name, field_name in (("created", "created_date"), ("updated", "updated_date")):
            alias, value = _first(front, field_name)
            try:
                when = time_at(value, where, alias)
            except ValidationFailed as exc:
                self.issues.warn(f"{exc}; kept in extra")
                extra[alias] = jsonable(value)
                continue
            if when is not None:
                data[name] = when
        pre, parts = sections(self._take_mark(body, key, where))
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

    def _take_mark(self, body: str, key: str, where: str) -> str:
        """The body without our mark (`MARK_LINE`), the task it names noted. A mark
        inside a fenced code block is the task's text (an example), not ours."""
        marks = _marks_outside_fences(body)
        if not marks:
            return body
        found = marks[-1]  # ours ends the file, or follows the sections an edit added
        try:
            mark: Any = json.loads(found.group(1))
        except ValueError:
            mark = found.group(1)
        ours = named_task(mark, where, "body", self.issues)
        if ours is not None:
            self.marks.append((key, ours, where))
        for m in reversed(marks):
            body = body[: m.start()] + body[m.end() :]
        return body

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


def _markdown_files(folder: Path) -> list[Path]:
    """Markdown files in `folder` and its subfolders (`tasks/epics/<epic>/...`),
    the folder's own first; never the archive inside another folder twice."""
    found = files_in(folder, ".md", recursive=True)  # links to folders are not followed
    return sorted(found, key=lambda p: (len(p.relative_to(folder).parts), p.as_posix()))


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
        for file in _markdown_files(root / folder)
    ]
    for count, (file, namespace, tag) in enumerate(files, start=1):
        reader.read_file(file, namespace, tag)
        if progress and (count % 200 == 0 or count == len(files)):
            progress("files", count, len(files))
    reader.infer_parents()
    link(reader.records, reader.resolve, issues, keep_dangling=True)
    parsed = finish(
        reader.records,
        issues,
        fmt=FORMAT,
        origin=str(root),
        name=root.parent.name or root.name,
        where_prefix=f"{root}: ",
    )
    parsed.adopt = named_once(reader.marks, "body", issues)
    parsed.same_as_ours = same_as_ours
    return parsed


#: How our priorities go out to Backlog.md, which has no `critical`.
PRIORITY_OUT = {"low": "low", "medium": "medium", "high": "high", "critical": "high"}


def same_as_ours(row: Any, name: str, values: Mapping[str, Any]) -> bool:
    """Backlog.md's rule (`plans.SameAsOurs`): the priority word our export writes for
    the task's (a critical task goes out `high`), a creation time to the minute, as
    the export writes it, and an `extra` new only in the file's own status word and
    memo."""
    new = values[name]
    if name == "priority":
        return PRIORITY_OUT.get(row.priority) == PRIORITY_OUT.get(new, new)
    if name == "created_at":
        ours = row.created_at
        return (
            isinstance(ours, datetime)
            and isinstance(new, datetime)
            and (_minute(ours) == _minute(new) and new.second == 0 and new.microsecond == 0)
        )
    if name == "extra":
        old, new = row.extra or {}, new or {}
        said = {k for k in (*old, *new) if not k.startswith("_") and k != "status"}
        if "acceptance_criteria" not in old and unticked_criteria(row) == new.get(
            "acceptance_criteria"
        ):
            said.discard("acceptance_criteria")  # how the export writes success criteria
        return all(old.get(k) == new.get(k) for k in said)
    return False


def unticked_criteria(row: Any) -> list[dict[str, Any]]:
    """The task's success criteria as the export writes them: unticked boxes."""
    return [{"text": text, "done": False} for text in row.success_criteria or []]


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0, tzinfo=None)

"""Writing the database out as a Backlog.md folder: `backlog/config.yml` and
one markdown file per task, as the `backlog` CLI writes them.

Tasks imported from Backlog.md go back with their own ids, folders
(`tasks/`, nested ones, `completed/`, `drafts/`, `archive/tasks/`), status
words (when the word still means the task's status), kept frontmatter
fields, sections and references to tasks that were never in the folder.
Other tasks get fresh ids (`task-N`, children `task-N.M` with
`parent_task_id`) in `tasks/`. The board's columns are written so that
every status word maps back to the same status (see `backlog.column_statuses`).

A task that importing the folder written would not find by its own source
and id (one made here, from another source, or written to a folder other
than the one it came from) ends its file with our mark (`backlog.MARK_LINE`)
naming its key and its source when it has one, so that importing the folder
updates that task instead of adding a copy or refusing its key.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import Connection, select

from ...domain.enums import TaskStatus
from ...domain.plan import NamedTask
from ...domain.status_map import TO_BACKLOG, lookup_status
from ...store.tables import Task, TaskDependency
from .backlog import (
    BY_PLACE,
    FORMAT,
    PRIORITY_OUT,
    RESERVED,
    column_statuses,
    folder_status,
    namespace_of,
    unticked_criteria,
)
from .common import MARK, source_name

_ID = re.compile(r"^(?:archive/|completed/)?([A-Za-z][A-Za-z0-9_]*)-(\d+(?:\.\d+)*)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")
#: `extra` keys the importer fills from the body or for itself: written back as the body
_BODY_KEYS = {
    RESERVED,
    "status",
    "assignee",
    "preamble",
    "acceptance_criteria",
    "acceptance_criteria_text",
    "implementation_plan",
    "implementation_notes",
    "definition_of_done",
    "sections",
    "unresolved_dependencies",
    "unresolved_parent",
}
_FOLDER_TAGS = {"completed", "draft", "archived"}
_SECTIONS = (
    ("implementation_plan", "Implementation Plan", "SECTION:PLAN"),
    ("implementation_notes", "Implementation Notes", "SECTION:NOTES"),
)


def _file_name(task_id: str, title: str) -> str:
    safe = _UNSAFE.sub("-", title).strip("-.")[:80].strip("-.")
    return f"{task_id.lower()} - {safe or 'task'}.md"


def _when(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16].replace("T", " ") if value else None


def _checklist(items: list[dict[str, Any]]) -> list[str]:
    return [
        f"- [{'x' if item.get('done') else ' '}] #{n} {item.get('text', '')}"
        for n, item in enumerate(items, start=1)
    ]


class _Export:
    def __init__(self, conn: Connection, root: Path) -> None:
        #: what importing the folder written gives its tasks as their source
        self.source = source_name(FORMAT, root)
        t = Task.__table__
        self.rows = {r.id: r for r in conn.execute(select(t).order_by(t.c.id))}
        d = TaskDependency.__table__
        self.deps: dict[int, list[int]] = {}
        for dep in conn.execute(select(d.c.task_id, d.c.depends_on_id).order_by(d.c.id)):
            self.deps.setdefault(dep.task_id, []).append(dep.depends_on_id)
        self.mine = {i for i, r in self.rows.items() if (r.source or "").startswith(f"{FORMAT}:")}
        self.prefix = self._prefix()
        self.ids: dict[int, str] = {}
        self.folder: dict[int, str] = {}
        self._number()
        self.columns = self._columns()
        self.column_words = column_statuses(self.columns)

    def _kept_id(self, task_id: int) -> tuple[str, str] | None:
        """(id as written, namespace) of a task imported from Backlog.md."""
        row = self.rows[task_id]
        match = _ID.match(row.external_id or "") if task_id in self.mine else None
        if match is None:
            return None
        return f"{match.group(1)}-{match.group(2)}", match.group(1).lower()

    def _prefix(self) -> str:
        counts: dict[str, int] = {}
        for i in self.mine:
            kept = self._kept_id(i)
            if kept and kept[1] != "draft":
                counts[kept[1]] = counts.get(kept[1], 0) + 1
        return max(counts, key=lambda p: counts[p]) if counts else "task"

    def _depth(self, task_id: int) -> int:
        depth, node, seen = 0, self.rows[task_id].parent_id, {task_id}
        while node in self.rows and node not in seen:
            seen.add(node)
            depth, node = depth + 1, self.rows[node].parent_id
        return depth

    def _number(self) -> None:
        taken: set[str] = set()
        fresh: list[int] = []
        for i in self.rows:
            kept = self._kept_id(i)
            space = "archive:" if (self.rows[i].external_id or "").startswith("archive/") else ""
            if kept and kept[1] in (self.prefix, "draft") and space + kept[0].upper() not in taken:
                self.ids[i] = kept[0].upper()
                taken.add(space + self.ids[i])
                file = (self.rows[i].extra or {}).get(RESERVED, {}).get("file")
                self.folder[i] = str(PurePosixPath(file).parent) if file else "tasks"
            else:
                fresh.append(i)
        head = self.prefix.upper()
        for i in sorted(fresh, key=lambda i: (self._depth(i), i)):
            parent = self.rows[i].parent_id
            stem = f"{self.ids[parent]}." if parent in self.ids else f"{head}-"
            number = 1
            while f"{stem}{number}" in taken:
                number += 1
            self.ids[i] = f"{stem}{number}"
            taken.add(self.ids[i])
            self.folder[i] = "tasks"

    def _kept_word(self, task_id: int) -> str | None:
        word = (self.rows[task_id].extra or {}).get("status") if task_id in self.mine else None
        return word.strip() if isinstance(word, str) and word.strip() else None

    def _columns(self) -> list[str]:
        """Board columns: our words for the statuses in use, in board order, and
        each kept word of no table placed where its column means its status."""
        used = {TaskStatus(r.status) for r in self.rows.values()}
        used |= set(BY_PLACE)  # their default board: a column for each place
        ours = [word for status, word in TO_BACKLOG.items() if status in used]
        first: list[str] = []
        middle: list[str] = []
        last: list[str] = []
        places = {s.value: p for s, p in zip(BY_PLACE, (first, middle, last), strict=True)}
        for i, row in self.rows.items():
            word = self._kept_word(i)
            if word is None or lookup_status(word) is not None:
                continue
            place = places.get(row.status)
            if place is not None and word not in place and (place is middle or not place):
                place.append(word)  # one first and one last column; others stay off the board
        return first + ours[:1] + middle + ours[1:] + last

    def status_word(self, task_id: int) -> str:
        status = TaskStatus(self.rows[task_id].status)
        word = self._kept_word(task_id)
        mapped = None
        if word is not None:  # the importer reads a word of no column and no table as pending
            mapped = lookup_status(word, self.column_words) or TaskStatus.PENDING
        if mapped is not None:  # as the importer will read it from the task's folder
            mapped = TaskStatus(folder_status(mapped.value, namespace_of(self.folder[task_id])))
        if word is not None and mapped is status:
            return word
        return TO_BACKLOG[status]

    def front(self, task_id: int) -> dict[str, Any]:
        row = self.rows[task_id]
        extra = dict(row.extra or {})
        people = extra.get("assignee") if isinstance(extra.get("assignee"), list) else None
        labels = list(row.tags or [])
        if task_id in self.mine:
            labels = [x for x in labels if x not in _FOLDER_TAGS]
        deps = [self.ids[d] for d in self.deps.get(task_id, []) if d in self.ids]
        deps += [str(x) for x in extra.get("unresolved_dependencies") or []]
        out: dict[str, Any] = {
            "id": self.ids[task_id],
            "title": row.title,
            "status": self.status_word(task_id),
            "assignee": people or ([row.assignee] if row.assignee else []),
        }
        if (created := _when(row.created_at)) is not None:
            out["created_date"] = created
        if task_id in self.mine and (updated := _when(row.updated_at)) is not None:
            out["updated_date"] = updated
        out["labels"] = labels
        out["dependencies"] = deps
        if row.parent_id in self.ids:
            out["parent_task_id"] = self.ids[row.parent_id]
        elif extra.get("unresolved_parent"):
            out["parent_task_id"] = str(extra["unresolved_parent"])
        if row.priority in PRIORITY_OUT and (task_id in self.mine or row.priority != "medium"):
            out["priority"] = PRIORITY_OUT[row.priority]
        for name, value in extra.items():
            if name not in _BODY_KEYS and name not in out:
                out[name] = value
        return out

    def body(self, task_id: int) -> str:
        row = self.rows[task_id]
        extra = row.extra or {}
        parts: list[str] = []
        if extra.get("preamble"):
            parts.append(str(extra["preamble"]))
        if row.description:
            parts.append(
                "## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\n"
                f"{row.description}\n<!-- SECTION:DESCRIPTION:END -->"
            )
        criteria = extra.get("acceptance_criteria")
        texts = [c.get("text") for c in criteria] if isinstance(criteria, list) else None
        if texts != list(row.success_criteria or []):
            criteria = unticked_criteria(row)
        if criteria:
            lines = "\n".join(_checklist(criteria))
            parts.append(f"## Acceptance Criteria\n<!-- AC:BEGIN -->\n{lines}\n<!-- AC:END -->")
        elif extra.get("acceptance_criteria_text"):
            parts.append(f"## Acceptance Criteria\n\n{extra['acceptance_criteria_text']}")
        for name, heading, marker in _SECTIONS:
            if isinstance(extra.get(name), str) and extra[name]:
                parts.append(
                    f"## {heading}\n\n<!-- {marker}:BEGIN -->\n{extra[name]}\n<!-- {marker}:END -->"
                )
        if row.completion_summary:
            parts.append(
                "## Final Summary\n\n<!-- SECTION:FINAL_SUMMARY:BEGIN -->\n"
                f"{row.completion_summary}\n<!-- SECTION:FINAL_SUMMARY:END -->"
            )
        done = extra.get("definition_of_done")
        if isinstance(done, list) and done:
            lines = "\n".join(_checklist(done))
            parts.append(f"## Definition of Done\n<!-- DOD:BEGIN -->\n{lines}\n<!-- DOD:END -->")
        elif isinstance(done, str) and done:
            parts.append(f"## Definition of Done\n\n{done}")
        sections = extra.get("sections")
        if isinstance(sections, dict):
            parts += [f"## {name}\n\n{text}" for name, text in sections.items()]
        if (mark := self.mark(task_id)) is not None:
            parts.append(mark)
        return "\n\n".join(parts)

    def mark(self, task_id: int) -> str | None:
        """The line naming the task a file was written from (`MARK_LINE`), for a
        task that importing the folder written would not find by its source and
        id: its key, and its source when it has one."""
        row, written = self.rows[task_id], self.ids[task_id]
        if namespace_of(self.folder[task_id]) == "archive":
            written = f"archive/{written}"
        if row.source == self.source and row.external_id == written:
            return None
        named = NamedTask.mark(row.key, row.source)
        return f"<!-- {MARK}: {json.dumps(named, ensure_ascii=False)} -->"

    def files(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i, row in self.rows.items():
            head = yaml.safe_dump(self.front(i), sort_keys=False, allow_unicode=True, width=1000)
            body = self.body(i)
            name = f"{self.folder[i]}/{_file_name(self.ids[i], row.title)}"
            out[f"backlog/{name}"] = f"---\n{head}---\n" + (f"\n{body}\n" if body else "")
        config = {
            "project_name": "orchestrator-tui export",
            "default_status": self.columns[0],
            "statuses": self.columns,
            "labels": [],
            "date_format": "yyyy-mm-dd hh:mm",
            "task_prefix": self.prefix,
        }
        out["backlog/config.yml"] = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        return out


def export(conn: Connection, path: Path) -> tuple[dict[str, str], int, list[str]]:
    """({path inside `path`: text}, tasks written, warnings)."""
    job = _Export(conn, path / "backlog")
    return job.files(), len(job.rows), []

"""Writing the database back out as task-master's `tasks.json`.

Tasks imported from task-master go back to their tag with their own ids,
status words, dependency words and kept fields, in their original field
order; tags the file had with no tasks come back too. Other tasks go to
tag `master` with fresh numeric ids. A task's
children become its subtasks (deeper descendants join their top task, as
task-master has one level of subtasks). Dependencies across tags cannot be
written in task-master's notation and are left out with a warning.

A record that importing the file written would not find by its own source,
tag and id (a task made here, from another source, renumbered, or written to
a file other than the one it came from) carries the task's key in its
`metadata`, with the source the task came from when it has one
(`{"orchestrator-tui": {"key": ..., "source": ...}}`), so that importing the
file updates that task instead of adding a copy or refusing its key; a file
imported and exported to itself unchanged gains no metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from ...domain.enums import TaskStatus
from ...domain.errors import OrchestratorError
from ...domain.plan import NamedTask
from ...domain.status_map import TO_TASK_MASTER, map_status
from ...store.tables import Task, TaskDependency
from .common import source_name
from .taskmaster import FORMAT, MARK, RESERVED, sub_key, task_key

DEFAULT_TAG = "master"
_TOP_FIELDS = ["id", "title", "description", "status", "priority", "dependencies", "subtasks"]
_SUB_FIELDS = ["id", "title", "description", "status", "dependencies"]


def _memo(row: Any) -> dict[str, Any]:
    memo = (row.extra or {}).get(RESERVED)
    return memo if isinstance(memo, dict) else {}


def _word(memo: dict[str, Any], name: str, ours: str, default: str) -> str:
    """The file's own word when it still means our value, else `default`."""
    word = memo.get(name)
    if isinstance(word, str):
        try:
            if map_status(word).value == ours if name == "status" else word.lower() == ours:
                return word
        except OrchestratorError:
            pass
    return default


def _description(row: Any, memo: dict[str, Any], is_top: bool) -> str | None:
    """The record's description. task-master refuses a task (not a subtask) whose
    description is missing or blank: a task of ours without one goes out with its
    title, which the import reads back as none. A blank the file itself had
    (or a description it left out) stays as it was."""
    if row.description:
        return str(row.description)
    if memo and ("description" in memo or "description" not in memo.get("fields", ())):
        return memo.get("description", "")
    return row.title if is_top else ""


class _Export:
    def __init__(self, conn: Connection, path: Path) -> None:
        #: what importing the file written gives its tasks as their source
        self.source = source_name(FORMAT, path)
        t = Task.__table__
        self.rows = {r.id: r for r in conn.execute(select(t).order_by(t.c.id))}
        self.by_key = {r.key: i for i, r in self.rows.items()}
        d = TaskDependency.__table__
        self.deps: dict[int, list[int]] = {}
        for dep in conn.execute(select(d.c.task_id, d.c.depends_on_id).order_by(d.c.id)):
            self.deps.setdefault(dep.task_id, []).append(dep.depends_on_id)
        self.warnings: list[str] = []
        self.tag = {i: _memo(r).get("tag") or DEFAULT_TAG for i, r in self.rows.items()}
        self.top: dict[int, int] = {i: self._top_of(i) for i in self.rows}
        self.ids: dict[int, Any] = {}
        self._number()

    def _top_of(self, task_id: int) -> int:
        node, seen = task_id, {task_id}
        while True:
            parent = self.rows[node].parent_id
            if parent is None or parent not in self.rows or self.tag[parent] != self.tag[task_id]:
                return node
            if parent in seen:  # defensive: parent loops are refused on import
                return node
            seen.add(parent)
            node = parent

    def _number(self) -> None:
        used: dict[tuple[str, int | None], set[str]] = {}
        waiting: list[int] = []
        for i, row in self.rows.items():
            scope = (self.tag[i], None if self.top[i] == i else self.top[i])
            original = _memo(row).get("id")
            taken = used.setdefault(scope, set())
            if original is not None and (scope[1] is not None or str(original) not in taken):
                self.ids[i] = original
                taken.add(str(original))
            else:
                waiting.append(i)
        for i in waiting:
            scope = (self.tag[i], None if self.top[i] == i else self.top[i])
            taken = used.setdefault(scope, set())
            number = 1 + max((int(x) for x in taken if x.isdigit()), default=0)
            self.ids[i] = number
            taken.add(str(number))

    def _pair(self, task_id: int) -> tuple[str, str | None]:
        top = self.top[task_id]
        return (str(self.ids[top]), None if top == task_id else str(self.ids[task_id]))

    def _tokens(self, task_id: int) -> list[Any]:
        row, memo = self.rows[task_id], _memo(self.rows[task_id])
        mine = self._pair(task_id)
        fresh: list[Any] = []
        wanted: set[tuple[str, str | None]] = set()
        for dep in self.deps.get(task_id, []):
            if self.tag[dep] != self.tag[task_id]:
                self.warnings.append(
                    f"{row.key}: dependency on {self.rows[dep].key} (tag {self.tag[dep]}) "
                    "left out: task-master links tasks within one tag only"
                )
                continue
            pair = self._pair(dep)
            wanted.add(pair)
            if mine[1] is None:
                fresh.append(self.ids[dep] if pair[1] is None else f"{pair[0]}.{pair[1]}")
            elif pair[1] is not None and pair[0] == mine[0]:
                fresh.append(self.ids[dep])
            elif pair[1] is not None:
                fresh.append(f"{pair[0]}.{pair[1]}")
            else:
                # inside a subtask a bare number is a sibling: a top task cannot be named;
                # when the subtask's top task waits for it too, nothing is lost
                wanted.discard(pair)
                if dep not in self.deps.get(self.top[task_id], []):
                    self.warnings.append(
                        f"{row.key}: dependency on {self.rows[dep].key} left out: a task-master "
                        "subtask can name only subtasks; its top task does not wait for it"
                    )
        original = memo.get("dependencies")
        if isinstance(original, list) and self._same(original, mine, wanted, task_id):
            return original
        return fresh

    def _same(
        self,
        original: list[Any],
        mine: tuple[str, str | None],
        wanted: set[tuple[str, str | None]],
        task_id: int,
    ) -> bool:
        exists = {self._pair(i) for i in self.rows if self.tag[i] == self.tag[task_id]}
        unlinked = set(_memo(self.rows[task_id]).get("unlinked") or ())
        exists -= {self._pair(self.by_key[k]) for k in unlinked if k in self.by_key}
        resolved = set()
        for token in original:
            text = str(token)
            if "." in text:
                head, _, tail = text.partition(".")
                pair: tuple[str, str | None] = (head, tail)
            else:
                pair = (text, None) if mine[1] is None else (mine[0], text)
            if pair in exists:
                resolved.add(pair)
        return resolved == wanted

    def _key(self, task_id: int) -> str:
        """The key importing the record written for `task_id` gives."""
        top, sub = self._pair(task_id)
        key = task_key(self.tag[task_id], top)
        return key if sub is None else sub_key(key, sub)

    @staticmethod
    def _mark(row: Any) -> dict[str, str]:
        """What names the task a record was written from: its key, and its source
        when it has one (a task of another database with that key is not it)."""
        return NamedTask.mark(row.key, row.source)

    def record(self, task_id: int, subtasks: list[dict[str, Any]] | None) -> dict[str, Any]:
        row, memo = self.rows[task_id], _memo(self.rows[task_id])
        is_top = subtasks is not None
        values: dict[str, Any] = {
            "id": self.ids[task_id],
            "title": row.title,
            "description": _description(row, memo, is_top),
            "status": _word(memo, "status", row.status, TO_TASK_MASTER[TaskStatus(row.status)]),
            "priority": _word(memo, "priority", row.priority, row.priority),
            "dependencies": self._tokens(task_id),
        }
        if is_top:
            values["subtasks"] = subtasks
        extra = {k: v for k, v in (row.extra or {}).items() if k != RESERVED}
        kept = extra.get("metadata")
        if (row.source != self.source or row.key != self._key(task_id)) and isinstance(
            kept, dict | None
        ):
            extra["metadata"] = {**(kept or {}), MARK: self._mark(row)}
        order = memo.get("fields") or (_TOP_FIELDS if is_top else _SUB_FIELDS)
        out: dict[str, Any] = {}
        for name in order:
            if name in values:
                out[name] = values.pop(name)
            elif name in extra:
                out[name] = extra.pop(name)
        out.update(extra)
        for name, value in values.items():
            if name in ("priority",) and not is_top:
                continue
            if value or name == "status":
                out[name] = value
        return out

    def document(self) -> dict[str, Any]:
        tags: dict[str, list[int]] = {}
        children: dict[int, list[int]] = {}
        for i in self.rows:
            if self.top[i] == i:
                tags.setdefault(self.tag[i], []).append(i)
            else:
                children.setdefault(self.top[i], []).append(i)
        doc: dict[str, Any] = {}
        for tag, tops in tags.items():
            tasks = [
                self.record(i, [self.record(c, None) for c in children.get(i, [])]) for i in tops
            ]
            info: dict[str, Any] = next(
                (x for i in tops if (x := _memo(self.rows[i]).get("tag_info"))), {}
            )
            if len(tags) == 1 and info.get("legacy"):
                return {"tasks": tasks}
            metadata = info.get("metadata")
            if metadata is None:
                metadata = {"description": "Tasks exported from orchestrator-tui"}
            doc[tag] = {"tasks": tasks, "metadata": metadata}
        return self._with_empty_tags(doc)

    def _with_empty_tags(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Tags that had no tasks in the imported file, back in their place."""
        empty = [
            item
            for row in self.rows.values()
            for item in _memo(row).get("empty_tags") or []
            if isinstance(item, list) and len(item) == 3 and item[1] not in doc
        ]
        if not empty:
            return doc
        entries = list(doc.items())
        for position, name, metadata in sorted(empty, key=lambda item: int(item[0])):
            if name not in dict(entries):
                body = (
                    {"tasks": [], "metadata": metadata} if metadata is not None else {"tasks": []}
                )
                entries.insert(min(int(position), len(entries)), (str(name), body))
        return dict(entries)


def export(conn: Connection, path: Path) -> tuple[str, int, list[str]]:
    """(tasks.json text to write to `path`, tasks written, warnings)."""
    job = _Export(conn, path)
    doc = job.document()
    # task-master writes no final newline; neither do we, so a round trip is byte for byte
    return json.dumps(doc, indent=2, ensure_ascii=False), len(job.rows), job.warnings

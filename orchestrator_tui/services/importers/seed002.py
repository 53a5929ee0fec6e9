"""Seed 002's task files: markdown with YAML frontmatter (`task_id`,
`subtask_id`, `title`, `status`, `priority`, `parent_task`, `dependencies`,
`created`, `updated`), one file per task or subtask, in a folder or alone.

Keys are the ids (`task_001`) and, for a subtask, its task's id and its
own (`task_001.subtask_003`). A dependency names a subtask of the same task
or a task. The whole markdown body becomes the description.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..safe_yaml import read_text
from .common import (
    Issues,
    ParsedImport,
    Progress,
    Record,
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
from .markdown import read_frontmatter, split_frontmatter
from .source import Source

FORMAT = "seed-002"
_MAPPED = {
    "task_id",
    "subtask_id",
    "title",
    "status",
    "priority",
    "parent_task",
    "dependencies",
    "created",
    "updated",
}


def _front(path: Path) -> tuple[dict[str, Any], str] | None:
    split = split_frontmatter(read_text(path))
    if split is None:
        return None
    return read_frontmatter(split[0], str(path)), split[1]


def looks_like_folder(path: Path) -> bool:
    for file in sorted(path.rglob("*.md"))[:50]:
        split = split_frontmatter(read_text(file))
        if split and "task_id:" in split[0]:
            return True
    return False


def detect(source: Source) -> bool:
    if source.is_dir:
        return looks_like_folder(source.path)
    return source.suffix == ".md"


def parse(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    path = source.path
    files = sorted(path.rglob("*.md")) if path.is_dir() else [path]
    base = path if path.is_dir() else path.parent
    source_label = source_name(FORMAT, path)
    records: list[Record] = []
    tasks_by_id: dict[str, str] = {}
    subs: dict[tuple[str, str], str] = {}
    seen: dict[str, str] = {}
    for count, file in enumerate(files, start=1):
        label = str(file.relative_to(base))
        where = f"{file}"
        found = _front(file)
        if found is None or not found[0].get("task_id"):
            issues.notice(f"{where}: skipped, not a task file (no task_id in frontmatter)")
            continue
        front, body = found
        task_id = str(front["task_id"]).strip()
        sub_id = str(front.get("subtask_id") or "").strip()
        where = f"{where} ({task_id}{'/' + sub_id if sub_id else ''})"
        key = slug(task_id) + (f".{slug(sub_id)}" if sub_id else "")
        if key in seen:
            raise fail(
                where, "task_id" if not sub_id else "subtask_id", f"duplicate of {seen[key]}"
            )
        seen[key] = label
        if sub_id:
            subs[(task_id, sub_id)] = key
        else:
            tasks_by_id[task_id] = key
        title = front.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(where, "title", "missing or empty")
        data: dict[str, Any] = {
            "key": key,
            "title": title,
            "description": body.strip(),
            "source": source_label,
            "external_id": f"{task_id}/{sub_id}" if sub_id else task_id,
            "extra": {k: jsonable(v) for k, v in front.items() if k not in _MAPPED},
        }
        if front.get("status") is not None:
            data["status"] = status_at(front["status"], where, "status")
        if front.get("priority") is not None:
            data["priority"] = priority_at(front["priority"], where, "priority")
        for name in ("created", "updated"):
            if (when := time_at(front.get(name), where, name)) is not None:
                data[name] = when
        deps = front.get("dependencies") or []
        if not isinstance(deps, list):
            deps = [deps]
        parent = str(front.get("parent_task") or task_id).strip() if sub_id else None
        records.append(
            Record(data, where, deps, parent, parent_field="parent_task", scope="in these files")
        )
        if progress and count % 200 == 0:
            progress("files", count, len(files))

    def resolve(ref: Any, record: Record) -> str | None:
        text = str(ref).strip()
        sibling = subs.get((record.parent, text)) if record.parent else None
        return sibling or tasks_by_id.get(text)

    def resolve_parent(ref: Any, record: Record) -> str | None:
        return tasks_by_id.get(str(ref).strip())

    link(records, resolve, issues, resolve_parent=resolve_parent, keep_dangling=True)
    return finish(records, issues, fmt=FORMAT, origin=str(path), name=path.stem)

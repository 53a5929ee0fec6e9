"""Seed 001's task-orchestrator database: a SQLite file with `tasks`,
`dependencies`, `notifications` and `participants` tables, and beside it
`contexts/<id>.yaml` (shared context), `contexts/<id>_progress.jsonl`
(progress) and `notes/<id>_<agent>.md` (private notes) when present.

Keys are `to-<id>` (`to-abc12345`); the external id is the 8-character id.
The file is opened read-only. A dependency row naming a missing task is
warned about and not linked, as in every format (SQLite does not enforce
the foreign key unless asked to). Notifications have no table of ours; they
are kept in `extra["notifications"]`.
"""

from __future__ import annotations

import glob
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from ...domain.errors import ValidationFailed
from ..safe_yaml import load_json, load_yaml, read_text
from .common import (
    Issues,
    ParsedImport,
    Progress,
    Record,
    fail,
    finish,
    link,
    priority_at,
    slug,
    source_name,
    status_at,
    time_at,
)
from .source import Source

FORMAT = "seed-001"


def detect(source: Source) -> bool:
    return not source.is_dir and source.is_sqlite


def _rows(db: sqlite3.Connection, table: str, order: str) -> list[dict[str, Any]]:
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if table not in names:
        return []
    return [dict(r) for r in db.execute(f'SELECT * FROM "{table}" ORDER BY {order}')]


def _open(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        db.execute("SELECT 1 FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        raise ValidationFailed(f"{path}: cannot read as SQLite: {exc}") from None
    return db


def _criteria(value: Any, where: str) -> tuple[list[str], Any]:
    if value in (None, ""):
        return [], None
    items = load_json(value, f"{where}: success_criteria") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise fail(where, "success_criteria", "expected a JSON array")
    texts = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("criterion"), str):
            texts.append(item["criterion"])
        elif isinstance(item, str):
            texts.append(item)
        else:
            raise fail(where, "success_criteria", f"{item!r} is not a criterion")
    return texts, items


#: A seed-001 id safe to use in a file name (its ids are 8 alphanumerics).
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _history(folder: Path, task_id: str, where: str, data: dict[str, Any]) -> None:
    if not _SAFE_ID.match(task_id):
        return  # an id like ../x must not name files outside contexts/ and notes/
    context = folder / "contexts" / f"{task_id}.yaml"
    if context.is_file():
        doc = load_yaml(read_text(context), str(context))
        body = doc.get("context", doc) if isinstance(doc, dict) else None
        if not isinstance(body, dict):
            raise fail(str(context), "context", "expected a mapping")
        data["context"] = body
    progress = folder / "contexts" / f"{task_id}_progress.jsonl"
    if progress.is_file():
        entries = []
        for number, line in enumerate(read_text(progress).splitlines(), start=1):
            if not line.strip():
                continue
            entry = load_json(line, f"{progress}: line {number}")
            if not isinstance(entry, dict):
                raise fail(f"{progress}: line {number}", "record", "expected an object")
            entries.append(
                {
                    "percent": entry.get("progress"),
                    "message": str(entry.get("message") or ""),
                    "by": str(entry.get("agent") or "system"),
                    "at": entry.get("timestamp"),
                }
            )
        data["progress_history"] = entries
    notes = {}
    for note in sorted((folder / "notes").glob(f"{glob.escape(task_id)}_*.md")):
        notes[note.stem[len(task_id) + 1 :]] = read_text(note)
    if notes:
        data["notes"] = notes


def parse(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    path, origin = source.path, source.origin
    db = _open(path)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_meta" in names:
            raise ValidationFailed(
                f"{path}: an orchestrator-tui database; export it to JSON and import that"
            )
        if "tasks" not in names:
            raise ValidationFailed(f"{path}: no `tasks` table (not a task-orchestrator database)")
        tasks = _rows(db, "tasks", "rowid")
        deps = _rows(db, "dependencies", "rowid")
        notices = _rows(db, "notifications", "rowid")
        people = _rows(db, "participants", "rowid")
    except sqlite3.Error as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc}") from None
    finally:
        db.close()
    label = source_name(FORMAT, path)
    keys: dict[str, str] = {}
    records: list[tuple[dict[str, Any], str]] = []
    for row in tasks:
        tid = str(row.get("id") or "").strip()
        where = f"{origin}: tasks row id={tid or '?'}"
        if not tid:
            raise fail(where, "id", "missing")
        if tid in keys:
            raise fail(where, "id", "duplicate id")
        keys[tid] = f"to-{slug(tid)}"
        criteria, raw = _criteria(row.get("success_criteria"), where)
        data: dict[str, Any] = {
            "key": keys[tid],
            "title": row.get("title") or "",
            "description": row.get("description") or "",
            "status": status_at(row.get("status") or "pending", where, "status"),
            "priority": priority_at(row.get("priority") or "medium", where, "priority"),
            "assignee": row.get("assignee"),
            "success_criteria": criteria,
            "estimated_hours": row.get("estimated_hours"),
            "actual_hours": row.get("actual_hours"),
            "completion_summary": row.get("completion_summary") or "",
            "source": label,
            "external_id": tid,
            "extra": {},
        }
        if raw and any(isinstance(i, dict) for i in raw):
            data["extra"]["success_criteria"] = raw
        for name, column in (
            ("created", "created_at"),
            ("updated", "updated_at"),
            ("completed", "completed_at"),
            ("deadline", "deadline"),
        ):
            if (when := time_at(row.get(column), where, column)) is not None:
                data[name] = when
        if row.get("feedback_quality") is not None or row.get("feedback_timeliness") is not None:
            data["feedback"] = [
                {
                    "quality": row.get("feedback_quality"),
                    "timeliness": row.get("feedback_timeliness"),
                    "notes": row.get("feedback_notes") or "",
                }
            ]
        _history(path.parent, tid, where, data)
        data["participants"] = []
        records.append((data, where))
    by_id = {data["external_id"]: data for data, _ in records}
    refs: dict[str, list[Any]] = {}
    for dep in deps:
        if str(dep.get("task_id")) not in by_id:
            issues.warn(
                f"{origin}: dependencies row id={dep.get('id')}: task_id: "
                f"no task {dep.get('task_id')!r} in this database; not linked"
            )
            continue
        refs.setdefault(str(dep["task_id"]), []).append(dep.get("depends_on"))
    for note in notices:
        where = f"{origin}: notifications row id={note.get('id')}"
        if str(note.get("task_id")) not in by_id:
            raise fail(where, "task_id", f"no task {note.get('task_id')!r}")
        by_id[str(note["task_id"])]["extra"].setdefault("notifications", []).append(
            {
                "event": note.get("event_type"),
                "message": note.get("message"),
                "at": note.get("created_at"),
                "read": bool(note.get("read")),
            }
        )
    for person in people:
        where = f"{origin}: participants row id={person.get('id')}"
        if str(person.get("task_id")) not in by_id:
            raise fail(where, "task_id", f"no task {person.get('task_id')!r}")
        by_id[str(person["task_id"])]["participants"].append(
            {
                "agent": person.get("agent_id"),
                "role": person.get("role") or "",
                "joined": person.get("joined_at"),
            }
        )
    linked = [
        Record(
            json.loads(json.dumps(d, default=str)),
            w,
            refs.get(d["external_id"], []),
            scope="in this database",
        )
        for d, w in records
    ]

    def resolve(ref: Any, record: Record) -> str | None:
        return keys.get(str(ref))

    link(linked, resolve, issues)
    if progress:
        progress("read", len(linked), len(linked))
    return finish(
        linked, issues, fmt=FORMAT, origin=origin, name=path.stem, where_prefix=f"{origin}: "
    )

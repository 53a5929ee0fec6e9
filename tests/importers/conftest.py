"""Shared helpers for the import/export tests: fixture paths, a fresh
database per test, a dump of everything a database holds about tasks, and a
refused import's message (checked to have written nothing)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.importers import import_path

from ..databases import Databases

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: The shared example files sit beside the repository (/work/shared next to /work/<worktree>).
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"


@pytest.fixture
def orch(databases: Databases) -> Iterator[Orchestrator]:
    """The import target, on each backend."""
    o = open_orchestrator(databases.url("orch"), "tester")
    yield o
    o.close()


def fresh(databases: Databases, name: str) -> Orchestrator:
    """Another database of this test, on the same backend."""
    return open_orchestrator(databases.url(name), "tester")


@pytest.fixture
def seed001_db(tmp_path: Path) -> Path:
    """Seed 001's database built from its SQL, with its contexts/notes beside it."""
    folder = tmp_path / "task-orchestrator"
    shutil.copytree(FIXTURES / "seed001", folder)
    db = sqlite3.connect(folder / "tasks.db")
    db.executescript((folder / "tasks.sql").read_text())
    db.commit()
    db.close()
    return folder / "tasks.db"


_TASK_COLUMNS = (
    "key, title, description, status, priority, complexity, component_area, phase, assignee, "
    "agent_type, estimated_hours, actual_hours, deadline, success_criteria, requires_approval, "
    "command, max_retries, attempts, tags, extra, progress, completion_summary, source, "
    "external_id, created_at, updated_at, started_at, completed_at"
)


def dump(orch: Orchestrator, events: bool = False) -> dict[str, Any]:
    """Everything about tasks, by key (ids left out), to compare two databases."""
    out: dict[str, Any] = {}
    with orch.db.read() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(text(sql))]

        out["tasks"] = rows(
            f"SELECT {_TASK_COLUMNS}, (SELECT key FROM tasks p WHERE p.id = t.parent_id) "
            "FROM tasks t ORDER BY t.key"
        )
        out["deps"] = rows(
            "SELECT a.key, b.key, d.dep_type FROM task_dependencies d JOIN tasks a "
            "ON a.id = d.task_id JOIN tasks b ON b.id = d.depends_on_id ORDER BY 1, 2"
        )
        for table, cols in (
            ("notes", "author, body"),
            ("progress", "percent, message, actor, x.created_at"),
            ("participants", "agent, role, joined_at"),
            ("feedback", "quality, timeliness, notes, actor, x.created_at"),
            ("task_context", "yaml_text"),
        ):
            out[table] = rows(
                f"SELECT t.key, {cols} FROM {table} x JOIN tasks t ON t.id = x.task_id "
                "ORDER BY 1, 2"
            )
        out["agents"] = rows("SELECT name, agent_type, capabilities FROM agents ORDER BY name")
        if events:
            out["events"] = rows("SELECT COUNT(*) FROM events")
    return out


def refused_import(
    orch: Orchestrator,
    path: Path,
    error: type[OrchestratorError] = OrchestratorError,
    **options: Any,
) -> str:
    """The one-line message importing `path` (with `options`) is refused with, as
    `error`; the refusal wrote nothing, its events included."""
    before = dump(orch, events=True)
    with pytest.raises(error) as caught:
        import_path(orch, path, **options)
    assert dump(orch, events=True) == before
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def take_marks(file: dict[str, Any]) -> list[dict[str, str]]:
    """What our export wrote into task-master records' metadata to name the task
    each was written from, taken out of them (a tagged or legacy tasks.json)."""
    from orchestrator_tui.services.importers.taskmaster import MARK

    marks = []
    for body in file.values() if "tasks" not in file else [file]:
        for task in body["tasks"]:
            for record in [task, *task.get("subtasks", [])]:
                metadata = record.get("metadata") or {}
                if MARK in metadata:
                    marks.append(metadata.pop(MARK))
                    if not metadata:
                        del record["metadata"]
    return marks

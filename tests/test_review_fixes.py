"""Edges found in review: a command after -- only where one is taken, a
--prefix that would make a key too long, seed 001 ids that are not file names."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.importers import import_path


def test_a_command_after_dashes_is_refused_where_none_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    assert main(["task", "add", "t", "--key", "T-1", "--db", db, "--", "echo", "hi"]) == 0
    assert main(["task", "start", "T-1", "--db", db, "--", "echo", "hi"]) == 2
    assert "only `task add` and `task edit`" in capsys.readouterr().err


def test_a_prefix_that_makes_a_key_too_long_is_refused(orch: Orchestrator, tmp_path: Path) -> None:
    tag = "t" * 50  # keys are TAG-ID and TAG-ID.SUB; the prefix pushes them past 64
    task = {"id": 1, "title": "a", "status": "pending", "subtasks": [{"id": 1, "title": "b"}]}
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({tag: {"tasks": [task], "metadata": {}}}))
    with pytest.raises(ValidationFailed, match="too long with --prefix"):
        import_path(orch, path, fmt="task-master", prefix="p" * 20)
    assert orch.queries.count_tasks() == 0


def test_seed001_ids_never_name_files_outside_its_folders(
    orch: Orchestrator, tmp_path: Path
) -> None:
    folder = tmp_path / "orch"
    (folder / "contexts").mkdir(parents=True)
    (tmp_path / "secret.yaml").write_text("context: {stolen: yes}\n")
    db = sqlite3.connect(folder / "tasks.db")
    db.executescript(
        """
        CREATE TABLE tasks (id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT,
          status TEXT, priority TEXT, assignee TEXT, created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL, completed_at TEXT);
        CREATE TABLE dependencies (id INTEGER PRIMARY KEY, task_id TEXT, depends_on TEXT,
          created_at TEXT);
        INSERT INTO tasks VALUES ('../../secret', 'evil', '', 'pending', 'low', NULL,
          '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', NULL);
        """
    )
    db.commit()
    db.close()
    import_path(orch, folder / "tasks.db", fmt="seed-001")
    (row,) = orch.queries.list_tasks()
    assert orch.queries.context_for(row.key) == ""

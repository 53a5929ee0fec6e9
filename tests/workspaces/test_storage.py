"""The run_changes table: migration from schema version 1 keeping every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.store.schema import SCHEMA_VERSION

from ..core.support import make_version_1


def test_a_version_1_database_gains_run_changes_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    orch = open_orchestrator(str(path), "alice")
    orch.tasks.create(TaskSpec(key="A", title="kept", command=CommandSpec(argv=["true"])))
    orch.close()
    make_version_1(path)
    orch = open_orchestrator(str(path), "alice")
    assert orch.queries.get_task("A").title == "kept"
    assert orch.workspaces.changes("A") is None
    orch.close()
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM schema_meta WHERE key='schema_version'")
        assert version.fetchone()[0] == str(SCHEMA_VERSION)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(run_changes)")}
        assert {"run_id", "files", "diff", "base_commit", "head_commit"} <= columns
    assert list(tmp_path.glob("old.db.v1-*.bak"))


def test_plain_commands_are_stored_as_before() -> None:
    assert CommandSpec(argv=["x"]).model_dump() == {
        "argv": ["x"],
        "cwd": None,
        "env": {},
        "timeout_seconds": None,
    }

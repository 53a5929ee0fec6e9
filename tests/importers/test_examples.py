"""The real files in ../shared/examples (beside the repository) import with
no errors and the right counts; skipped where that folder is absent."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from orchestrator_tui.services.importers import export_path, import_path
from orchestrator_tui.store.tables import Task

from .conftest import EXAMPLES, take_marks

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/examples not present")


def test_taskmaster_project_file(orch, tmp_path):
    source = tmp_path / "tasks.json"  # a copy, written back to below
    source.write_text((EXAMPLES / "task-master" / "tasks.json").read_text())
    original = json.loads(source.read_text())
    report = import_path(orch, source)
    assert report.added == 182 + 914
    with orch.db.read() as conn:
        columns = Task.__table__.c
        rows = conn.execute(select(columns.tags, columns.parent_id)).all()
    per_tag = Counter(tags[0] for tags, parent in rows if parent is None)
    assert len(per_tag) == 9 and sum(per_tag.values()) == 182
    assert per_tag["master"] == 93 and per_tag["loop"] == 18
    assert sum(1 for _, parent in rows if parent is not None) == 914
    # the file's own quirks come through as warnings, not errors
    assert len(report.warnings) == 3
    export_path(orch, source)
    exported = json.loads(source.read_text())
    # Subtasks whose id repeats among their siblings cannot be named by tag and id:
    # their records carry our key (nothing else is added), so the next import finds them.
    marked = [mark["key"] for mark in take_marks(exported)]
    assert exported == original
    repeated = [
        f"{tag}-{task['id']}.{sub['id']}"
        for tag, body in original.items()
        for task in body["tasks"]
        for sub in task.get("subtasks", [])
        if [s["id"] for s in task["subtasks"]].count(sub["id"]) > 1
    ]
    assert len(marked) == len(repeated) - 1 and all(k.startswith(repeated[0]) for k in marked)
    assert import_path(orch, source).unchanged == 1096


def test_backlog_md_project_folder(orch):
    report = import_path(orch, EXAMPLES / "backlog-md")
    # 158 in tasks/ (plus a readme), 40 completed, 15 drafts (plus a readme), 15 archived
    assert report.added == 228
    assert sum("skipped" in n for n in report.notices) == 2
    assert orch.queries.get_task("back-1").assignee == "@MrLesk"
    assert orch.queries.get_task("back-168").tags == ["completed"]
    assert orch.queries.get_task("back-168-archived").tags[-1] == "archived"
    assert orch.queries.get_task("back-222.1").parent == "back-222"

"""Backlog.md folders and seed 002's markdown task files."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services.importers import detect_format, import_path

from .conftest import FIXTURES, refused_import

BACKLOG = FIXTURES / "backlog"
SEED002 = FIXTURES / "seed002"


def test_backlog_folder_is_detected_from_its_parent_or_itself():
    assert detect_format(BACKLOG) == "backlog"
    assert detect_format(BACKLOG / "backlog") == "backlog"


def test_backlog_tasks_drafts_completed_and_archive(orch):
    report = import_path(orch, BACKLOG)
    assert report.added == 6
    keys = {r.key for r in orch.queries.list_tasks(limit=100)}
    assert keys == {"back-1", "back-2", "back-2.1", "back-3", "draft-1", "back-3-archived"}
    assert any("readme.md" in n and "skipped" in n for n in report.notices)
    assert orch.queries.get_task("back-3").tags == ["completed"]
    archived = orch.queries.get_task("back-3-archived")
    assert archived.status.value == "cancelled" and archived.extra["status"] == "To Do"
    draft = orch.queries.get_task("draft-1")
    assert draft.status.value == "deferred" and draft.tags == ["draft"]
    assert draft.description == "Just an idea, no sections at all."


def test_backlog_frontmatter_quirks(orch):
    import_path(orch, BACKLOG)
    first = orch.queries.get_task("back-1")
    assert first.assignee == "@alice"  # unquoted @ in YAML, as Backlog.md writes it
    assert first.tags == ["cli", "setup"]  # inline list
    assert first.created_at == datetime(2025, 6, 3, tzinfo=UTC)  # a date without a time
    assert first.priority.value == "high"
    assert first.extra["milestone"] == "m-1"  # unknown keys kept
    assert first.description == "Plain description without markers."
    assert first.success_criteria == ["First criterion", "Second criterion"]
    assert first.extra["acceptance_criteria"][0] == {"text": "First criterion", "done": True}
    second = orch.queries.get_task("back-2")
    assert second.status.value == "in_progress"  # custom QA column, from config.yml
    assert second.assignee == "@bob" and second.extra["assignee"] == ["@bob", "@carol"]
    assert second.created_at == datetime(2025, 6, 4, 10, 30, tzinfo=UTC)
    assert second.description == "Described with markers."
    assert second.success_criteria == ["Works"]
    assert second.extra["implementation_notes"] == "Some notes."
    assert second.extra["references"] == ["https://example.org"]
    assert [b.key for b in second.blockers] == ["back-1"]  # task-1: the legacy prefix


def test_backlog_children_and_unresolved_references(orch):
    report = import_path(orch, BACKLOG)
    child = orch.queries.get_task("back-2.1")
    assert child.parent == "back-2"
    assert [b.key for b in child.blockers] == ["back-1"]
    assert child.extra["unresolved_dependencies"] == ["task-99"]
    assert any("task-99" in w and "back-2.1 - Child.md" in w for w in report.warnings)


def test_backlog_strict_refuses_unresolved_and_writes_nothing(orch):
    message = refused_import(orch, BACKLOG, ValidationFailed, strict=True)
    assert "back-2.1 - Child.md" in message and "dependencies" in message and "task-99" in message


def test_backlog_reimport_is_unchanged(orch):
    import_path(orch, BACKLOG)
    again = import_path(orch, BACKLOG)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 6)


def test_seed002_files(orch):
    report = import_path(orch, SEED002)
    assert report.format == "seed-002" and report.added == 4
    assert any("NOTES.md" in n for n in report.notices)
    sub = orch.queries.get_task("task_001.subtask_003")
    assert sub.parent == "task_001"
    assert [b.key for b in sub.blockers] == ["task_001.subtask_002"]
    assert sub.status.value == "in_progress" and sub.extra["owner"] == "db-team"
    assert sub.created_at == datetime(2025, 6, 10, tzinfo=UTC)
    assert "Create the schema." in sub.description
    assert [b.key for b in orch.queries.get_task("task_002").blockers] == ["task_001"]


def test_seed002_single_file(orch):
    report = import_path(orch, SEED002 / "task_002.md")
    assert report.added == 1
    assert orch.queries.get_task("task_002").extra["unresolved_dependencies"] == ["task_001"]

"""The format registry: one list that detection, parsing, export, the CLI's
--format and the import dialog all read; a file parsed once; a plan read once
and written as it was read, even if the file changes in between."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from orchestrator_tui.cli import build_parser
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services.importers import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    detect_format,
    export_path,
    import_path,
    load_import,
    read_import,
)
from orchestrator_tui.services.importers.formats import FORMATS

from .conftest import FIXTURES

TAGGED = FIXTURES / "taskmaster" / "tasks.json"


def test_import_and_export_formats_come_from_the_registry():
    assert tuple(f.name for f in FORMATS) == IMPORT_FORMATS
    assert set(IMPORT_FORMATS) == {"task-master", "backlog", "seed-002", "seed-001", "yaml", "json"}
    assert set(EXPORT_FORMATS) == {"json", "yaml", "task-master", "backlog"}
    assert all(f.summary for f in FORMATS)


def test_the_cli_offers_and_describes_every_registered_format(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["import", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for fmt in FORMATS:
        assert f"{fmt.name} ({' '.join(fmt.summary.split())})" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["import", "x", "--format", "nope"])
    assert "invalid choice" in capsys.readouterr().err
    args = parser.parse_args(["import", "x", "--format", "seed-001"])
    assert args.format == "seed-001"


def test_detection(tmp_path, seed001_db):
    assert detect_format(TAGGED) == "task-master"
    assert detect_format(FIXTURES / "plan.yaml") == "yaml"
    assert detect_format(FIXTURES / "backlog") == "backlog"
    assert detect_format(FIXTURES / "seed002") == "seed-002"
    assert detect_format(FIXTURES / "seed002" / "task_002.md") == "seed-002"
    disguised = tmp_path / "tasks.json"  # a SQLite file is seed 001's whatever its name
    shutil.copy(seed001_db, disguised)
    assert detect_format(disguised) == "seed-001"
    ours = tmp_path / "ours.json"
    ours.write_text('{"version": 1, "tasks": [{"key": "A", "title": "a"}]}')
    assert detect_format(ours) == "json"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("nope.json", None, "no such file or folder"),
        ("other.json", '{"hello": 1}', "neither task-master's nor ours"),
        ("notes.txt", "hello", "cannot tell the format; give --format (seed-001, backlog"),
    ],
)
def test_detection_failures_say_why(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(")):
        detect_format(path)


def test_an_unknown_format_is_refused_naming_the_known_ones(orch, tmp_path):
    with pytest.raises(ValidationFailed, match=r"unknown import format 'csv' \(known: seed-001"):
        import_path(orch, TAGGED, "csv")
    with pytest.raises(ValidationFailed, match=r"unknown export format 'seed-002'"):
        export_path(orch, tmp_path / "out.md", "seed-002")
    assert not (tmp_path / "out.md").exists()


@pytest.fixture
def parses(monkeypatch):
    """How many times each text was parsed as JSON."""
    seen: list[str] = []
    real = json.loads

    def counting(text, *args, **kwargs):
        seen.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    return seen


def test_a_task_master_file_is_parsed_once(orch, parses):
    text = TAGGED.read_text()
    assert import_path(orch, TAGGED).added == 8  # detected, then parsed
    assert parses.count(text) == 1


def test_our_json_export_is_parsed_once(orch, tmp_path, parses):
    import_path(orch, TAGGED)
    out = tmp_path / "export.json"
    export_path(orch, out)
    text = out.read_text()
    import_path(orch, out)
    assert parses.count(text) == 1


def test_a_plan_read_once_is_written_as_read_even_if_the_file_changes(orch, tmp_path):
    path = tmp_path / "tasks.json"
    shutil.copy(TAGGED, path)
    parsed = read_import(path, fingerprint=True)
    preview = load_import(orch, parsed, dry_run=True)
    assert (preview.added, orch.tasks.count()) == (8, 0)
    path.write_text('{"tasks": [{"id": 1, "title": "Something else"}]}')
    report = load_import(orch, parsed)
    assert report.added == 8 and report.source_changed
    assert orch.queries.get_task("master-1").title == "Set up the repository"
    assert orch.tasks.count() == 8


def test_an_unchanged_source_is_not_reported_as_changed(orch, tmp_path, seed001_db):
    for path in (TAGGED, FIXTURES / "backlog", FIXTURES / "seed002", seed001_db):
        parsed = read_import(path, fingerprint=True)
        assert not load_import(orch, parsed).source_changed, path


def test_a_changed_folder_or_database_is_noticed(orch, tmp_path, seed001_db):
    folder = tmp_path / "seed002"
    shutil.copytree(FIXTURES / "seed002", folder)
    parsed = read_import(folder, fingerprint=True)
    (folder / "task_002.md").write_text("---\ntask_id: task_002\ntitle: Changed\n---\n")
    assert load_import(orch, parsed).source_changed
    parsed = read_import(seed001_db, fingerprint=True)
    db = sqlite3.connect(seed001_db)
    db.execute("UPDATE tasks SET title = 'Changed' WHERE id = 'abc12345'")
    db.commit()
    db.close()
    assert load_import(orch, parsed).source_changed
    assert orch.queries.get_task("to-abc12345").title == "Design the API"


def test_a_plan_read_without_a_fingerprint_never_claims_a_change(orch, tmp_path):
    path = tmp_path / "tasks.json"
    shutil.copy(TAGGED, path)
    parsed = read_import(path)
    path.write_text("{}")
    assert parsed.fingerprint is None and not load_import(orch, parsed).source_changed

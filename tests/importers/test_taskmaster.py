"""task-master tasks.json: tags, subtasks, mixed ids, dotted dependencies,
kept fields, re-import, dry run and export back."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.plan import source_mark
from orchestrator_tui.services.importers import export_path, import_path

from .conftest import FIXTURES, dump, refused_import, take_marks

TAGGED = FIXTURES / "taskmaster" / "tasks.json"


def test_every_tag_task_and_subtask_arrives(orch):
    report = import_path(orch, TAGGED)
    assert report.format == "task-master"
    assert (report.added, report.changed, report.unchanged) == (8, 0, 0)
    keys = {r.key for r in orch.queries.list_tasks(limit=100)}
    assert keys == {
        "master-1", "master-1.1", "master-1.2", "master-2", "master-2.1", "master-2.2",
        "master-3", "feature-x-1",
    }  # fmt: skip


def test_fields_statuses_tags_and_parents(orch):
    import_path(orch, TAGGED)
    first = orch.queries.get_task("master-1")
    assert first.status.value == "done" and first.priority.value == "high"
    assert first.tags == ["master"]
    assert first.extra["details"] == "Use a src layout"
    assert first.extra["testStrategy"] == "CI runs" and first.extra["complexity"] == 3
    assert first.complexity.value == "low"
    sub = orch.queries.get_task("master-1.2")
    assert sub.parent == "master-1"
    assert sub.extra["parentId"] == "undefined"  # kept as the file has it
    assert orch.queries.get_task("master-2.1").status.value == "awaiting_approval"  # review
    assert orch.queries.get_task("master-3").status.value == "deferred"
    assert orch.queries.get_task("master-3").extra["futureField"] == {"nested": [1, 2]}
    assert orch.queries.get_task("feature-x-1").tags == ["feature-x"]


def test_mixed_ids_and_dotted_dependencies(orch):
    report = import_path(orch, TAGGED)

    def blockers(key):
        return sorted(b.key for b in orch.queries.get_task(key).blockers)

    assert blockers("master-2") == ["master-1"]  # "1" (string) is task 1
    assert blockers("master-1.2") == ["master-1.1"]  # bare 1 in a subtask: a sibling
    assert blockers("master-2.1") == ["master-1.2"]  # "1.2": subtask 2 of task 1
    assert blockers("master-2.2") == ["master-2.1"]  # 1 and "2.1" are the same sibling
    assert blockers("master-3") == ["master-2", "master-2.2"]
    (twice,) = report.warnings  # linked once, with the shared warning
    assert "subtasks[1] (id 2.2): dependencies: '2.1' is named more than once" in twice


def test_links_not_imported_are_remembered_so_export_gives_the_file_back(orch, tmp_path):
    data = json.loads(TAGGED.read_text())
    data["master"]["tasks"][1]["dependencies"] = ["1", 2]  # task 2 names itself
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(data))
    report = import_path(orch, path)
    assert any("(id 2): dependencies: 2 is the task itself" in w for w in report.warnings)
    assert [b.key for b in orch.queries.get_task("master-2").blockers] == ["master-1"]
    assert orch.queries.get_task("master-2").extra["_taskmaster"]["unlinked"] == ["master-2"]
    export_path(orch, path, "task-master")
    assert json.loads(path.read_text()) == data


def test_reimport_updates_instead_of_duplicating(orch, tmp_path):
    import_path(orch, TAGGED)
    again = import_path(orch, TAGGED)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 8)
    assert orch.tasks.count() == 8


def test_another_file_with_the_same_keys_is_refused(orch, tmp_path):
    import_path(orch, TAGGED)
    other = tmp_path / "tasks.json"
    other.write_text(TAGGED.read_text())
    message = refused_import(orch, other, ValidationFailed)
    assert str(other) in message and "tasks[0] (id 1)" in message and "key:" in message
    assert "--prefix" in message


def test_changed_source_reports_changes_and_dry_run_writes_nothing(orch, tmp_path):
    path = tmp_path / "tasks.json"
    data = json.loads(TAGGED.read_text())
    path.write_text(json.dumps(data))
    import_path(orch, path)
    data["master"]["tasks"][2]["status"] = "done"
    data["master"]["tasks"][2]["dependencies"] = [2]
    data["master"]["tasks"].append({"id": 4, "title": "New", "status": "pending"})
    path.write_text(json.dumps(data))
    before = dump(orch, events=True)
    preview = import_path(orch, path, dry_run=True)
    assert (preview.added, preview.changed, preview.unchanged) == (1, 1, 7)
    assert preview.dependencies_removed == 1
    assert dump(orch, events=True) == before
    done = import_path(orch, path)
    assert (done.added, done.changed, done.unchanged) == (1, 1, 7)
    assert orch.queries.get_task("master-3").status.value == "done"
    assert [b.key for b in orch.queries.get_task("master-3").blockers] == ["master-2"]


def test_export_gives_the_same_file_back(orch, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(TAGGED.read_text())
    import_path(orch, path)
    report = export_path(orch, path)
    assert report.format == "task-master" and report.tasks == 8
    assert json.loads(path.read_text()) == json.loads(TAGGED.read_text())


def test_exported_elsewhere_each_record_names_the_task_it_was_written_from(orch, tmp_path):
    import_path(orch, TAGGED)
    out = tmp_path / "out" / "tasks.json"
    out.parent.mkdir()
    export_path(orch, out)
    written = json.loads(out.read_text())
    owner = orch.queries.get_task("master-1").source
    keys = "master-1 master-1.1 master-1.2 master-2 master-2.1 master-2.2 master-3 feature-x-1"
    named = [{"key": key, "source": source_mark(owner)} for key in keys.split()]
    assert take_marks(written) == named
    assert str(TAGGED.parent) not in out.read_text()  # no path of this machine
    assert written == json.loads(TAGGED.read_text())  # and nothing else


def test_export_reflects_edits_made_here(orch, tmp_path):
    import_path(orch, TAGGED)
    orch.tasks.reset("master-3")
    orch.deps.remove("master-3", "master-2.2")
    out = tmp_path / "tasks.json"
    export_path(orch, out, "task-master")
    third = json.loads(out.read_text())["master"]["tasks"][2]
    assert third["status"] == "pending"
    assert third["dependencies"] == ["2"]  # task 2 has a string id in the file
    assert third["details"] == "Tag and publish"


def test_legacy_form_round_trips(orch, tmp_path):
    legacy = FIXTURES / "taskmaster" / "legacy.json"
    path = tmp_path / "tasks.json"
    path.write_text(legacy.read_text())
    report = import_path(orch, path)
    assert report.added == 3
    assert orch.queries.get_task("master-2.1").parent == "master-2"
    export_path(orch, path)
    assert json.loads(path.read_text()) == json.loads(legacy.read_text())


def test_prefix_keeps_two_projects_apart(orch, tmp_path):
    import_path(orch, TAGGED)
    other = tmp_path / "tasks.json"
    other.write_text(TAGGED.read_text())
    report = import_path(orch, other, prefix="other")
    assert report.added == 8
    assert [b.key for b in orch.queries.get_task("other-master-2").blockers] == ["other-master-1"]


def test_task_with_no_subtasks_key_exports_without_one(orch, tmp_path):
    import_path(orch, TAGGED)
    out = tmp_path / "tasks.json"
    export_path(orch, out)
    assert "subtasks" not in json.loads(out.read_text())["master"]["tasks"][2]


def test_path_given_as_text(orch):
    assert import_path(orch, str(TAGGED)).added == 8
    assert Path(import_path(orch, str(TAGGED)).origin) == TAGGED

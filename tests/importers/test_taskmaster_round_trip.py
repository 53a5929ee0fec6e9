"""A task-master file taken round (import, change here, export, change it with
task-master, import again) keeps each task once, with the changes of both
sides: tasks made here, from the demo, or with a key like task-master's
carry their key in the record's `metadata`, and the import updates them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.models import TaskPatch, TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.importers import export_path, import_path
from orchestrator_tui.services.plans import DEMO_SOURCE, sample_plan_path

from .conftest import FIXTURES, fresh, refused_import
from .test_export_round_trips import _tool


def task_master(*argv: str, cwd: Path) -> None:
    done = subprocess.run(
        [_tool("task-master"), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])


def titles(orch: Orchestrator) -> Counter[str]:
    return Counter(r.title for r in orch.queries.list_tasks(limit=1000))


def record(doc: dict[str, Any], title: str) -> dict[str, Any]:
    """The record (task or subtask) with `title` in a tagged tasks.json."""
    for tag in doc.values():
        for task in tag["tasks"]:
            for item in [task, *task.get("subtasks", [])]:
                if item["title"] == title:
                    return item
    raise AssertionError(title)


def edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


@pytest.fixture
def tasks_json(tmp_path: Path) -> Path:
    path = tmp_path / "project" / ".taskmaster" / "tasks" / "tasks.json"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "taskmaster" / "tasks.json", path)
    return path


def test_a_task_made_here_comes_back_once_with_both_sides_changes(orch, tasks_json):
    first = import_path(orch, tasks_json)
    orch.tasks.create(TaskSpec(key="T-1", title="New here"))
    orch.tasks.create(TaskSpec(key="T-2", title="Its part", parent="T-1"))
    orch.tasks.edit("master-3", TaskPatch(title="Ship it soon"))  # a change here
    export_path(orch, tasks_json)

    def theirs(doc: dict[str, Any]) -> None:  # what task-master does to the file
        record(doc, "New here")["status"] = "done"
        record(doc, "Its part")["status"] = "done"
        record(doc, "New here").setdefault("metadata", {})["sprint"] = 3
        doc["master"]["tasks"].append(
            {"id": 99, "title": "Theirs", "description": "t", "status": "pending",
             "dependencies": [4], "priority": "low", "subtasks": []}
        )  # fmt: skip

    edit(tasks_json, theirs)
    report = import_path(orch, tasks_json)
    assert (report.added, report.warnings) == (1, first.warnings)
    assert set(titles(orch).values()) == {1}, titles(orch)  # each task once
    assert len(titles(orch)) == 8 + 2 + 1
    mine = orch.queries.get_task("T-1")
    assert mine.status.value == "done" and mine.extra["metadata"] == {"sprint": 3}
    assert orch.queries.get_task("T-2").parent == "T-1"
    assert orch.queries.get_task("master-3").title == "Ship it soon"
    assert [b.key for b in orch.queries.get_task("master-99").blockers] == ["T-1"]
    export_path(orch, tasks_json)  # and round again: still its key, its metadata kept
    again = record(json.loads(tasks_json.read_text()), "New here")
    assert again["metadata"] == {"sprint": 3, "orchestrator-tui": {"key": "T-1"}}
    assert import_path(orch, tasks_json).added == 0


def test_a_task_made_here_with_a_key_like_theirs_is_updated_not_refused(orch, tasks_json):
    import_path(orch, tasks_json)
    orch.tasks.create(TaskSpec(key="master-4", title="Mine, numbered like theirs"))
    export_path(orch, tasks_json)
    edit(tasks_json, lambda doc: record(doc, "Mine, numbered like theirs").update(title="Renamed"))
    report = import_path(orch, tasks_json)
    assert (report.added, report.changed) == (0, 1)
    assert orch.queries.get_task("master-4").title == "Renamed"
    assert orch.queries.get_task("master-4").source is None  # still a task made here


def test_a_file_exported_elsewhere_updates_the_tasks_it_came_from(
    orch, tasks_json, tmp_path, databases
):
    import_path(orch, tasks_json)
    owner = orch.queries.get_task("master-3").source
    elsewhere = tmp_path / "elsewhere" / "tasks.json"
    elsewhere.parent.mkdir()
    export_path(orch, elsewhere)
    edit(elsewhere, lambda doc: record(doc, "Ship it").update(status="done"))
    report = import_path(orch, elsewhere)
    assert (report.added, report.changed, report.unchanged) == (0, 1, 7)
    task = orch.queries.get_task("master-3")
    assert (task.status.value, task.source) == ("done", owner)  # it keeps its owner
    assert import_path(orch, tasks_json).added == 0  # whose file still updates it
    # another database's task with the same tag and id is not the task the record names
    theirs = fresh(databases, "theirs")
    their_file = tmp_path / "theirs" / "tasks.json"
    their_file.parent.mkdir()
    shutil.copy(tasks_json, their_file)
    import_path(theirs, their_file)
    message = refused_import(theirs, elsewhere, ValidationFailed)
    assert "(id 1): key: 'master-1' is already used by a task imported from" in message
    assert str(their_file) in message and "--prefix" in message
    theirs.close()


def test_a_task_without_a_description_comes_back_without_one(orch, tasks_json):
    # task-master refuses a task with no description ("" too) but takes a subtask's ""
    import_path(orch, tasks_json)
    orch.tasks.create(TaskSpec(key="T-1", title="New here"))
    orch.tasks.create(TaskSpec(key="T-2", title="Its part", parent="T-1"))
    export_path(orch, tasks_json)
    written = json.loads(tasks_json.read_text())
    assert record(written, "New here")["description"] == "New here"
    assert record(written, "Its part")["description"] == ""
    import_path(orch, tasks_json)
    assert orch.queries.get_task("T-1").description == ""
    assert orch.queries.get_task("T-2").description == ""
    export_path(orch, tasks_json)
    assert import_path(orch, tasks_json).changed == 0
    orch.tasks.edit("T-1", TaskPatch(description="Now it has one"))
    export_path(orch, tasks_json)
    import_path(orch, tasks_json)
    assert orch.queries.get_task("T-1").description == "Now it has one"
    export_path(orch, tasks_json)
    assert record(json.loads(tasks_json.read_text()), "Its part")["description"] == ""
    # the file's own tasks come back as they were: feature-x's blank description too
    assert (
        json.loads(tasks_json.read_text())["feature-x"]
        == json.loads((FIXTURES / "taskmaster" / "tasks.json").read_text())["feature-x"]
    )


def test_demo_tasks_come_back_to_themselves_and_the_demo_still_seeds(orch, tmp_path):
    orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE)
    before = titles(orch)
    first = orch.queries.list_tasks(limit=1)[0].key
    tags = orch.queries.get_task(first).tags
    out = tmp_path / "tasks.json"
    export_path(orch, out)
    title = orch.queries.get_task(first).title
    edit(out, lambda doc: record(doc, title).update(title=f"{title}!"))
    assert import_path(orch, out).added == 0
    assert titles(orch) == before - Counter([title]) + Counter([f"{title}!"])
    task = orch.queries.get_task(first)
    assert (task.title, task.source, task.tags) == (f"{title}!", DEMO_SOURCE, tags)
    assert orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE).added == 0
    assert orch.queries.get_task(first).title == title  # the demo updates its own again


def test_a_key_named_by_two_records_adopts_once(orch, tasks_json):
    import_path(orch, tasks_json)
    orch.tasks.create(TaskSpec(key="T-1", title="New here"))
    export_path(orch, tasks_json)

    def copy(doc: dict[str, Any]) -> None:
        twin = {**record(doc, "New here"), "id": 7, "title": "Copy"}
        doc["master"]["tasks"].append(twin)

    edit(tasks_json, copy)
    report = import_path(orch, tasks_json)
    assert report.added == 1 and "'T-1' is named by an earlier record" in report.warnings[-1]
    assert orch.queries.get_task("T-1").title == "New here"
    assert orch.queries.get_task("master-7").title == "Copy"


@pytest.mark.sqlite_only  # their CLI changes our export; the database part is tested above
def test_the_real_task_master_round_trip_keeps_each_task_once(orch, tasks_json):
    _tool("task-master")
    project = tasks_json.parents[2]
    import_path(orch, tasks_json)
    orch.tasks.create(TaskSpec(key="T-1", title="New here"))
    orch.tasks.edit("master-3", TaskPatch(title="Ship it soon"))
    export_path(orch, tasks_json)
    new_id = record(json.loads(tasks_json.read_text()), "New here")["id"]
    task_master("set-status", f"--id={new_id}", "--status=done", cwd=project)
    task_master("add-task", "--title=Theirs", "--description=t", cwd=project)
    report = import_path(orch, tasks_json)
    assert report.added == 1
    assert set(titles(orch).values()) == {1}, titles(orch)
    assert orch.queries.get_task("T-1").status.value == "done"
    assert orch.queries.get_task("T-1").description == ""  # its stand-in went back out
    assert orch.queries.get_task("master-3").title == "Ship it soon"
    assert "Theirs" in titles(orch)


@pytest.mark.sqlite_only  # their CLI changes our export; the database part is tested above
def test_the_real_task_master_keeps_what_a_file_exported_elsewhere_names(orch, tasks_json):
    _tool("task-master")
    import_path(orch, tasks_json)
    project = tasks_json.parents[3] / "elsewhere"
    elsewhere = project / ".taskmaster" / "tasks" / "tasks.json"
    elsewhere.parent.mkdir(parents=True)
    export_path(orch, elsewhere)
    task_master("set-status", "--id=3", "--status=done", cwd=project)
    assert import_path(orch, elsewhere).added == 0  # task-master rewrote every record
    assert len(titles(orch)) == 8 and set(titles(orch).values()) == {1}
    assert orch.queries.get_task("master-3").status.value == "done"


def test_importing_an_export_of_ours_back_changes_nothing(orch, tmp_path):
    """It said every task changed (and gave each an edit event): what changed was
    only the file's ids and field order, kept so the next export writes them again."""
    orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE)
    out = tmp_path / "tasks.json"
    export_path(orch, out)
    before = {row.key: orch.queries.get_task(row.key) for row in orch.queries.list_tasks()}
    report = import_path(orch, out)
    assert (report.added, report.changed, report.unchanged) == (0, 0, len(before))
    after = {key: orch.queries.get_task(key) for key in before}
    assert [k for k in before if after[k].updated_at != before[k].updated_at] == []
    failed = [k for k, task in before.items() if task.status.value == "failed"]
    assert failed and all(after[k].status.value == "failed" for k in failed)  # out `blocked`
    assert not any(e.kind == "task_edited" for k in before for e in orch.queries.timeline(k))
    written = out.read_text()
    export_path(orch, out)
    assert out.read_text() == written  # the file's ids, kept
    edit(out, lambda doc: record(doc, after["PAY-3"].title).update(title="Renamed"))
    assert import_path(orch, out).changed == 1

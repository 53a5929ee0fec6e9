"""Staying in sync: re-importing a Backlog.md folder after the other tool
changed it updates the tasks in place and counts what changed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.plan import source_mark
from orchestrator_tui.services.importers import export_path, import_path

from .conftest import fresh, refused_import
from .test_backlog_wild import folder, task


def test_reimport_after_the_files_changed_updates_in_place(tmp_path, orch):
    root = folder(
        tmp_path,
        {
            "tasks/task-1 - a.md": task("TASK-1", "To Do"),
            "tasks/task-2 - b.md": task("TASK-2", "To Do", dependencies="[TASK-1]"),
            "tasks/task-3 - c.md": task("TASK-3", "In Progress"),
        },
        '["To Do", "In Progress", "Done"]',
    )
    first = import_path(orch, root)
    assert (first.added, first.changed, first.unchanged) == (3, 0, 0)
    (root / "tasks" / "task-1 - a.md").write_text(task("TASK-1", "Done"))
    (root / "tasks" / "task-4 - d.md").write_text(task("TASK-4", "To Do", dependencies="[TASK-3]"))
    again = import_path(orch, root)
    assert (again.added, again.changed, again.unchanged) == (1, 1, 2)
    assert orch.queries.get_task("task-1").status.value == "done"
    assert [b.key for b in orch.queries.get_task("task-4").blockers] == ["task-3"]
    assert orch.tasks.count() == 4


def test_reimport_after_the_real_backlog_cli_edited_our_export(tmp_path, orch):
    from .test_export_round_trips import PLAN, _tool

    backlog = _tool("backlog")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    import_path(orch, plan)
    export_path(orch, tmp_path / "out", "backlog")
    first = import_path(orch, tmp_path / "out")
    assert (first.added, orch.tasks.count()) == (0, 9)  # the tasks it was written from
    edit = [backlog, "task", "edit", "TASK-1", "-s", "In Progress"]
    done = subprocess.run(
        edit,
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    again = import_path(orch, tmp_path / "out")
    assert (again.added, again.changed, again.unchanged) == (0, 1, 8)
    assert orch.queries.get_task("A-1").status.value == "in_progress"  # TASK-1's task


def _files(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "tasks").iterdir())}


def test_a_folder_exported_elsewhere_updates_the_tasks_it_came_from(tmp_path, orch, databases):
    """Import folder A, export to B, change B, import B: each task once with the
    change, still owned by A; a folder of another database with the same ids is
    still refused, and so is an unrelated folder."""
    a = folder(
        tmp_path / "a",
        {
            "tasks/task-1 - a.md": task("TASK-1", "To Do"),
            "tasks/task-2 - b.md": task("TASK-2", "To Do", dependencies="[TASK-1]"),
        },
    )
    import_path(orch, a)
    owner = orch.queries.get_task("task-1").source
    orch.tasks.create(TaskSpec(key="T-1", title="Made here"))
    b = tmp_path / "b"
    export_path(orch, b, "backlog")
    files = _files(b / "backlog")
    named = {"key": "task-1", "source": source_mark(owner)}  # never the folder's path
    mark = "<!-- orchestrator-tui: " + json.dumps(named) + " -->"
    assert mark in files["task-1 - Task-TASK-1.md"]
    assert not any(str(tmp_path) in text for text in files.values())
    assert '<!-- orchestrator-tui: {"key": "T-1"} -->' in files["task-3 - Made-here.md"]
    # as `backlog task edit` rewrites it: our mark moved below a section it adds
    changed = files["task-1 - Task-TASK-1.md"].replace("status: To Do", "status: Done")
    changed = changed.replace(mark, "") + f"\n## Implementation Notes\n\nnoted\n\n{mark}\n"
    (b / "backlog" / "tasks" / "task-1 - Task-TASK-1.md").write_text(changed)
    report = import_path(orch, b)
    assert (report.added, report.warnings) == (0, [])
    assert orch.tasks.count() == 3
    again = import_path(orch, b)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
    one = orch.queries.get_task("task-1")
    assert (one.status.value, one.source) == ("done", owner)
    assert (one.description, one.extra["implementation_notes"]) == ("Body.", "noted")
    assert import_path(orch, a).added == 0  # whose folder still updates it
    # another database's folder with the same ids is not the folder B was written from
    theirs = fresh(databases, "theirs")
    c = folder(tmp_path / "c", {"tasks/task-1 - a.md": task("TASK-1", "To Do")})
    import_path(theirs, c)
    message = refused_import(theirs, b, ValidationFailed)
    assert "(TASK-1): key: 'task-1' is already used by a task imported from" in message
    assert str(c) in message and "--prefix" in message
    theirs.close()
    message = refused_import(orch, c, ValidationFailed)  # an unrelated folder, here
    assert f"key: 'task-1' is already used by a task imported from backlog:{a}" in message


def test_the_real_backlog_cli_keeps_what_a_folder_exported_elsewhere_names(tmp_path, orch):
    from .test_export_round_trips import _tool

    backlog = _tool("backlog")

    def run(cwd: Path, *argv: str) -> None:
        done = subprocess.run(
            [*argv], cwd=cwd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL
        )
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    run(a, "git", "init", "-q")
    run(a, backlog, "init", "a", "--defaults")
    run(a, backlog, "task", "create", "First", "-d", "the first")
    run(a, backlog, "task", "create", "Second", "--dep", "task-1")
    import_path(orch, a)
    export_path(orch, b, "backlog")
    run(b, backlog, "task", "edit", "task-1", "-s", "In Progress", "--notes", "from there")
    run(b, backlog, "task", "edit", "task-2", "-t", "Second, renamed", "--ac", "works")
    report = import_path(orch, b)
    assert (report.added, report.changed, report.warnings) == (0, 2, [])
    rows = orch.queries.list_tasks(limit=10)
    assert sorted((r.key, r.title, r.status.value) for r in rows) == [
        ("task-1", "First", "in_progress"),
        ("task-2", "Second, renamed", "pending"),
    ]
    first, second = orch.queries.get_task("task-1"), orch.queries.get_task("task-2")
    assert (first.description, first.extra["implementation_notes"]) == ("the first", "from there")
    assert (second.success_criteria, [k.key for k in second.blockers]) == (["works"], ["task-1"])
    assert first.source == f"backlog:{(a / 'backlog').resolve()}"


def test_a_mark_that_names_no_task_is_a_warning_and_left_out_of_the_body(tmp_path, orch):
    text = task("TASK-1", "To Do") + "\n<!-- orchestrator-tui: not json -->\n"
    root = folder(tmp_path, {"tasks/task-1 - a.md": text})
    report = import_path(orch, root)
    assert report.warnings == [
        f"{root}: tasks/task-1 - a.md (TASK-1): body: orchestrator-tui: 'not json' names no "
        "task key; ignored"
    ]
    assert orch.queries.get_task("task-1").description == "Body."


def test_a_mark_inside_a_code_block_is_the_task_s_text_not_ours(tmp_path, orch):
    """A task documenting our mark (in a fenced block) was taken for the task it
    names, and lost the example from its description."""
    orch.tasks.create(TaskSpec(key="T-1", title="Made here"))
    example = (
        "Exports end with a line like this:\n\n```html\n"
        '<!-- orchestrator-tui: {"key": "T-1"} -->\n```\n\n~~~\n'
        '<!-- orchestrator-tui: {"key": "T-1"} -->\n~~~\n'
    )
    root = folder(tmp_path, {"tasks/task-1 - a.md": task("TASK-1", "To Do") + "\n" + example})
    report = import_path(orch, root)
    assert (report.added, report.changed, report.warnings) == (1, 0, [])
    assert orch.queries.get_task("T-1").title == "Made here"  # not taken over
    assert orch.queries.get_task("task-1").description == "Body.\n\n" + example.rstrip("\n")


def test_importing_an_export_of_ours_back_changes_nothing(tmp_path, orch):
    """It said every task changed: Backlog.md has no `critical` (a critical task came
    back `high`), keeps times to the minute and the file's own status word and
    checkboxes, none of which is news about the task."""
    from orchestrator_tui.services.plans import DEMO_SOURCE, sample_plan_path

    orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE)
    before = {row.key: orch.queries.get_task(row.key) for row in orch.queries.list_tasks()}
    critical = [k for k, task in before.items() if task.priority.value == "critical"]
    export_path(orch, tmp_path / "out", "backlog")
    report = import_path(orch, tmp_path / "out")
    assert (report.added, report.changed, report.unchanged) == (0, 0, len(before))
    after = {key: orch.queries.get_task(key) for key in before}
    assert critical and all(after[k].priority.value == "critical" for k in critical)
    assert [k for k in before if after[k].created_at != before[k].created_at] == []
    assert not any(e.kind == "task_edited" for k in before for e in orch.queries.timeline(k))

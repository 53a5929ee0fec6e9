"""Staying in sync: re-importing a Backlog.md folder after the other tool
changed it updates the tasks in place and counts what changed."""

from __future__ import annotations

import subprocess

from orchestrator_tui.services.importers import export_path, import_path

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
    assert first.added == 9
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
    assert orch.queries.get_task("task-1").status.value == "in_progress"

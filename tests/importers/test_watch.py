"""`import PATH --watch`: every change imported, a status changed on both
sides reported as a conflict with the newer side winning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.importers.watch import WatchRound, watch_import

from .test_backlog_wild import folder, task


def _write(root: Path, n: int, status: str, shift: float | None = None) -> None:
    path = root / "tasks" / f"task-{n} - t.md"
    path.write_text(task(f"TASK-{n}", status))
    if shift is not None:
        when = time.time() + shift
        os.utime(path, (when, when))


def _run(orch: Orchestrator, root: Path, steps: list[Callable[[], None]]) -> list[WatchRound]:
    """Watch `root`; each pause between looks runs the next step, and after a
    last look it stops."""
    rounds: list[WatchRound] = []
    todo = [*steps, lambda: None]
    watch_import(
        orch,
        root,
        rounds.append,
        interval=0,
        should_stop=lambda: not todo,
        sleep=lambda _: todo.pop(0)(),
    )
    return rounds


def test_a_file_changed_twice_while_watching_applies_the_second_change(tmp_path, orch):
    root = folder(tmp_path, {f"tasks/task-{n} - t.md": task(f"TASK-{n}", "To Do") for n in (1, 2)})
    rounds = _run(
        orch,
        root,
        [
            lambda: _write(root, 1, "In Progress"),
            lambda: _write(root, 1, "Done"),
            lambda: None,  # nothing changed: no round
        ],
    )
    assert [r.number for r in rounds] == [1, 2, 3]
    assert [(r.report.added, r.report.changed, r.report.unchanged) for r in rounds] == [
        (2, 0, 0), (0, 1, 1), (0, 1, 1)
    ]  # fmt: skip
    assert orch.queries.get_task("task-1").status.value == "done"
    assert all(r.conflicts == [] and r.error is None for r in rounds)


def test_a_status_changed_here_and_in_the_file_is_a_conflict_the_newer_side_wins(tmp_path, orch):
    root = folder(tmp_path, {f"tasks/task-{n} - t.md": task(f"TASK-{n}", "To Do") for n in (1, 2)})

    def older_file() -> None:
        orch.tasks.start("task-1")  # changed here ...
        _write(root, 1, "Done", shift=-3600)  # ... and in a file saved an hour ago

    def newer_file() -> None:
        orch.tasks.start("task-2")
        _write(root, 2, "Done", shift=+3600)

    rounds = _run(orch, root, [older_file, newer_file])
    (here,) = rounds[1].conflicts
    assert (here.key, here.here, here.file, here.winner) == (
        "task-1",
        "in_progress",
        "done",
        "here",
    )
    assert "task-1: status changed here to in progress and in the file to done" in here.message()
    assert orch.queries.get_task("task-1").status.value == "in_progress"
    (there,) = rounds[2].conflicts
    assert (there.key, there.winner) == ("task-2", "file")
    assert orch.queries.get_task("task-2").status.value == "done"


def test_a_source_that_fails_to_read_is_reported_and_watching_goes_on(tmp_path, orch):
    root = folder(tmp_path, {"tasks/task-1 - t.md": task("TASK-1", "To Do")})
    rounds = _run(
        orch,
        root,
        [
            lambda: (root / "config.yml").write_text("statuses: [\n"),
            lambda: (root / "config.yml").write_text("statuses: [To Do, Done]\n"),
        ],
    )
    assert rounds[1].report is None and "config.yml" in (rounds[1].error or "")
    assert rounds[2].report is not None and rounds[2].error is None


def test_the_cli_watches_until_interrupted(tmp_path):
    root = folder(tmp_path, {"tasks/task-1 - t.md": task("TASK-1", "To Do")})
    argv = [sys.executable, "-m", "orchestrator_tui", "import", str(root), "--watch"]
    argv += ["--interval", "0.1", "--db", str(tmp_path / "w.db")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "1 added" in first, first
        _write(root, 1, "Done")
        second = proc.stdout.readline()
        assert "0 added, 1 changed, 0 unchanged" in second, second
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_watch_cannot_be_a_dry_run(tmp_path):
    root = folder(tmp_path, {"tasks/task-1 - t.md": task("TASK-1", "To Do")})
    argv = [sys.executable, "-m", "orchestrator_tui", "import", str(root), "--watch", "--dry-run"]
    done = subprocess.run(
        [*argv, "--db", str(tmp_path / "w.db")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 7 and "cannot be a --dry-run" in done.stderr


def test_a_task_master_file_is_watched_too(tmp_path, orch):
    path = tmp_path / "tasks.json"

    def write(status: str) -> None:
        path.write_text(json.dumps({"tasks": [{"id": 1, "title": "A", "status": status}]}))

    write("pending")
    quiet = lambda: None  # noqa: E731 - a look that finds nothing new
    rounds = _run(orch, path, [lambda: write("in-progress"), quiet, quiet, lambda: write("done")])
    assert len(rounds) == 3
    assert orch.queries.get_task("master-1").status.value == "done"


def test_a_task_named_by_its_key_in_a_task_master_file_keeps_a_status_changed_here(tmp_path, orch):
    """A record our export wrote for a task made here updates that task, and
    watching treats a status changed here on it as on any task of the file."""
    from orchestrator_tui.domain.models import TaskSpec

    orch.tasks.create(TaskSpec(key="T-1", title="A"))
    path = tmp_path / "tasks.json"

    def write(title: str) -> None:
        mark = {"orchestrator-tui": {"key": "T-1"}}
        record = {"id": 1, "title": title, "status": "pending", "metadata": mark}
        path.write_text(json.dumps({"tasks": [record]}))

    write("A")

    def changed_on_both_sides() -> None:
        orch.tasks.start("T-1")  # its status here, its title in the file
        write("B")

    rounds = _run(orch, path, [changed_on_both_sides])
    assert [r.conflicts for r in rounds] == [[], []]
    task = orch.queries.get_task("T-1")
    assert (task.title, task.status.value) == ("B", "in_progress")
    assert [r.title for r in orch.queries.list_tasks(limit=10)] == ["B"]


def test_a_record_naming_a_task_of_another_source_is_watched_as_the_files_own(tmp_path, orch):
    """A record written from another database's task (its mark names a source
    our task with that key did not come from) is not taken for our task by the
    load, and watching does not give it that task's status either."""
    from orchestrator_tui.domain.models import TaskSpec

    orch.tasks.create(TaskSpec(key="T-1", title="ours"))
    orch.tasks.start("T-1")
    path = tmp_path / "tasks.json"

    def write(title: str) -> None:
        mark = {"orchestrator-tui": {"key": "T-1", "source": "task-master:/elsewhere/tasks.json"}}
        record = {"id": 1, "title": title, "status": "pending", "metadata": mark}
        path.write_text(json.dumps({"tasks": [record]}))

    write("theirs")
    rounds = _run(orch, path, [lambda: write("theirs, renamed")])
    assert [r.conflicts for r in rounds] == [[], []]
    theirs = orch.queries.get_task("master-1")
    assert (theirs.title, theirs.status.value) == ("theirs, renamed", "pending")
    ours = orch.queries.get_task("T-1")
    assert (ours.title, ours.status.value) == ("ours", "in_progress")

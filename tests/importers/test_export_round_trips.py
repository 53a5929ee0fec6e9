"""Export that the other tools read back: a Backlog.md folder read by our
importer and by the real `backlog` CLI, and task-master's tasks.json read by
the real `task-master` (both CLIs from npm; their tests are skipped, with the
reason, when they are not on PATH)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.status_map import lookup_status
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.importers import export_path, import_path, parse_path
from orchestrator_tui.services.importers.backlog import column_statuses

from .conftest import fresh
from .test_backlog_wild import STATUS_CASES

PLAN = """\
name: round trip
tasks:
  - {key: A-1, title: "Plan: [phase 1]", status: done, priority: high}
  - {key: A-2, title: Build, status: in_progress, depends_on: [A-1]}
  - {key: A-3, title: Build part one, parent: A-2, depends_on: [A-1]}
  - {key: A-4, title: Build part two, parent: A-2, depends_on: [A-3]}
  - {key: A-5, title: Leaf of part two, parent: A-4, status: blocked}
  - {key: A-6, title: Review, status: awaiting_approval, depends_on: [A-2]}
  - {key: A-7, title: Later, status: deferred}
  - {key: A-8, title: Dropped, status: cancelled}
  - {key: A-9, title: Broke, status: failed, description: "It failed.\\n\\nTwice."}
"""


def shape(orch: Orchestrator) -> dict[str, tuple[str, str | None, list[str]]]:
    """title -> (status, parent's title, titles of its blockers)."""
    rows = {r.key: r.title for r in orch.queries.list_tasks(limit=1000)}
    out = {}
    for key, title in rows.items():
        task = orch.queries.get_task(key)
        parent = rows[task.parent] if task.parent else None
        out[title] = (task.status.value, parent, sorted(rows[b.key] for b in task.blockers))
    return out


@pytest.fixture
def planned(orch: Orchestrator, tmp_path: Path) -> Orchestrator:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    import_path(orch, plan)
    return orch


def test_backlog_export_reads_back_the_same(planned, tmp_path, databases):
    report = export_path(planned, tmp_path / "out", "backlog")
    assert report.tasks == 9 and report.format == "backlog"
    files = sorted(p.name for p in (tmp_path / "out" / "backlog" / "tasks").iterdir())
    assert "task-1 - Plan-phase-1.md" in files and "task-2.2.1 - Leaf-of-part-two.md" in files
    again = fresh(databases, "again")
    back = import_path(again, tmp_path / "out")
    assert (back.added, back.warnings) == (9, [])
    assert shape(again) == shape(planned)
    broke = next(r.key for r in again.queries.list_tasks(limit=100) if r.title == "Broke")
    assert broke == "task-6"  # children numbered under their parent: task-2.1, task-2.2.1
    assert again.queries.get_task(broke).description == "It failed.\n\nTwice."


def test_backlog_export_writes_their_own_status_words_back(tmp_path, orch):
    from .test_backlog_wild import folder, task

    files = {f"tasks/task-{n} - x.md": task(f"TASK-{n}", w) for n, w in enumerate(STATUS_CASES, 1)}
    source = folder(tmp_path, files, '["Backlog", "Todo", "Doing", "Blocked", "QA", "Shipped"]')
    import_path(orch, source)
    export_path(orch, tmp_path / "out", "backlog")
    parsed = parse_path(tmp_path / "out")
    words = {t.key: (t.extra["status"], t.status.value) for t in parsed.plan.tasks}
    expected = {f"task-{n}": (w, s) for n, (w, s) in enumerate(STATUS_CASES.items(), 1)}
    assert words == expected
    assert parsed.warnings == [] or all("Someday" in w for w in parsed.warnings)


def test_backlog_export_refuses_an_existing_folder_and_writes_nothing(planned, tmp_path):
    (tmp_path / "out" / "backlog").mkdir(parents=True)
    with pytest.raises(ValidationFailed, match="already exists"):
        export_path(planned, tmp_path / "out", "backlog")
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "backlog"]
    assert list((tmp_path / "out" / "backlog").iterdir()) == []


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not on PATH (npm install -g task-master-ai backlog.md)"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    return found


def _run(argv: list[str], cwd: Path) -> Any:
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    # the JSON document, without the notices task-master may print around it
    return json.JSONDecoder().raw_decode(done.stdout[done.stdout.index("{") :])[0]


@pytest.mark.sqlite_only  # their CLI reads our files: the database is not tested
def test_the_real_backlog_cli_reads_our_export(planned, tmp_path):
    backlog = _tool("backlog")
    export_path(planned, tmp_path / "out", "backlog")
    listed = _run([backlog, "task", "list", "--json"], tmp_path / "out")["tasks"]
    assert len(listed) == 9
    columns = column_statuses(_columns(tmp_path / "out"))
    by_id = {t["id"]: t for t in listed}
    ours = shape(planned)
    for item in listed:
        status, parent, blockers = ours[item["title"]]
        assert lookup_status(item["status"], columns).value == status, item
        parent_title = by_id[item["parentTaskId"]]["title"] if item["parentTaskId"] else None
        assert parent_title == parent, item
        if blockers:
            viewed = _run([backlog, "task", item["id"], "--json"], tmp_path / "out")["task"]
            assert sorted(by_id[d]["title"] for d in viewed["dependencies"]) == blockers


def _columns(root: Path) -> list[str]:
    import yaml

    return yaml.safe_load((root / "backlog" / "config.yml").read_text())["statuses"]


@pytest.mark.sqlite_only  # their CLI reads our files: the database is not tested
def test_the_real_task_master_reads_our_export(planned, tmp_path):
    task_master = _tool("task-master")
    project = tmp_path / "project"
    out = project / ".taskmaster" / "tasks" / "tasks.json"
    out.parent.mkdir(parents=True)
    export_path(planned, out, "task-master")
    listed = _run([task_master, "list", "--format", "json", "--with-subtasks"], project)
    tops = {t["title"]: t for t in listed["tasks"]}
    # and A-5 (a grandchild joins its top task) are subtasks of A-2
    assert len(tops) == 6
    assert sorted(s["title"] for s in tops["Build"]["subtasks"]) == [
        "Build part one", "Build part two", "Leaf of part two"
    ]  # fmt: skip
    ours = shape(planned)
    statuses = {t: s["status"] for t, s in tops.items()}
    statuses |= {s["title"]: s["status"] for s in tops["Build"]["subtasks"]}
    assert {t: lookup_status(w).value for t, w in statuses.items() if t != "Broke"} == {
        t: s for t, (s, _, _) in ours.items() if t != "Broke"
    }
    assert statuses["Broke"] == "blocked"  # task-master has no failed
    following = _run([task_master, "next", "--format", "json"], project)["task"]
    ready = planned.queries.next_ready()
    assert ready is not None and following["title"] == ready.title == "Build part one"


RICH = """\
---
id: BACK-7
title: 'Rich: [everything]'
status: QA
assignee: ['@ann', '@bo']
created_date: '2025-06-04 10:30'
labels: [ui]
milestone: m-2
ordinal: 3000
references: ['https://example.org']
dependencies: [BACK-6, task-99]
---

Loose words before any heading.

## Description

<!-- SECTION:DESCRIPTION:BEGIN -->
What it is.
<!-- SECTION:DESCRIPTION:END -->

## Acceptance Criteria
<!-- AC:BEGIN -->
- [x] #1 First
- [ ] #2 Second
<!-- AC:END -->

## Implementation Notes

<!-- SECTION:NOTES:BEGIN -->
Notes.
<!-- SECTION:NOTES:END -->

## Risks

Some.
"""


def test_backlog_fields_and_sections_survive_import_then_export(tmp_path, orch, databases):
    from .test_backlog_wild import folder, task

    source = folder(
        tmp_path,
        {"tasks/back-7 - rich.md": RICH, "completed/back-6 - base.md": task("BACK-6", "Done")},
        '["To Do", "In Progress", "QA", "Done"]',
    )
    import_path(orch, source)
    export_path(orch, tmp_path / "out", "backlog")
    root = tmp_path / "out" / "backlog"
    assert (root / "completed" / "back-6 - Task-BACK-6.md").is_file()
    again = fresh(databases, "again")
    import_path(again, tmp_path / "out")
    before, after = orch.queries.get_task("back-7"), again.queries.get_task("back-7")
    for name in ("title", "status", "assignee", "tags", "description", "success_criteria"):
        assert getattr(after, name) == getattr(before, name), name
    assert [b.key for b in after.blockers] == ["back-6"]
    assert {k: v for k, v in after.extra.items() if k != "_backlog"} == {
        k: v for k, v in before.extra.items() if k != "_backlog"
    }
    assert after.extra["milestone"] == "m-2" and after.extra["status"] == "QA"
    assert after.extra["unresolved_dependencies"] == ["task-99"]
    assert after.extra["sections"] == {"Risks": "Some."}


def test_an_empty_task_master_tag_survives_a_round_trip(tmp_path, orch):
    doc = {
        "master": {"tasks": [{"id": 1, "title": "A", "description": "a", "status": "pending",
                              "priority": "medium", "dependencies": [], "subtasks": []}],
                   "metadata": {"description": "main"}},
        "empty": {"tasks": [], "metadata": {"description": "nothing yet"}},
        "later": {"tasks": [{"id": 1, "title": "B", "description": "b", "status": "done",
                             "priority": "low", "dependencies": [], "subtasks": []}],
                  "metadata": {"description": "after"}},
    }  # fmt: skip
    source = tmp_path / "in" / "tasks.json"
    source.parent.mkdir()
    source.write_text(json.dumps(doc, indent=2))
    before = source.read_text()
    import_path(orch, source)
    export_path(orch, source)
    assert source.read_text() == before  # byte for byte, the empty tag in its place


def test_an_exported_board_can_start_a_task_in_the_real_backlog_cli(orch, databases, tmp_path):
    """A plan with only pending and done tasks still gets Backlog.md's working
    column, so the exported board can move a task to in progress."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "tasks:\n  - {key: A-1, title: Old, status: done}\n  - {key: A-2, title: New}\n"
    )
    import_path(orch, plan)
    export_path(orch, tmp_path / "out", "backlog")
    assert _columns(tmp_path / "out") == ["To Do", "In Progress", "Done"]
    backlog = _tool("backlog")
    task_id = next(
        t["id"]
        for t in _run([backlog, "task", "list", "--json"], tmp_path / "out")["tasks"]
        if t["title"] == "New"
    )
    edited = subprocess.run(
        [backlog, "task", "edit", task_id, "-s", "In Progress"],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert edited.returncode == 0, edited.stdout + edited.stderr
    again = fresh(databases, "again")
    import_path(again, tmp_path / "out" / "backlog")
    assert shape(again)["New"][0] == "in_progress"

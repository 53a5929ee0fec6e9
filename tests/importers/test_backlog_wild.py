"""Backlog.md folders as found in the wild: free-text statuses and layouts of
every age, each fixture small and written here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestrator_tui.domain.errors import CycleError, ValidationFailed
from orchestrator_tui.services.importers import import_path, parse_path

from .conftest import refused_import


def folder(tmp: Path, files: dict[str, str | bytes], statuses: str | None = None) -> Path:
    root = tmp / "project" / "backlog"
    (root / "tasks").mkdir(parents=True)
    if statuses is not None:
        (root / "config.yml").write_text(f"statuses: {statuses}\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return root


def task(ident: str, status: str | None = None, **fields: str) -> str:
    lines = [f"id: {ident}", f"title: Task {ident}"]
    if status is not None:
        lines.append(f"status: {status}")
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\nBody.\n"


STATUS_CASES = {
    # word: (our status, how)
    "Backlog": "pending",  # first column, in no table
    "Todo": "pending",  # the table
    "Doing": "in_progress",  # the table
    "Blocked": "blocked",  # the table maps it more exactly than its middle column
    "QA": "in_progress",  # a middle column
    "Shipped": "done",  # the last column
    "Completed": "done",  # not a column: the table
    "In-Progress": "in_progress",
    "Skipped": "cancelled",
    "Someday": "pending",  # nobody knows it: pending with a warning
}


@pytest.fixture
def statuses(tmp_path: Path) -> Path:
    files = {
        f"tasks/task-{n} - x.md": task(f"TASK-{n}", word)
        for n, word in enumerate(STATUS_CASES, start=1)
    }
    files["drafts/draft-1 - idea.md"] = task("DRAFT-1", "Draft")
    return folder(tmp_path, files, '["Backlog", "Todo", "Doing", "Blocked", "QA", "Shipped"]')


def test_status_words_map_by_column_then_table_then_pending(statuses, orch):
    report = import_path(orch, statuses)
    assert report.added == len(STATUS_CASES) + 1
    for n, (word, ours) in enumerate(STATUS_CASES.items(), start=1):
        row = orch.queries.get_task(f"task-{n}")
        assert (word, row.status.value) == (word, ours)
        assert row.extra["status"] == word  # kept for export
    assert orch.queries.get_task("draft-1").status.value == "deferred"
    (warning,) = report.warnings
    assert "tasks/task-10 - x.md" in warning and "'Someday'" in warning
    assert "imported as pending" in warning


def test_strict_refuses_an_unknown_status_naming_file_and_word(statuses, orch):
    message = refused_import(orch, statuses, ValidationFailed, strict=True)
    assert re.search(r"task-10 - x\.md.*'Someday'.*--strict", message), message


def test_a_missing_config_uses_the_default_columns(tmp_path):
    root = folder(tmp_path, {"tasks/task-1 - a.md": task("TASK-1", "In Progress")})
    parsed = parse_path(root)
    assert [t.status.value for t in parsed.plan.tasks] == ["in_progress"]
    assert any("no config.yml" in n for n in parsed.notices)


def test_a_bad_status_list_in_config_is_a_warning_not_a_failure(tmp_path):
    root = folder(tmp_path, {"tasks/task-1 - a.md": task("TASK-1", "Done")}, "7")
    parsed = parse_path(root)
    assert [t.status.value for t in parsed.plan.tasks] == ["done"]
    assert any("config.yml: statuses" in w for w in parsed.warnings)


LAYOUT = {
    # a nested epic folder
    "tasks/epics/auth/task-9 - Login.md": task("TASK-9", "To Do"),
    # no frontmatter at all: the id from the file name, the title from its heading
    "tasks/task-2 - Plain-notes.md": "# Plain notes\n\nJust text.\n",
    # frontmatter without an id, older key names
    "tasks/task-3 - Old-keys.md": (
        "---\ntitle: Old keys\nstatus: Done\nassignees: [ann]\ntags: [legacy]\n"
        "depends_on: [task-9]\ncreated: 2024-01-02\n---\nOld body.\n"
    ),
    # the same id in tasks/ and completed/, and in tasks/ and archive/
    "tasks/task-4 - Live.md": task("TASK-4", "In Progress"),
    "completed/task-4 - Done-copy.md": task("TASK-4", "Done"),
    "archive/tasks/task-4 - Archived-copy.md": task("TASK-4", "To Do"),
    # dotted ids three levels deep, parents from the ids alone
    "tasks/task-190 - Top.md": task("task-190", "To Do"),
    "tasks/task-190.15 - Middle.md": task("task-190.15", "To Do"),
    "tasks/task-190.15.4 - Leaf.md": task("task-190.15.4", "To Do", dependencies="[task-4]"),
    # titles with brackets and colons, unquoted as people type them
    "tasks/task-5 - wip.md": "---\nid: task-5\ntitle: [WIP] Fix: the parser\n---\n",
    "tasks/task-6 - tag.md": "---\nid: task-6\ntitle: [WIP]\nstatus: To Do\n---\n",
    # Windows line endings and a byte order mark
    "tasks/task-7 - windows.md": b"\xef\xbb\xbf---\r\nid: task-7\r\ntitle: Windows\r\n"
    b"status: Done\r\ndependencies: [task-5]\r\n---\r\n\r\n## Description\r\n\r\nCRLF.\r\n",
    # unreadable: skipped with a warning
    "tasks/task-8 - broken.md": "---\nid: task-8\nlabels:\n  - a\n - b: [\n---\n",
    # not a task
    "tasks/readme.md": "# About these tasks\n",
    # a duplicate in the same folder: skipped with a warning
    "tasks/epics/old/task-9 - Login-again.md": task("TASK-9", "Done"),
}


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return folder(tmp_path, LAYOUT, '["To Do", "In Progress", "Done"]')


def test_layouts_of_every_age_import(layout, orch):
    report = import_path(orch, layout)
    rows = {r.key: r for r in orch.queries.list_tasks(limit=100)}
    assert set(rows) == {
        "task-9", "task-2", "task-3", "task-4", "task-4-completed", "task-4-archived",
        "task-190", "task-190.15", "task-190.15.4", "task-5", "task-6", "task-7",
    }  # fmt: skip
    assert report.added == 12
    epic = orch.queries.get_task("task-9")
    assert epic.title == "Task TASK-9" and epic.status.value == "pending"
    assert epic.extra["_backlog"]["file"] == "tasks/epics/auth/task-9 - Login.md"
    plain = orch.queries.get_task("task-2")
    assert (plain.title, plain.status.value) == ("Plain notes", "pending")
    old = orch.queries.get_task("task-3")
    assert (old.title, old.status.value, old.assignee, old.tags) == (
        "Old keys", "done", "ann", ["legacy"]
    )  # fmt: skip
    assert [b.key for b in old.blockers] == ["task-9"] and old.created_at.year == 2024
    assert orch.queries.get_task("task-4").status.value == "in_progress"
    assert orch.queries.get_task("task-4-completed").status.value == "done"
    assert orch.queries.get_task("task-4-archived").status.value == "cancelled"
    assert orch.queries.get_task("task-190.15").parent == "task-190"
    leaf = orch.queries.get_task("task-190.15.4")
    assert leaf.parent == "task-190.15" and [b.key for b in leaf.blockers] == ["task-4"]
    assert orch.queries.get_task("task-5").title == "[WIP] Fix: the parser"
    assert orch.queries.get_task("task-6").title == "[WIP]"
    windows = orch.queries.get_task("task-7")
    assert (windows.title, windows.status.value, windows.description) == (
        "Windows",
        "done",
        "CRLF.",
    )
    assert [b.key for b in windows.blockers] == ["task-5"]
    warned = "\n".join(report.warnings)
    assert "task-8 - broken.md" in warned and "file skipped" in warned
    assert "completed/task-4 - Done-copy.md" in warned and "imported as task-4-completed" in warned
    assert "epics/old/task-9 - Login-again.md" in warned and "duplicate id TASK-9" in warned
    assert "readme.md" not in warned and any("readme.md" in n for n in report.notices)


def test_strict_refuses_an_unreadable_task_file(layout, orch):
    with pytest.raises(ValidationFailed, match=r"task-8 - broken\.md.*--strict"):
        import_path(orch, layout, strict=True)
    assert orch.tasks.count() == 0


def test_a_file_without_any_id_is_skipped_with_a_warning(tmp_path):
    root = folder(tmp_path, {"tasks/notes.md": "---\ntitle: Loose\n---\n", "tasks/a.md": ""})
    parsed = parse_path(root)
    assert parsed.plan.tasks == []
    assert any("tasks/notes.md: skipped: no task id" in w for w in parsed.warnings)


def test_a_cycle_among_unfinished_tasks_still_refuses_the_folder(tmp_path, orch):
    root = folder(
        tmp_path,
        {
            "tasks/task-1 - a.md": task("task-1", dependencies="[task-2]"),
            "tasks/task-2 - b.md": task("task-2", dependencies="[task-1]"),
        },
    )
    with pytest.raises(CycleError, match="dependency cycle"):
        import_path(orch, root)
    assert orch.tasks.count() == 0


def test_files_that_cannot_be_tasks_are_skipped_naming_the_file(tmp_path):
    root = folder(
        tmp_path,
        {
            "tasks/task-1 - a.md": task("TASK-1"),
            "tasks/task-2.md": "---\nid: task-2\n---\n",  # no title anywhere
            "tasks/task-3 - latin1.md": b"---\nid: task-3\ntitle: caf\xe9\n---\n",
        },
    )
    parsed = parse_path(root)
    assert [t.key for t in parsed.plan.tasks] == ["task-1"]
    warned = "\n".join(parsed.warnings)
    assert "task-2.md (task-2): title: none" in warned
    assert "task-3 - latin1.md: not UTF-8" in warned and "file skipped" in warned


def test_drafts_and_archived_tasks_keep_their_status_words_through_an_export(tmp_path, orch):
    from orchestrator_tui.services.importers import export_path

    root = folder(
        tmp_path,
        {
            "tasks/task-1 - x.md": task("TASK-1", "In Progress"),
            "drafts/draft-1 - idea.md": task("DRAFT-1", "In Progress"),
            "drafts/draft-2 - done idea.md": task("DRAFT-2", "Done"),
            "archive/tasks/task-2 - old.md": task("TASK-2", "To Do"),
        },
    )
    import_path(orch, root)
    out = tmp_path / "out"
    export_path(orch, out, "backlog")
    again = parse_path(out / "backlog").plan.tasks
    statuses = {t.key: t.status.value for t in again}
    assert statuses == {
        "task-1": "in_progress",
        "draft-1": "deferred",  # the drafts folder defers it, whatever its word
        "draft-2": "done",  # done stays done
        "task-2-archived": "cancelled",
    }
    words = {t.key: t.extra["status"] for t in again}
    assert words["draft-1"] == "In Progress" and words["task-2-archived"] == "To Do"


def test_a_quote_never_closed_skips_the_file_naming_the_field(tmp_path, orch):
    # Backlog.md itself cannot read such a file: `backlog task list` leaves it out.
    root = folder(
        tmp_path,
        {
            "tasks/task-1 - a.md": task("TASK-1"),
            "tasks/task-2 - Fix.md": '---\nid: task-2\ntitle: "Fix login\nstatus: Done\n---\n',
            "tasks/task-3 - b.md": "---\nid: task-3\ntitle: 'Half' quoted\n---\n",
            # a quoted title going on over two lines is YAML's, read beside a repaired field
            "tasks/task-4 - c.md": '---\nid: task-4\ntitle: "Fix\n  logout"\nnote: [WIP] a\n---\n',
        },
    )
    report = import_path(orch, root)
    assert [t.key for t in orch.queries.list_tasks(limit=10)] == ["task-1", "task-4"]
    assert orch.queries.get_task("task-4").title == "Fix logout"
    second, third = report.warnings
    assert "tasks/task-2 - Fix.md: frontmatter: title: " in second
    assert "quote" in second and "file skipped" in second and "\n" not in second
    assert "tasks/task-3 - b.md: frontmatter: title: " in third
    message = refused_import(orch, root, ValidationFailed, strict=True)
    assert "task-2 - Fix.md: frontmatter: title: " in message

"""The rules every importer shares, tested once: a reference to the task
itself, a reference named twice and a reference to nothing are warnings that
name the file, the record and the field, and are not linked; --strict refuses
them; parents follow the same rule; a cycle among finished tasks loses its
closing link, any other cycle is refused. Then the same file shapes in every
format that links, to show each one follows them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator_tui.domain.errors import OrchestratorError, ValidationFailed
from orchestrator_tui.services.importers import import_path, parse_path
from orchestrator_tui.services.importers.common import Issues, Record, finish, link

KEYS = {"a": "a", "b": "b", "c": "c"}


def resolve(ref, record: Record) -> str | None:
    return KEYS.get(str(ref).strip().lower())


def record(key: str, refs=(), parent=None, status: str = "pending") -> Record:
    data = {"key": key, "title": key.upper(), "status": status}
    return Record(data, f"f.json: tasks[{key}]", list(refs), parent, parent_field="parent_id")


def linked(*records: Record, strict: bool = False, keep: bool = False) -> list[str]:
    issues = Issues(strict)
    link(list(records), resolve, issues, keep_dangling=keep)
    return issues.warnings


def test_a_reference_to_the_task_itself_is_a_warning_and_not_linked():
    a = record("a", ["A", "b"])
    (warning,) = linked(a, record("b"))
    assert warning == "f.json: tasks[a]: dependencies: 'A' is the task itself; not linked"
    assert a.data["depends_on"] == ["b"]
    assert a.unlinked == ["a"]


def test_a_dependency_named_twice_is_linked_once_with_a_warning():
    a = record("a", ["b", "c", " B"])
    (warning,) = linked(a, record("b"), record("c"))
    assert warning == "f.json: tasks[a]: dependencies: ' B' is named more than once; linked once"
    assert a.data["depends_on"] == ["b", "c"]


def test_a_reference_to_nothing_is_a_warning_and_not_linked():
    a = record("a", ["zz", "b"])
    (warning,) = linked(a, record("b"))
    assert warning == "f.json: tasks[a]: dependencies: no task 'zz' in this file; not linked"
    assert a.data["depends_on"] == ["b"]
    assert a.dangling == ["zz"] and "extra" not in a.data


def test_references_to_nothing_can_be_kept_in_extra():
    a = record("a", ["zz"], parent="yy")
    warnings = linked(a, keep=True)
    assert [w.endswith("not linked, kept in extra") for w in warnings] == [True, True]
    assert a.data["extra"] == {"unresolved_dependencies": ["zz"], "unresolved_parent": "yy"}


def test_parents_follow_the_same_rule():
    child, itself, lost = record("b", parent="A"), record("a", parent="a"), record("c", parent="q")
    warnings = linked(child, itself, lost)
    assert child.data["parent"] == "a"
    assert "parent" not in itself.data and "parent" not in lost.data
    assert warnings == [
        "f.json: tasks[a]: parent_id: 'a' is the task itself; not linked",
        "f.json: tasks[c]: parent_id: no task 'q' in this file; not linked",
    ]


@pytest.mark.parametrize(
    "refs, parent, found",
    [
        (["a"], None, "dependencies: 'a' is the task itself"),
        (["b", "b"], None, "dependencies: 'b' is named more than once"),
        (["zz"], None, "dependencies: no task 'zz'"),
        ([], "a", "parent_id: 'a' is the task itself"),
        ([], "zz", "parent_id: no task 'zz'"),
    ],
)
def test_strict_refuses_every_one_of_them(refs, parent, found):
    with pytest.raises(ValidationFailed) as caught:
        linked(record("a", refs, parent), record("b"), strict=True)
    assert f"f.json: tasks[a]: {found}" in str(caught.value)
    assert str(caught.value).endswith("(refused by --strict)")


def test_finish_drops_the_closing_link_of_a_cycle_among_finished_tasks():
    a, b = record("a", ["b"], status="done"), record("b", ["a"], status="done")
    issues = Issues(False)
    link([a, b], resolve, issues)
    parsed = finish([a, b], issues, fmt="x", origin="f.json", name="f", where_prefix="f.json: ")
    deps = {t.key: [r.key for r in t.depends_on] for t in parsed.plan.tasks}
    assert deps == {"a": [], "b": ["a"]}
    assert a.unlinked == ["b"]
    assert parsed.where == {"a": "tasks[a]", "b": "tasks[b]"}
    (warning,) = parsed.warnings
    assert "tasks[a]: dependencies: cycle among finished tasks (a -> b -> a)" in warning


def test_finish_refuses_any_other_cycle_naming_the_record():
    a, b = record("a", ["b"], status="done"), record("b", ["a"])
    issues = Issues(False)
    link([a, b], resolve, issues)
    with pytest.raises(ValidationFailed, match=r"tasks\[a\]: dependencies: dependency cycle"):
        finish([a, b], issues, fmt="x", origin="f.json", name="f")


def test_finish_names_the_record_and_field_of_a_bad_value():
    a = record("a")
    a.data["priority"] = "whenever"
    issues = Issues(False)
    link([a], resolve, issues)
    with pytest.raises(ValidationFailed, match=r"^f\.json: tasks\[a\]: priority: "):
        finish([a], issues, fmt="x", origin="f.json", name="f")


# -- every format that links follows the rules --------------------------------
# Each file holds task A naming itself, B twice and a missing task, and B.


def _taskmaster(tmp: Path) -> tuple[Path, str, str]:
    path = tmp / "tasks.json"
    path.write_text(
        '{"tasks": [{"id": 1, "title": "A", "dependencies": [1, 2, "2", 99]},'
        ' {"id": 2, "title": "B"}]}'
    )
    return path, "master-1", "master-2"


def _backlog(tmp: Path) -> tuple[Path, str, str]:
    root = tmp / "backlog"
    (root / "tasks").mkdir(parents=True)
    (root / "config.yml").write_text('statuses: ["To Do", "Done"]\n')
    (root / "tasks" / "back-1 - a.md").write_text(
        "---\nid: BACK-1\ntitle: A\ndependencies: [BACK-1, BACK-2, task-2, BACK-99]\n---\n"
    )
    (root / "tasks" / "back-2 - b.md").write_text("---\nid: BACK-2\ntitle: B\n---\n")
    return root, "back-1", "back-2"


def _seed002(tmp: Path) -> tuple[Path, str, str]:
    folder = tmp / "tasks"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntask_id: A\ntitle: A\ndependencies: [A, B, B, Z]\n---\nbody\n"
    )
    (folder / "b.md").write_text("---\ntask_id: B\ntitle: B\n---\nbody\n")
    return folder, "a", "b"


def _seed001(tmp: Path) -> tuple[Path, str, str]:
    path = tmp / "tasks.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, title TEXT);"
        "CREATE TABLE dependencies (id INTEGER PRIMARY KEY, task_id TEXT, depends_on TEXT);"
        "INSERT INTO tasks VALUES ('aaaa1111', 'A'), ('bbbb2222', 'B');"
        "INSERT INTO dependencies (task_id, depends_on) VALUES ('aaaa1111', 'aaaa1111'),"
        " ('aaaa1111', 'bbbb2222'), ('aaaa1111', 'bbbb2222'), ('aaaa1111', 'zzzz9999');"
    )
    db.commit()
    db.close()
    return path, "to-aaaa1111", "to-bbbb2222"


FORMATS: dict[str, Callable[[Path], tuple[Path, str, str]]] = {
    "task-master": _taskmaster,
    "backlog": _backlog,
    "seed-002": _seed002,
    "seed-001": _seed001,
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_warns_and_links_the_rest(fmt, tmp_path, orch):
    path, a, b = FORMATS[fmt](tmp_path)
    parsed = parse_path(path)
    assert parsed.format == fmt
    deps = {t.key: [r.key for r in t.depends_on] for t in parsed.plan.tasks}
    assert deps == {a: [b], b: []}
    itself, twice, nothing = parsed.warnings
    assert "is the task itself; not linked" in itself
    assert "is named more than once; linked once" in twice
    assert "no task" in nothing and "not linked" in nothing
    for warning in parsed.warnings:  # the file, the record and the field
        assert str(path) in warning and ": dependencies: " in warning
    report = import_path(orch, path)  # imported, not refused
    assert report.added == 2
    assert [x.key for x in orch.queries.get_task(a).blockers] == [b]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_refuses_them_with_strict(fmt, tmp_path, orch):
    path, _, _ = FORMATS[fmt](tmp_path)
    with pytest.raises(OrchestratorError, match=r"is the task itself.*refused by --strict"):
        import_path(orch, path, strict=True)
    assert orch.tasks.count() == 0


def test_a_seed001_dependency_row_for_no_task_is_the_same_warning(tmp_path, orch):
    path, _, _ = _seed001(tmp_path)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO dependencies (task_id, depends_on) VALUES ('gone0000', 'aaaa1111')")
    db.commit()
    db.close()
    warnings = parse_path(path).warnings
    assert len(warnings) == 4
    assert f"{path}: dependencies row id=5: task_id: no task 'gone0000'" in warnings[0]
    with pytest.raises(OrchestratorError):
        import_path(orch, path, strict=True)


def test_parents_in_markdown_formats_follow_the_same_rule(tmp_path):
    path, _, _ = _backlog(tmp_path)
    (path / "tasks" / "back-3 - c.md").write_text(
        "---\nid: BACK-3\ntitle: C\nparent_task_id: BACK-3\n---\n"
    )
    (path / "tasks" / "back-4 - d.md").write_text(
        "---\nid: BACK-4\ntitle: D\nparent_task_id: BACK-77\n---\n"
    )
    parsed = parse_path(path)
    parents = {t.key: t.parent for t in parsed.plan.tasks}
    assert parents["back-3"] is None and parents["back-4"] is None
    assert any(
        "(BACK-3): parent_task_id: 'BACK-3' is the task itself" in w for w in parsed.warnings
    )
    assert any("(BACK-4): parent_task_id: no task 'BACK-77'" in w for w in parsed.warnings)
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "s.md").write_text("---\ntask_id: T\nsubtask_id: S\ntitle: S\n---\n")
    (warning,) = parse_path(folder).warnings
    assert "(T/S): parent_task: no task 'T'" in warning

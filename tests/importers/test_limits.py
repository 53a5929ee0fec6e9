"""Files that try to walk around the reader: repeated keys, alias bombs, deep
nesting, endless or blocking files. Each is refused with one message naming
the file (and the line or key where possible), and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.services.importers import import_path

from .conftest import FIXTURES, dump


def refused(orch, path: Path) -> str:
    import_path(orch, FIXTURES / "plan.yaml")  # something already there
    before = dump(orch, events=True)
    with pytest.raises(OrchestratorError) as caught:
        import_path(orch, path)
    assert dump(orch, events=True) == before
    message = str(caught.value)
    assert "\n" not in message
    return message


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- repeated keys ---------------------------------------------------------------------


def test_a_plan_with_two_tasks_keys_is_refused_naming_the_line(orch, tmp_path):
    text = "tasks:\n  - {key: A, title: a}\nname: two lists\ntasks:\n  - {key: B, title: b}\n"
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml" in message
    assert "duplicate key 'tasks' at line 4, column 1" in message


def test_a_repeated_key_inside_a_yaml_task_is_refused(orch, tmp_path):
    text = "tasks:\n  - key: A\n    title: first\n    title: second\n"
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml" in message and "duplicate key 'title' at line 4" in message


def test_yaml_merge_keys_may_still_be_overridden(orch, tmp_path):
    text = (
        "tasks:\n  - &d {key: Z, priority: low, title: x}\n"
        "  - <<: *d\n    key: A\n    title: merged and overridden\n"
    )
    import_path(orch, write(tmp_path, "plan.yaml", text))
    assert orch.queries.get_task("A").title == "merged and overridden"


def test_a_json_object_with_a_repeated_key_is_refused(orch, tmp_path):
    data = json.loads((FIXTURES / "taskmaster" / "tasks.json").read_text())
    text = json.dumps(data, indent=2)
    # the same tag twice: the second list of tasks would silently replace the first
    text = text.replace('{\n  "master": {', '{\n  "master": {"tasks": []},\n  "master": {', 1)
    message = refused(orch, write(tmp_path, "tasks.json", text))
    assert "tasks.json" in message and "duplicate key 'master' in the object at line 1" in message


def test_a_repeated_key_in_a_task_of_our_json_export_is_refused(orch, tmp_path):
    text = '{"format": "orchestrator-tui", "tasks": [\n{"key": "A", "title": "a", "key": "B"}]}'
    message = refused(orch, write(tmp_path, "export.json", text))
    assert "export.json" in message and "duplicate key 'key' in the object at line 2" in message


def test_a_repeated_key_in_backlog_frontmatter_is_refused(orch, tmp_path):
    root = tmp_path / "proj"
    write(root, "backlog/config.yml", "project_name: x\n")
    write(root, "backlog/tasks/back-1 - a.md", "---\nid: BACK-1\ntitle: a\ntitle: b\n---\n")
    message = refused(orch, root)
    assert "back-1 - a.md" in message and "duplicate key 'title'" in message

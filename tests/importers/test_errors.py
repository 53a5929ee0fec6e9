"""All or nothing: every bad input writes nothing and names the file, the
record and the field; the CLI prints one line on stderr and exits non-zero."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.services.importers import import_path

from ..cli.support import run_in_process, run_subprocess
from .conftest import FIXTURES, refused_import, take_marks

TAGGED = json.loads((FIXTURES / "taskmaster" / "tasks.json").read_text())


def _taskmaster(tmp_path: Path, change) -> Path:
    data = json.loads(json.dumps(TAGGED))
    change(data["master"]["tasks"])
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(data))
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _set(index, field, value):
    def change(tasks):
        tasks[index][field] = value

    return change


def _cycle(tasks):
    tasks[0]["status"] = "pending"
    tasks[0]["dependencies"] = [3]


def _duplicate(tasks):
    tasks[2]["id"] = "1"


UNKNOWN_DEP = "tasks:\n  - {key: A, title: a}\n  - {key: B, title: b, depends_on: [Z]}\n"
PYTHON_TAG = "tasks:\n  - key: A\n    title: !!python/object/apply:os.system [echo hi]\n"

CASES = {
    "bad json": (
        lambda p: _write(p, "tasks.json", '{"master": {"tasks": [}'),
        ["tasks.json", "line 1"],
    ),
    "bad yaml": (
        lambda p: _write(p, "plan.yaml", "tasks:\n  - key: [unclosed\n"),
        ["plan.yaml", "invalid YAML"],
    ),
    "cycle": (
        lambda p: _taskmaster(p, _cycle),
        ["tasks.json", "tasks[0] (id 1)", "dependencies", "cycle"],
    ),
    "unknown dependency": (
        lambda p: _write(p, "plan.yaml", UNKNOWN_DEP),
        ["plan.yaml", "tasks[1] (B)", "depends_on", "'Z'"],
    ),
    "duplicate id": (
        lambda p: _taskmaster(p, _duplicate),
        ["tasks.json", "tasks[2] (id 1)", "id", "duplicate"],
    ),
    "unknown status": (
        lambda p: _taskmaster(p, _set(1, "status", "wibble")),
        ["tasks.json", "tasks[1] (id 2)", "status", "wibble"],
    ),
    "unknown priority": (
        lambda p: _taskmaster(p, _set(2, "priority", "whenever")),
        ["tasks.json", "tasks[2] (id 3)", "priority", "whenever"],
    ),
    "missing title": (
        lambda p: _taskmaster(p, _set(0, "title", "")),
        ["tasks.json", "tasks[0] (id 1)", "title"],
    ),
    "python tag": (
        lambda p: _write(p, "plan.yaml", PYTHON_TAG),
        ["plan.yaml", "invalid YAML", "python/object"],
    ),
    "alias bomb": (
        lambda p: _write(
            p,
            "plan.yaml",
            "l0: &l0 [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 9)}]\n" for i in range(30))
            + "tasks: []\n",
        ),
        ["plan.yaml", "invalid YAML", "aliases"],
    ),
    "deep nesting": (
        lambda p: _write(p, "plan.yaml", "tasks: " + "[" * 5000 + "]" * 5000),
        ["plan.yaml"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_writes_nothing_and_names_the_place(case, orch, tmp_path):
    import_path(orch, FIXTURES / "plan.yaml")  # something already there
    make, expected = CASES[case]
    message = refused_import(orch, make(tmp_path))
    for part in expected:
        assert part in message, (part, message)


def test_cli_error_is_one_line_and_non_zero(tmp_path):
    path = _taskmaster(tmp_path, _set(1, "status", "wibble"))
    db = tmp_path / "cli.db"
    done = run_in_process(["--db", str(db), "import", str(path)])
    assert done.code == 7
    assert done.out == ""
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and "status" in lines[0] and "wibble" in lines[0]


def test_cli_import_json_and_progress_flag(tmp_path):
    """The import/export family's real subprocess: progress on a real stderr pipe."""
    db = tmp_path / "cli.db"
    source = str(FIXTURES / "taskmaster" / "tasks.json")
    done = run_subprocess(["--db", str(db), "import", source, "--json", "--progress", "--dry-run"])
    assert done.code == 0, done.err
    report = json.loads(done.out)  # stdout stays clean JSON; progress goes to stderr
    assert report["added"] == 8 and report["dry_run"] is True
    assert "tasks: 8/8" in done.err
    done = run_in_process(["--db", str(db), "import", source])
    assert "8 added, 0 changed, 0 unchanged" in done.out
    out = tmp_path / "tasks.json"
    done = run_in_process(["--db", str(db), "export", str(out)])
    assert done.code == 0 and "exported 8 tasks" in done.out
    written = json.loads(out.read_text())  # another file: each record names its task
    assert len(take_marks(written)) == 8 and written == TAGGED

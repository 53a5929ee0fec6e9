"""One rule for every source: a plan cannot take over a task that an import from
another source owns, and a cycle is exit 5, whatever format the plan is in."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services.importers import import_path

from .conftest import FIXTURES, refused_import


def test_a_yaml_plan_cannot_change_a_task_master_task(orch, tmp_path):
    import_path(orch, FIXTURES / "taskmaster" / "tasks.json")
    plan = tmp_path / "plan.yaml"
    plan.write_text("tasks:\n  - {key: master-1, title: taken over}\n")
    assert refused_import(orch, plan, ValidationFailed) == (
        f"{plan}: tasks[0] (master-1): key: 'master-1' is already used by a task imported "
        f"from task-master:{FIXTURES / 'taskmaster' / 'tasks.json'}; "
        "import with --prefix to keep both"
    )
    report = import_path(orch, plan, prefix="mine")
    assert report.added == 1 and orch.queries.get_task("mine-master-1").title == "taken over"


def test_a_yaml_plan_still_updates_tasks_made_here(orch, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("tasks:\n  - {key: A, title: first}\n")
    import_path(orch, plan)
    plan.write_text("tasks:\n  - {key: A, title: second}\n")
    assert import_path(orch, plan).changed == 1
    assert orch.queries.get_task("A").title == "second"


@pytest.mark.parametrize("source", ["plan.yaml", "tasks.json"])
def test_a_cycle_exits_5_whatever_the_format(capsys, tmp_path, source):
    from orchestrator_tui.cli import main

    path = tmp_path / source
    if source == "plan.yaml":
        path.write_text(
            "tasks:\n  - {key: A, title: a, depends_on: [B]}\n"
            "  - {key: B, title: b, depends_on: [A]}\n"
        )
    else:
        path.write_text(
            '{"tasks": [{"id": 1, "title": "a", "status": "pending", "dependencies": [2]},'
            ' {"id": 2, "title": "b", "status": "pending", "dependencies": [1]}]}'
        )
    code = main(["--db", str(tmp_path / "x.db"), "import", str(path)])
    err = capsys.readouterr().err
    assert code == 5, err
    assert "dependency cycle:" in err and str(path) in err


def test_a_plan_cannot_change_a_demo_task_and_the_demo_seeds_again(capsys, tmp_path):
    from orchestrator_tui.cli import main

    db = str(tmp_path / "demo.db")
    assert main(["--db", db, "db", "seed"]) == 0
    plan = tmp_path / "plan.yaml"
    plan.write_text("tasks:\n  - {key: PAY-1, title: taken over}\n")
    capsys.readouterr()
    assert main(["--db", db, "import", str(plan)]) == 7
    assert "'PAY-1' is already used by a task imported from demo" in capsys.readouterr().err
    assert main(["--db", db, "db", "seed"]) == 0  # the demo still updates its own tasks
    assert "seeded" in capsys.readouterr().out


def test_a_cycle_among_finished_tasks_refused_by_strict_exits_5(capsys, tmp_path):
    """Without --strict its closing link is dropped with a warning; with it the
    cycle is refused as any cycle is: exit 5, nothing written."""
    from orchestrator_tui.cli import main

    path = tmp_path / "tasks.json"
    path.write_text(
        '{"tasks": [{"id": 1, "title": "a", "status": "done", "dependencies": [2]},'
        ' {"id": 2, "title": "b", "status": "done", "dependencies": [1]}]}'
    )
    db = str(tmp_path / "x.db")
    assert main(["--db", db, "db", "init"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", str(path), "--strict"]) == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ")
    assert "cycle among finished tasks (master-1 -> master-2 -> master-1)" in err
    assert "(refused by --strict)" in err
    assert main(["--db", db, "--json", "task", "list"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    assert main(["--db", db, "import", str(path)]) == 0
    assert "cycle among finished tasks" in capsys.readouterr().err

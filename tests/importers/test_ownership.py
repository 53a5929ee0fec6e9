"""One ownership rule for every source: a plan cannot take over a task that an
import from another source owns, whatever format the plan is in."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services.importers import import_path

from .conftest import FIXTURES, dump


def test_a_yaml_plan_cannot_change_a_task_master_task(orch, tmp_path):
    import_path(orch, FIXTURES / "taskmaster" / "tasks.json")
    before = dump(orch, events=True)
    plan = tmp_path / "plan.yaml"
    plan.write_text("tasks:\n  - {key: master-1, title: taken over}\n")
    with pytest.raises(ValidationFailed) as caught:
        import_path(orch, plan)
    assert str(caught.value) == (
        f"{plan}: tasks[0] (master-1): key: 'master-1' is already used by a task imported "
        f"from task-master:{FIXTURES / 'taskmaster' / 'tasks.json'}; "
        "import with --prefix to keep both"
    )
    assert dump(orch, events=True) == before
    report = import_path(orch, plan, prefix="mine")
    assert report.added == 1 and orch.queries.get_task("mine-master-1").title == "taken over"


def test_a_yaml_plan_still_updates_tasks_made_here(orch, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("tasks:\n  - {key: A, title: first}\n")
    import_path(orch, plan)
    plan.write_text("tasks:\n  - {key: A, title: second}\n")
    assert import_path(orch, plan).changed == 1
    assert orch.queries.get_task("A").title == "second"

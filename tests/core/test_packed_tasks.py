"""Packed plan tasks give back tasks equal to those packed, with the same fields
given, and the outlines the plan-level checks read."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain import packed
from orchestrator_tui.domain.packed import PackedTasks, outline, outlines_of
from orchestrator_tui.domain.plan import PlanTask
from orchestrator_tui.services.plans import read_plan_file, sample_plan_path


@pytest.fixture(scope="module")
def demo_tasks() -> list[PlanTask]:
    tasks = read_plan_file(sample_plan_path()).tasks
    # the demo gives history, participants, dependencies, times and commands
    assert any(t.runs for t in tasks) and any(t.participants for t in tasks)
    assert any(t.depends_on for t in tasks) and any(t.command for t in tasks)
    return tasks


def test_packed_tasks_rebuild_the_tasks_packed(demo_tasks: list[PlanTask]) -> None:
    tasks = PackedTasks(demo_tasks)
    assert len(tasks) == len(demo_tasks)
    assert tasks == demo_tasks
    assert list(tasks) == demo_tasks
    for rebuilt, original in zip(tasks, demo_tasks, strict=True):
        assert rebuilt.model_fields_set == original.model_fields_set
        assert rebuilt.model_dump() == original.model_dump()
    assert tasks[-1] == demo_tasks[-1]
    assert tasks[1:3] == demo_tasks[1:3]
    assert tasks != demo_tasks[:-1]


def test_outlines_say_what_the_checks_need(demo_tasks: list[PlanTask]) -> None:
    tasks = PackedTasks(demo_tasks)
    assert outlines_of(tasks) == outlines_of(demo_tasks) == [outline(t) for t in demo_tasks]
    linked = next(t for t in demo_tasks if t.depends_on)
    line = outline(linked)
    assert line.key == linked.key and line.parent == linked.parent
    assert line.depends_on == tuple((r.key, r.type.value) for r in linked.depends_on)


def test_defaults_not_given_are_made_anew_for_each_task() -> None:
    tasks = PackedTasks([PlanTask(key="a-1", title="one")])
    first, second = tasks[0], tasks[0]
    first.success_criteria.append("it works")
    first.notes["x"] = "y"
    assert second.success_criteria == [] and second.notes == {}
    assert tasks[0].success_criteria == [] and tasks[0].model_fields_set == {"key", "title"}


def test_a_value_not_given_is_kept_when_a_validator_may_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a task whose `phase` was set without being given, as a model validator could
    task = PlanTask.model_construct(_fields_set={"key", "title"}, key="a-1", title="t", phase=7)
    monkeypatch.setattr(packed, "_SET_UNGIVEN", True)
    rebuilt = PackedTasks([task])[0]
    assert rebuilt.phase == 7 and rebuilt.model_fields_set == {"key", "title"}


def test_tasks_rebuilt_from_one_packed_task_share_nothing_that_can_change() -> None:
    task = PlanTask(
        key="a-1",
        title="one",
        tags=["x"],
        extra={"nested": {"n": 1}},
        depends_on=["b-1"],
        command={"argv": ["make"]},
    )
    tasks = PackedTasks([task])
    first = tasks[0]
    first.tags.append("y")
    first.extra["nested"]["n"] = 2
    first.depends_on[0].key = "c-1"
    assert first.command is not None
    first.command.argv.append("test")
    again = tasks[0]
    assert again.tags == ["x"] and again.extra == {"nested": {"n": 1}}
    assert again.depends_on[0].key == "b-1" and again.command is not None
    assert again.command.argv == ["make"]
    assert again == task and again.model_fields_set == task.model_fields_set

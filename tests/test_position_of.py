"""`position_of` agrees with `list_tasks` for every sort and filter."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.enums import Priority, TaskStatus
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import TaskFilter, open_orchestrator
from orchestrator_tui.services.queries import SORTS


@pytest.fixture
def orch(tmp_path):
    o = open_orchestrator(str(tmp_path / "p.db"), "tester")
    titles = ["delta", "Alpha", "charlie", "bravo", "alpha two", "echo"]
    prios = [Priority.LOW, Priority.HIGH, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL, None]
    for i, (title, prio) in enumerate(zip(titles, prios, strict=True)):
        o.tasks.create(
            TaskSpec(
                key=f"K-{i}",
                title=title,
                priority=prio or Priority.MEDIUM,
                assignee=None if i % 2 else f"who{i % 3}",
                progress=(i * 37) % 100,
            )
        )
    o.tasks.start("K-2")
    yield o
    o.close()


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_position_matches_list_order(orch, sort, descending):
    for flt in (None, TaskFilter(text="al"), TaskFilter(statuses=frozenset({TaskStatus.PENDING}))):
        keys = [r.key for r in orch.queries.list_tasks(flt, sort=sort, descending=descending)]
        for index, key in enumerate(keys):
            assert orch.queries.position_of(key, flt, sort, descending) == index


def test_position_of_hidden_task_is_none(orch):
    assert orch.queries.position_of("K-0", TaskFilter(text="alpha")) is None
    assert orch.queries.position_of("nope") is None

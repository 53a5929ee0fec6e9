"""`ListRow`, the task list's line without pydantic (the TUI's first page), is a
`TaskRow` in all but its base class: the same fields, the same rules' answers."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from typing import Any

from orchestrator_tui.domain.enums import EventKind, Priority, Readiness, TaskStatus
from orchestrator_tui.domain.errors import DependenciesUnfinished
from orchestrator_tui.domain.list_row import ListRow, RowRules
from orchestrator_tui.domain.models import TaskRow
from orchestrator_tui.domain.transitions import Current, Intent, plan_move


def test_list_row_has_the_fields_of_task_row_in_order_with_their_defaults() -> None:
    fields = dataclasses.fields(ListRow)
    assert [f.name for f in fields] == list(TaskRow.model_fields)
    for f in fields:
        model_field = TaskRow.model_fields[f.name]
        if model_field.is_required():
            assert f.default is dataclasses.MISSING, f.name
        else:
            assert f.default == model_field.default, f.name


def test_list_row_answers_every_rule_as_task_row_does() -> None:
    rules = [name for name in vars(RowRules) if not name.startswith("_")]
    assert {"can_run", "run_refusal", "change_refusal", "can_move_to"} <= set(rules)
    for status, unfinished, command, leased, asking in itertools.product(
        TaskStatus, (0, 2), (False, True), (False, True), (0, 1)
    ):
        values = dict(
            id=1,
            key="K-1",
            title="t",
            status=status,
            priority=Priority.HIGH,
            assignee=None,
            progress=0,
            phase=1,
            estimated_hours=None,
            requires_approval=False,
            unfinished_blockers=unfinished,
            readiness=Readiness.READY,
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            open_questions=asking,
            has_command=command,
            leased=leased,
        )
        light, model = ListRow(**values), TaskRow(**values)
        for name in rules:
            mine, theirs = getattr(light, name), getattr(model, name)
            if callable(mine):
                for target in TaskStatus:
                    assert mine(target) == theirs(target), (name, status, target)
            else:
                assert mine == theirs, (name, values)


def _row(**changes: Any) -> ListRow:
    """A pending line of no blockers, with `changes`."""
    row = ListRow(
        id=1,
        key="K-1",
        title="t",
        status=TaskStatus.PENDING,
        priority=Priority.LOW,
        assignee=None,
        progress=0,
        phase=1,
        estimated_hours=None,
        requires_approval=False,
        unfinished_blockers=0,
        readiness=Readiness.READY,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return dataclasses.replace(row, **changes)


def test_list_row_copies_with_changes_as_task_row_does() -> None:
    row = _row()
    moved = row.model_copy(update={"status": TaskStatus.IN_PROGRESS})
    assert moved.status is TaskStatus.IN_PROGRESS and row.status is TaskStatus.PENDING
    assert dataclasses.replace(moved, status=TaskStatus.PENDING) == row


def test_a_row_needs_force_exactly_where_the_planner_asks_for_it() -> None:
    """The TUI asks for a reason before a status key (`needs_force`) exactly when the
    planner would refuse the plain move for its open blockers."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for status, target, blockers in itertools.product(TaskStatus, TaskStatus, ((), ("A", "B"))):
        row = _row(status=status, unfinished_blockers=len(blockers))
        if not row.can_move_to(target):
            continue
        current = Current(id=1, key="K-1", status=status, unfinished_blockers=blockers)
        try:
            plan_move(current, Intent(target), now)
            refused = False
        except DependenciesUnfinished:
            refused = True
        assert row.needs_force(target) == refused, (status, target, blockers)
        forced = plan_move(current, Intent(target, force=True, reason="why"), now)
        assert (forced.events[0].kind is EventKind.FORCED_START) == refused

"""Every way a status changes goes through one planner and one writer: the same
move writes the same row and the same events whichever service makes it."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from orchestrator_tui.domain.enums import ApprovalDecision, TaskStatus
from orchestrator_tui.domain.errors import Conflict, InvalidTransition, OrchestratorError
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.domain.state_machine import TRANSITIONS
from orchestrator_tui.domain.transitions import Intent, Via
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.moves import EventBatch
from orchestrator_tui.services.run_batch import move_tasks
from orchestrator_tui.store.tables import Approval, Task

from .support import add, events_of, open_db, status_of, task_row

S = TaskStatus
T = Task.__table__.c
#: Columns a move may write; ids, keys and clocks aside, they must agree.
COMPARED = ("status", "progress", "retry_after", "lease_owner", "version")


def _set_status(orch: Orchestrator, key: str, status: S, **extra: Any) -> None:
    with orch.db.write() as conn:
        conn.execute(update(Task.__table__).where(T.key == key).values(status=status, **extra))


def _world(tmp_path: Path, name: str, status: S, approval: bool) -> Orchestrator:
    """A task K in `status`, with a dependent D waiting only for it."""
    orch = open_db(tmp_path / f"{name}.db")
    add(orch, "K", requires_approval=approval, command=CommandSpec(argv=["true"]))
    add(orch, "D", deps=["K"])
    _set_status(orch, "K", status, progress=100 if status is S.AWAITING_APPROVAL else 40)
    return orch


def _outcome(orch: Orchestrator) -> tuple[Any, ...]:
    row = task_row(orch, "K")
    events = [(e.kind, e.task_id == row.id, _plain(e.data)) for e in events_of(orch)[2:]]
    return tuple(getattr(row, c) for c in COMPARED), events


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("reason",)}


def _by_person(orch: Orchestrator, target: S) -> None:
    orch.tasks.transition("K", target)


def _by_batch(orch: Orchestrator, target: S) -> None:
    with orch.db.write() as conn:
        row = conn.execute(select(Task.__table__).where(T.key == "K")).one()
        events = EventBatch(orch.ctx, orch.ctx.now())
        move_tasks(conn, events, [(row, Intent(target, via=Via.FINISH))])
        events.write(conn)


@pytest.mark.parametrize("approval", [False, True])
@pytest.mark.parametrize("target", [S.DONE, S.FAILED, S.PENDING, S.BLOCKED])
def test_runner_batch_and_person_write_the_same_move(
    tmp_path: Path, target: S, approval: bool
) -> None:
    """From in_progress (the only status a runner finishes from), for every target
    and approval setting: identical rows and identical event sequences."""
    outcomes = []
    for name, way in (("person", _by_person), ("batch", _by_batch)):
        orch = _world(tmp_path, name, S.IN_PROGRESS, approval)
        way(orch, target)
        outcomes.append(_outcome(orch))
        orch.close()
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    ("current", "target", "approval", "forced"),
    [
        (c, t, a, f)
        for c, t, a, f in itertools.product(S, S, (False, True), (False, True))
        if c is not t
    ],
)
def test_every_combination_is_planned_once(
    tmp_path: Path, current: S, target: S, approval: bool, forced: bool
) -> None:
    """The single change path either refuses (writing nothing) or writes exactly
    the state machine's move; forcing matters only for starts with open blockers."""
    orch = open_db(tmp_path / "x.db")
    add(orch, "B")
    add(orch, "K", requires_approval=approval, deps=["B"] if forced else [])
    _set_status(orch, "K", current)
    before = len(events_of(orch))
    reason = "urgent" if forced else None
    try:
        orch.tasks.transition("K", target, force=forced, reason=reason)
    except OrchestratorError:
        assert status_of(orch, "K") is current
        assert len(events_of(orch)) == before
        allowed = target in TRANSITIONS[current] and not (
            current is S.AWAITING_APPROVAL and target in (S.DONE, S.FAILED)
        )
        assert not allowed or (target is S.IN_PROGRESS and forced is False)
        return
    expected = target
    if target is S.DONE and approval and current is S.IN_PROGRESS:
        expected = S.AWAITING_APPROVAL
    assert status_of(orch, "K") is expected
    kinds = [e.kind for e in events_of(orch)[before:]]
    first = "forced_start" if forced and target is S.IN_PROGRESS else "status_changed"
    assert kinds[0] == first
    assert ("approval_requested" in kinds) == (expected is S.AWAITING_APPROVAL)
    orch.close()


@pytest.mark.parametrize(
    ("decision", "target", "event"),
    [
        (ApprovalDecision.APPROVED, S.DONE, "approved"),
        (ApprovalDecision.REJECTED, S.FAILED, "rejected"),
        (ApprovalDecision.CHANGES_REQUESTED, S.PENDING, "changes_requested"),
    ],
)
def test_each_decision_moves_once_with_its_audit_row(
    tmp_path: Path, decision: ApprovalDecision, target: S, event: str
) -> None:
    orch = _world(tmp_path, "x", S.AWAITING_APPROVAL, True)
    bob = orch.as_actor("bob")
    if decision is ApprovalDecision.APPROVED:
        bob.approvals.approve("K", "fine")
    elif decision is ApprovalDecision.REJECTED:
        bob.approvals.reject("K", "wrong")
    else:
        bob.approvals.request_changes("K", "add tests")
    assert status_of(orch, "K") is target
    if target is S.PENDING:  # sent back: its progress starts over
        assert task_row(orch, "K").progress == 0
    kinds = [e.kind for e in events_of(orch)[2:]]
    assert kinds[0] == event
    assert ("unblocked" in kinds) == (target is S.DONE)
    with orch.db.read() as conn:
        rows = conn.execute(select(Approval.__table__)).all()
    assert [(r.decision, r.actor) for r in rows] == [(decision.value, "bob")]
    # a second decision on the same task is refused, naming the first
    with pytest.raises(Conflict, match=f"already {decision.value} by bob"):
        orch.as_actor("carol").approvals.reject("K", "late")
    orch.close()


def test_request_changes_needs_a_comment_and_an_awaiting_task(tmp_path: Path) -> None:
    orch = _world(tmp_path, "x", S.AWAITING_APPROVAL, True)
    with pytest.raises(OrchestratorError, match="needs a comment"):
        orch.approvals.request_changes("K", "  ")
    _set_status(orch, "K", S.DONE)
    with pytest.raises(InvalidTransition, match="not awaiting approval"):
        orch.approvals.request_changes("K", "more")
    orch.close()


def test_reopening_a_done_task_resets_its_progress(tmp_path: Path) -> None:
    orch = open_db(tmp_path / "x.db")
    add(orch, "K")
    orch.tasks.start("K")
    orch.tasks.complete("K")
    assert task_row(orch, "K").progress == 100
    orch.tasks.reset("K")
    row = task_row(orch, "K")
    assert (row.status, row.progress, row.completed_at) == ("pending", 0, None)
    orch.tasks.undo_last()  # back to done: complete again
    assert task_row(orch, "K").progress == 100
    orch.close()


def _plan(tmp_path: Path, status: str) -> Path:
    path = tmp_path / "plan.yaml"
    tasks = [
        {"key": "K", "title": "k", "status": status},
        {"key": "D", "title": "d", "depends_on": ["K"]},
    ]
    path.write_text(yaml.safe_dump({"name": "p", "tasks": tasks}), encoding="utf-8")
    return path


def test_an_imported_status_change_records_what_a_person_change_records(tmp_path: Path) -> None:
    orch = open_db(tmp_path / "x.db")
    orch.plans.load_file(_plan(tmp_path, "pending"))
    before = len(events_of(orch))
    result = orch.plans.load_file(_plan(tmp_path, "done"))
    assert result.changed == 1
    assert status_of(orch, "K") is S.DONE
    new = events_of(orch)[before:]
    by_kind = {e.kind: e for e in new}
    assert by_kind["status_changed"].data["from"] == "pending"
    assert by_kind["status_changed"].data["to"] == "done"
    assert "plan.yaml" in by_kind["status_changed"].data["origin"]
    assert by_kind["unblocked"].task_id == task_row(orch, "D").id
    assert task_row(orch, "K").progress == 100
    orch.close()


def test_an_import_never_changes_a_task_a_runner_holds(tmp_path: Path) -> None:
    orch = open_db(tmp_path / "x.db")
    orch.plans.load_file(_plan(tmp_path, "pending"))
    _set_status(orch, "K", S.IN_PROGRESS, lease_owner="runner-1")
    before = len(events_of(orch))
    with pytest.raises(Conflict, match="being run by a runner"):
        orch.plans.load_file(_plan(tmp_path, "done"))
    assert status_of(orch, "K") is S.IN_PROGRESS
    assert len(events_of(orch)) == before
    orch.close()


@pytest.mark.parametrize("status", [s for s in S if s is not S.BLOCKED])
def test_an_answer_moves_only_a_blocked_task_and_only_to_pending(status: S) -> None:
    from datetime import UTC, datetime

    from orchestrator_tui.domain.transitions import Current, plan_move

    now = datetime.now(UTC)
    answer = Intent(S.PENDING, via=Via.ANSWER, reason="question 1 answered", questions=(1,))
    with pytest.raises(InvalidTransition, match="waits for no answer"):
        plan_move(Current(id=1, key="K", status=status), answer, now)
    if status is not S.PENDING:
        with pytest.raises(InvalidTransition):
            elsewhere = replace(answer, target=status)
            plan_move(Current(id=1, key="K", status=S.BLOCKED), elsewhere, now)
    move = plan_move(Current(id=1, key="K", status=S.BLOCKED), answer, now)
    assert (move.target, move.events[0].data["questions"]) == (S.PENDING, [1])
    with pytest.raises(ValueError):  # a run ending on questions blocks, nothing else
        plan_move(
            Current(id=1, key="K", status=S.IN_PROGRESS),
            Intent(S.DONE, via=Via.FINISH, questions=(1,)),
            now,
        )


def test_every_move_records_one_of_the_move_events() -> None:
    from datetime import UTC, datetime

    from orchestrator_tui.domain.transitions import MOVE_EVENTS, Current, plan_move

    now = datetime.now(UTC)
    intents = [
        Intent(S.DONE),
        Intent(S.PENDING, via=Via.UNDO, reverts=1),
        Intent(S.IN_PROGRESS, force=True, reason="urgent"),
        Intent(S.DONE, via=Via.DECISION, decision=ApprovalDecision.APPROVED),
        Intent(S.FAILED, via=Via.DECISION, decision=ApprovalDecision.REJECTED, reason="no"),
        Intent(S.PENDING, via=Via.DECISION, decision=ApprovalDecision.CHANGES_REQUESTED),
    ]
    for intent in intents:
        status = S.AWAITING_APPROVAL if intent.via is Via.DECISION else S.IN_PROGRESS
        if intent.force:
            status = S.PENDING
        current = Current(id=1, key="K", status=status, unfinished_blockers=("B",))
        assert plan_move(current, intent, now).events[0].kind in MOVE_EVENTS


def test_a_move_unblocks_dependents_exactly_when_its_task_stops_holding_them_back() -> None:
    """`Move.unblocks` (the writer then looks for tasks made ready) is the blocker
    rule: the task held its dependents back before the move and no longer does."""
    from datetime import UTC, datetime

    from orchestrator_tui.domain.enums import DependencyType
    from orchestrator_tui.domain.rules import blocker_open
    from orchestrator_tui.domain.transitions import Current, plan_move

    now = datetime.now(UTC)
    for status, target in itertools.product(S, S):
        if status is target:
            continue
        move = plan_move(Current(id=1, key="K", status=status), Intent(target, via=Via.UNDO), now)
        freed = blocker_open(DependencyType.BLOCKS, status) and not blocker_open(
            DependencyType.BLOCKS, target
        )
        assert move.unblocks == freed, (status, target)


def test_a_move_to_the_status_a_task_is_in_is_refused_in_one_sentence_every_way() -> None:
    """A person's change, an import and an undo all say `K is done already`."""
    from datetime import UTC, datetime

    from orchestrator_tui.domain.transitions import Current, plan_move

    now = datetime.now(UTC)
    for status, via in itertools.product(S, (Via.CHANGE, Via.IMPORT, Via.UNDO)):
        with pytest.raises(InvalidTransition) as refused:
            plan_move(Current(id=1, key="K", status=status), Intent(status, via=via), now)
        assert str(refused.value) == f"K is {status.value.replace('_', ' ')} already", via

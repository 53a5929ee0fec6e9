"""Undo of a person's own moves, decisions included: what is reversed, what is
refused and why, and that a refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.errors import Conflict
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.plans import parse_plan

from .support import add, events_of, kinds, status_of, task_row

S = TaskStatus


def submitted(orch: Orchestrator, key: str, **fields: object) -> None:
    """A task awaiting approval, worked on by bob."""
    add(orch, key, requires_approval=True, **fields)
    bob = orch.as_actor("bob")
    bob.tasks.start(key)
    bob.tasks.complete(key)


def test_last_undo_after_a_rejection_reverses_the_rejection(orch: Orchestrator) -> None:
    submitted(orch, "A")
    orch.approvals.reject("A", "no tests")
    assert orch.tasks.undo_last().status is S.AWAITING_APPROVAL
    last = events_of(orch, "A")[-1]
    assert last.kind == EventKind.STATUS_REVERTED
    assert (last.data["from"], last.data["to"]) == ("failed", "awaiting_approval")
    assert orch.as_actor("carol").approvals.approve("A").status is S.DONE


@pytest.mark.parametrize(
    ("decide", "after"),
    [
        (lambda o: o.approvals.approve("A"), S.DONE),
        (lambda o: o.approvals.reject("A", "no"), S.FAILED),
        (lambda o: o.approvals.request_changes("A", "more"), S.PENDING),
    ],
)
def test_each_decision_can_be_undone_by_its_id(orch: Orchestrator, decide, after) -> None:
    submitted(orch, "A")
    assert decide(orch).status is after
    event_id = orch.undo.last_own_move("A")
    plan = orch.undo.preview(event_id)
    assert plan.refusal is None
    assert (plan.key, plan.move.after, plan.move.before) == ("A", after, S.AWAITING_APPROVAL)
    assert orch.undo.undo(event_id).status is S.AWAITING_APPROVAL
    assert "already undone" in orch.undo.preview(event_id).refusal


def test_refused_when_someone_moved_the_task_on(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.tasks.start("A")
    event_id = orch.undo.last_own_move("A")
    orch.as_actor("bob").tasks.fail("A")
    refusal = orch.undo.preview(event_id).refusal
    assert refusal is not None and "moved on by bob" in refusal and "failed now" in refusal
    before = events_of(orch, "A")
    with pytest.raises(Conflict, match="moved on by bob"):
        orch.undo.undo(event_id)
    assert events_of(orch, "A") == before and status_of(orch, "A") is S.FAILED


def test_refused_for_someone_elses_move(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.as_actor("bob").tasks.start("A")
    event_id = orch.as_actor("bob").undo.last_own_move("A")
    assert orch.undo.last_own_move("A") is None
    assert "made by bob, not by alice" in orch.undo.preview(event_id).refusal
    with pytest.raises(Conflict):
        orch.undo.undo(event_id)
    assert status_of(orch, "A") is S.IN_PROGRESS


def test_finishing_cannot_be_undone_once_a_dependent_started(orch: Orchestrator) -> None:
    submitted(orch, "A")
    add(orch, "B", deps=["A"])
    orch.approvals.approve("A")
    event_id = orch.undo.last_own_move("A")
    assert orch.undo.preview(event_id).refusal is None
    orch.as_actor("bob").tasks.start("B")
    refusal = orch.undo.preview(event_id).refusal
    assert refusal is not None and refusal.startswith("B started after A was done")
    with pytest.raises(Conflict):
        orch.undo.undo(event_id)
    assert status_of(orch, "A") is S.DONE


def test_undo_goes_back_through_decisions_and_changes_in_order(orch: Orchestrator) -> None:
    submitted(orch, "A")
    add(orch, "B")
    orch.tasks.start("B")
    orch.approvals.reject("A", "no")
    assert orch.tasks.undo_last().key == "A"
    assert orch.tasks.undo_last().key == "B"
    assert (status_of(orch, "A"), status_of(orch, "B")) == (S.AWAITING_APPROVAL, S.PENDING)


def test_undoing_done_gives_back_the_progress_the_task_had(orch: Orchestrator) -> None:
    add(orch, "A", status=S.IN_PROGRESS, progress=30)
    orch.tasks.complete("A")
    assert task_row(orch, "A").progress == 100
    assert orch.tasks.undo_last().status is S.IN_PROGRESS
    row = task_row(orch, "A")
    assert (row.status, row.progress, row.completed_at) == ("in_progress", 30, None)


def test_undoing_an_approval_gives_back_the_progress_the_task_had(orch: Orchestrator) -> None:
    add(orch, "A", status=S.AWAITING_APPROVAL, progress=80, requires_approval=True)
    orch.approvals.approve("A")
    assert orch.tasks.undo_last().status is S.AWAITING_APPROVAL
    assert task_row(orch, "A").progress == 80


def test_undoing_a_reset_gives_back_the_progress_it_cleared(orch: Orchestrator) -> None:
    add(orch, "A", status=S.IN_PROGRESS, progress=45)
    orch.tasks.reset("A")
    assert task_row(orch, "A").progress == 0
    orch.tasks.undo_last()
    assert task_row(orch, "A").progress == 45


def test_undoing_an_approval_of_finished_work_keeps_it_at_100(orch: Orchestrator) -> None:
    add(orch, "A", status=S.AWAITING_APPROVAL, progress=100, requires_approval=True)
    orch.approvals.approve("A")
    orch.tasks.undo_last()
    assert task_row(orch, "A").progress == 100


def test_undoing_a_decision_keeps_a_loaded_task_waiting_since_its_plan_time(
    orch: Orchestrator,
) -> None:
    """A task loaded awaiting approval keeps its place in the inbox through
    a decision and its undo: "since" is when the plan says it was submitted."""
    plan = parse_plan(
        {
            "name": "p",
            "tasks": [
                {"key": "OLD", "title": "old", "status": "awaiting_approval", "updated": "-3h"},
                {"key": "NEW", "title": "new", "status": "awaiting_approval", "updated": "-1h"},
            ],
        },
        "plan.yaml",
    )
    orch.plans.load(plan, "plan.yaml")
    before = [(e.key, e.since) for e in orch.questions.inbox()]
    assert [k for k, _ in before] == ["OLD", "NEW"]
    assert before[0][1] == task_row(orch, "OLD").updated_at
    orch.approvals.reject("OLD", "no")
    orch.tasks.undo_last()
    after = [(e.key, e.since) for e in orch.questions.inbox()]
    assert after == before
    assert datetime.now(UTC) - after[0][1] > timedelta(hours=2, minutes=59)


def test_whoever_loads_a_task_awaiting_approval_may_still_approve_it(orch: Orchestrator) -> None:
    plan = parse_plan(
        {"name": "p", "tasks": [{"key": "A", "title": "a", "status": "awaiting_approval"}]}, "p"
    )
    orch.plans.load(plan, "plan.yaml")
    assert kinds(orch, "A")[-1] == EventKind.APPROVAL_REQUESTED
    assert orch.approvals.approve("A").status is S.DONE


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "select-then-update"])
def test_undoing_a_cancel_reopens_exactly_the_questions_it_closed(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    # Without UPDATE ... RETURNING (SQLite before 3.35) the questions are read, then written.
    dialect = orch.ctx.db.engine.dialect
    monkeypatch.setattr(dialect, "update_returning", returning and dialect.update_returning)
    add(orch, "A")
    orch.tasks.start("A")
    bot = orch.as_actor("bot")
    earlier = bot.questions.ask("A", "which branch?")
    orch.tasks.transition("A", S.FAILED)  # closes `earlier` for good
    orch.tasks.reset("A")
    orch.tasks.start("A")
    answered = bot.questions.ask("A", "first?")
    orch.questions.answer("A", "yes", answered.id)
    first = bot.questions.ask("A", "which database?")
    second = bot.questions.ask("A", "which port?")
    orch.tasks.transition("A", S.CANCELLED)
    assert orch.questions.open_questions() == []

    assert orch.tasks.undo_last().status is S.IN_PROGRESS

    assert [q.id for q in orch.questions.open_questions()] == [first.id, second.id]
    assert [e.question_id for e in orch.questions.inbox()] == [first.id, second.id]
    assert orch.queries.list_tasks()[0].open_questions == 2
    assert orch.questions.get(earlier.id).is_closed  # closed by the failure, not the cancel
    assert orch.questions.get(answered.id).answer == "yes"
    reopened = [e for e in events_of(orch, "A") if e.kind == EventKind.QUESTION_REOPENED.value]
    said = "reopened: A is in progress again"
    assert [(e.actor, e.data) for e in reopened] == [
        ("alice", {"question": q.id, "message": f"question {q.id} {said}"}) for q in (first, second)
    ]
    assert orch.questions.answer("A", "PostgreSQL", first.id).answer == "PostgreSQL"
    # Cancelled again, and undone again: the same questions close and reopen.
    orch.tasks.transition("A", S.CANCELLED)
    assert orch.questions.get(second.id).is_closed
    orch.tasks.undo_last()
    assert [q.id for q in orch.questions.open_questions()] == [second.id]


def test_undoing_a_move_that_closed_no_question_reopens_none(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.tasks.start("A")
    asked = orch.as_actor("bot").questions.ask("A", "which database?")
    orch.tasks.transition("A", S.FAILED)
    orch.tasks.transition("A", S.CANCELLED)  # its question was closed already
    assert orch.tasks.undo_last().status is S.FAILED
    assert orch.questions.get(asked.id).is_closed
    assert EventKind.QUESTION_REOPENED.value not in kinds(orch, "A")


@pytest.mark.parametrize(
    "stop",
    [lambda o: o.tasks.fail("A"), lambda o: o.runs.cancel("A", "too slow")],
    ids=["fail", "cancel-run"],
)
def test_a_move_that_stopped_a_runners_run_is_not_undone(orch: Orchestrator, stop) -> None:
    """Undoing it would leave the task in progress with nothing running (its
    process is gone): refused, saying how to run it again, and nothing is written."""
    add(orch, "A", command=CommandSpec(argv=["true"]))
    (claim,) = orch.as_actor("runner").runs.claim("runner/1", 30, key="A")
    stop(orch)
    event_id = orch.undo.last_own_move("A")
    refusal = orch.undo.preview(event_id).refusal
    assert refusal == (
        f"A's status change stopped its run {claim.run_id}, which undoing cannot start "
        "again: reset A to pending to run it again"
    )
    before = events_of(orch, "A")
    with pytest.raises(Conflict, match="stopped its run"):
        orch.tasks.undo_last()
    assert events_of(orch, "A") == before and status_of(orch, "A") is S.FAILED


def test_a_move_of_a_task_a_person_works_on_is_undone(orch: Orchestrator) -> None:
    add(orch, "A", command=CommandSpec(argv=["true"]))
    orch.tasks.start("A")  # working on it, not running it
    orch.tasks.fail("A")
    assert orch.tasks.undo_last().status is S.IN_PROGRESS

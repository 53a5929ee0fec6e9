"""Every pair of our eight statuses through the service, forced starts,
approval gates and undo, checked against what the database holds."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import EventKind, Readiness, TaskStatus
from orchestrator_tui.domain.errors import (
    Conflict,
    DependenciesUnfinished,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from orchestrator_tui.domain.rules import readiness
from orchestrator_tui.domain.state_machine import TRANSITIONS
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import Approval

from .support import add, count_rows, events_of, open_db, status_of, task_row

S = TaskStatus

#: Written out independently of TRANSITIONS: what a person may do from each status
#: through `orch.tasks.transition`. awaiting_approval -> done/failed goes through
#: approve / reject only.
ALLOWED = {
    S.PENDING: {S.IN_PROGRESS, S.BLOCKED, S.DEFERRED, S.CANCELLED},
    S.IN_PROGRESS: {S.DONE, S.AWAITING_APPROVAL, S.FAILED, S.BLOCKED, S.PENDING, S.CANCELLED},
    S.AWAITING_APPROVAL: {S.PENDING, S.CANCELLED},
    S.BLOCKED: {S.PENDING, S.IN_PROGRESS, S.CANCELLED},
    S.DEFERRED: {S.PENDING, S.CANCELLED},
    S.FAILED: {S.PENDING, S.IN_PROGRESS, S.CANCELLED},
    S.DONE: {S.PENDING},
    S.CANCELLED: {S.PENDING},
}

PAIRS = list(itertools.product(S, S))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestrator]:
    o = open_db(tmp_path_factory.mktemp("pairs") / "pairs.db")
    yield o
    o.close()


def test_the_written_table_matches_the_domain_table() -> None:
    for current in S:
        service_only = {S.DONE, S.FAILED} if current is S.AWAITING_APPROVAL else set()
        assert set(TRANSITIONS[current]) == ALLOWED[current] | service_only


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair(shared: Orchestrator, current: S, target: S) -> None:
    key = f"P-{current}-{target}"
    add(shared, key, status=current)
    before = task_row(shared, key)
    events_before = events_of(shared, key)
    if target in ALLOWED[current]:
        detail = shared.tasks.transition(key, target, reason="because")
        after = task_row(shared, key)
        assert detail.status is target
        assert after.status == target.value
        assert after.version == before.version + 1
        new = events_of(shared, key)[len(events_before) :]
        assert new[0].kind == EventKind.STATUS_CHANGED
        change = new[0]
        assert change.actor == "alice"
        assert change.data["from"] == current.value
        assert change.data["to"] == target.value
        assert change.data["reason"] == "because"
        if target is S.DONE:
            assert after.completed_at is not None and after.progress == 100
        if current is S.DONE:
            assert after.completed_at is None
        if target is S.AWAITING_APPROVAL:
            assert [e.kind for e in new] == ["status_changed", "approval_requested"]
        else:
            assert len(new) == 1
    else:
        with pytest.raises(InvalidTransition) as info:
            shared.tasks.transition(key, target)
        assert key in str(info.value)
        after = task_row(shared, key)
        assert after.status == current.value
        assert after.version == before.version
        assert after.updated_at == before.updated_at
        assert events_of(shared, key) == events_before


def test_unknown_task_is_not_found_and_writes_nothing(orch: Orchestrator) -> None:
    add(orch, "build-docs")
    before = events_of(orch)
    with pytest.raises(NotFound, match="no task 'build-doc'; did you mean build-docs"):
        orch.tasks.start("build-doc")
    assert events_of(orch) == before


def test_a_key_typed_in_the_wrong_case_is_suggested(orch: Orchestrator) -> None:
    """The one key it is but for case is named alone; a miss of another number
    still offers the keys spelled near it, whatever their case."""
    add(orch, "PAY-1")
    add(orch, "PAY-10")
    with pytest.raises(NotFound) as case_only:
        orch.tasks.start("pay-1")
    assert str(case_only.value) == "no task 'pay-1'; did you mean PAY-1?"
    with pytest.raises(NotFound) as other_number:
        orch.tasks.start("pay-9")
    assert str(other_number.value) == "no task 'pay-9'; did you mean PAY-1, PAY-10?"


def test_readiness_is_derived_from_status_and_blockers() -> None:
    assert readiness(S.PENDING, 0) is Readiness.READY
    assert readiness(S.PENDING, 2) is Readiness.WAITING
    assert readiness(S.IN_PROGRESS, 1) is Readiness.ACTIVE
    assert readiness(S.AWAITING_APPROVAL, 0) is Readiness.ACTIVE
    for s in (S.BLOCKED, S.DEFERRED, S.FAILED):
        assert readiness(s, 0) is Readiness.STOPPED
    for s in (S.DONE, S.CANCELLED):
        assert readiness(s, 3) is Readiness.CLOSED


# -- forced start ---------------------------------------------------------------


def test_start_with_unfinished_dependencies(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "B", status=S.DONE)
    add(orch, "C", deps=["A", "B"])
    before = events_of(orch, "C")

    with pytest.raises(DependenciesUnfinished) as info:
        orch.tasks.start("C")
    assert info.value.unfinished == ["A"]  # B is done, so only A is named
    with pytest.raises(ValidationFailed, match="reason"):
        orch.tasks.start("C", force=True)
    with pytest.raises(ValidationFailed, match="reason"):
        orch.tasks.start("C", force=True, reason="   ")
    assert status_of(orch, "C") is S.PENDING
    assert events_of(orch, "C") == before

    bob = orch.as_actor("bob")
    detail = bob.tasks.start("C", force=True, reason="hotfix needed now")
    assert detail.status is S.IN_PROGRESS
    forced = events_of(orch, "C")[-1]
    assert forced.kind == EventKind.FORCED_START
    assert forced.actor == "bob"
    assert forced.data["reason"] == "hotfix needed now"
    assert forced.data["unfinished"] == ["A"]
    assert (forced.data["from"], forced.data["to"]) == ("pending", "in_progress")


def test_informational_links_do_not_gate(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "A2")
    add(orch, "B", deps=[{"key": "A", "type": "enables"}, {"key": "A2", "type": "enhances"}])
    assert orch.queries.get_task("B").readiness is Readiness.READY
    assert orch.tasks.start("B").status is S.IN_PROGRESS
    assert events_of(orch, "B")[-1].kind == EventKind.STATUS_CHANGED


def test_force_without_need_is_a_plain_start(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.tasks.start("A", force=True)
    assert events_of(orch, "A")[-1].kind == EventKind.STATUS_CHANGED


def test_done_unblocks_dependents(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "B")
    add(orch, "C", deps=["A", "B"])
    add(orch, "D", deps=["A"])
    for key in ("A", "B"):
        orch.tasks.start(key)
    orch.tasks.complete("A")
    unblocked = [e for e in events_of(orch) if e.kind == EventKind.UNBLOCKED]
    assert [(e.task_id, e.data["by"]) for e in unblocked] == [(task_row(orch, "D").id, "A")]
    orch.tasks.complete("B")
    unblocked = [e for e in events_of(orch, "C") if e.kind == EventKind.UNBLOCKED]
    assert len(unblocked) == 1 and unblocked[0].data["by"] == "B"
    assert orch.queries.get_task("C").readiness is Readiness.READY


# -- approvals --------------------------------------------------------------------


def _submitted(orch: Orchestrator, key: str, worker: str = "worker") -> None:
    add(orch, key, requires_approval=True)
    w = orch.as_actor(worker)
    w.tasks.start(key)
    assert w.tasks.complete(key).status is S.AWAITING_APPROVAL


def test_done_on_approval_task_waits(orch: Orchestrator) -> None:
    _submitted(orch, "A")
    assert status_of(orch, "A") is S.AWAITING_APPROVAL
    assert [e.kind for e in events_of(orch, "A")][-2:] == ["status_changed", "approval_requested"]
    assert events_of(orch, "A")[-2].data["to"] == "awaiting_approval"
    with pytest.raises(InvalidTransition, match="approve or reject"):
        orch.tasks.complete("A")
    with pytest.raises(InvalidTransition, match="approve or reject"):
        orch.tasks.fail("A")
    assert [w.key for w in orch.queries.waiting_approvals()] == ["A"]


def test_approve(orch: Orchestrator) -> None:
    _submitted(orch, "A")
    add(orch, "B", deps=["A"])
    detail = orch.as_actor("reviewer").approvals.approve("A", "looks good")
    assert detail.status is S.DONE
    row = task_row(orch, "A")
    assert row.status == "done" and row.completed_at is not None
    [approval] = orch.queries.approvals_for("A")
    assert (approval.decision, approval.actor, approval.comment) == (
        "approved",
        "reviewer",
        "looks good",
    )
    last = events_of(orch, "A")[-1]
    assert (last.kind, last.actor) == ("approved", "reviewer")
    assert [e.kind for e in events_of(orch, "B")][-1] == EventKind.UNBLOCKED
    assert orch.queries.waiting_approvals() == []


def test_reject_needs_a_comment(orch: Orchestrator) -> None:
    _submitted(orch, "A")
    before = events_of(orch, "A")
    reviewer = orch.as_actor("reviewer")
    for comment in ("", "   "):
        with pytest.raises(ValidationFailed, match="comment"):
            reviewer.approvals.reject("A", comment)
    assert events_of(orch, "A") == before
    assert count_rows(orch, Approval) == 0
    assert reviewer.approvals.reject("A", "  tests fail  ").status is S.FAILED
    [approval] = orch.queries.approvals_for("A")
    assert (approval.decision, approval.comment) == ("rejected", "tests fail")
    assert events_of(orch, "A")[-1].data["comment"] == "tests fail"


@pytest.mark.parametrize("who", ["worker", "starter", "submitter"])
def test_cannot_approve_own_work(orch: Orchestrator, who: str) -> None:
    add(orch, "A", requires_approval=True)
    orch.as_actor("starter" if who != "worker" else "worker").tasks.start("A")
    orch.as_actor("submitter" if who != "worker" else "worker").tasks.complete("A")
    before = events_of(orch, "A")
    with pytest.raises(PermissionDenied, match=f"{who} worked on A"):
        orch.as_actor(who).approvals.approve("A")
    assert status_of(orch, "A") is S.AWAITING_APPROVAL
    assert events_of(orch, "A") == before
    # ... but may reject it (withdrawing their own work is fine).
    assert orch.as_actor(who).approvals.reject("A", "not ready").status is S.FAILED


def test_second_decision_conflicts(orch: Orchestrator) -> None:
    _submitted(orch, "A")
    orch.as_actor("ann").approvals.approve("A")
    with pytest.raises(Conflict, match="already approved by ann"):
        orch.as_actor("ben").approvals.reject("A", "no")
    with pytest.raises(Conflict):
        orch.as_actor("ben").approvals.approve("A")
    assert count_rows(orch, Approval) == 1
    assert status_of(orch, "A") is S.DONE


def test_approving_a_task_not_waiting_is_refused(orch: Orchestrator) -> None:
    add(orch, "A")
    with pytest.raises(InvalidTransition, match="not awaiting approval"):
        orch.approvals.approve("A")
    assert count_rows(orch, Approval) == 0


def test_resubmission_after_rejection(orch: Orchestrator) -> None:
    _submitted(orch, "A")
    orch.as_actor("reviewer").approvals.reject("A", "missing docs")
    w = orch.as_actor("worker")
    w.tasks.start("A")
    w.tasks.complete("A")
    assert orch.as_actor("reviewer").approvals.approve("A").status is S.DONE
    assert [a.decision for a in orch.queries.approvals_for("A")] == ["rejected", "approved"]


# -- undo -----------------------------------------------------------------------------


def test_undo_reverses_own_last_change(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "B")
    orch.tasks.start("A")
    orch.tasks.start("B")
    orch.tasks.complete("B")
    assert orch.tasks.undo_last().key == "B"
    assert status_of(orch, "B") is S.IN_PROGRESS
    assert task_row(orch, "B").completed_at is None
    reverted = events_of(orch, "B")[-1]
    assert reverted.kind == EventKind.STATUS_REVERTED
    assert (reverted.data["from"], reverted.data["to"]) == ("done", "in_progress")
    assert orch.tasks.undo_last().key == "B"
    assert status_of(orch, "B") is S.PENDING
    assert orch.tasks.undo_last().key == "A"
    assert status_of(orch, "A") is S.PENDING
    with pytest.raises(NotFound, match="no status change to undo"):
        orch.tasks.undo_last()


def test_undo_is_per_actor_and_conflicts_when_others_moved_on(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.tasks.start("A")
    bob = orch.as_actor("bob")
    with pytest.raises(NotFound):
        bob.tasks.undo_last()
    bob.tasks.fail("A", reason="crashed")
    before = events_of(orch, "A")
    with pytest.raises(Conflict, match="nothing was written"):
        orch.tasks.undo_last()  # alice's start: A is no longer in_progress
    assert events_of(orch, "A") == before
    assert status_of(orch, "A") is S.FAILED


def test_lost_compare_and_set_raises_conflict(tmp_path: Path) -> None:
    orch = open_db(tmp_path / "x.db")
    add(orch, "A")
    from orchestrator_tui.domain.transitions import Current, Intent, plan_move
    from orchestrator_tui.services.moves import apply_moves

    stale = Current(id=task_row(orch, "A").id, key="A", status=S.BLOCKED)
    move = plan_move(stale, Intent(S.PENDING), datetime.now(UTC))
    with orch.db.write() as conn, pytest.raises(Conflict, match="expected blocked, now pending"):
        apply_moves(conn, [move])
    orch.close()


def test_a_plain_status_change_never_decides_an_approval() -> None:
    from orchestrator_tui.domain.state_machine import can_change_status, can_transition

    for current in TaskStatus:
        for target in TaskStatus:
            decided = current is TaskStatus.AWAITING_APPROVAL and target in (
                TaskStatus.DONE,
                TaskStatus.FAILED,
            )
            assert can_change_status(current, target) == (
                can_transition(current, target) and not decided
            )


def test_a_typed_key_suggests_only_keys_beginning_as_typed_even_with_like_wildcards(
    orch: Orchestrator,
) -> None:
    """`_` and `%` in a typed key are letters, not LIKE's wildcards."""
    add(orch, "a_b-12345")
    add(orch, "axb-12345")
    with pytest.raises(NotFound) as missed:
        orch.tasks.start("a_b-1234")
    assert str(missed.value) == "no task 'a_b-1234'; did you mean a_b-12345?"

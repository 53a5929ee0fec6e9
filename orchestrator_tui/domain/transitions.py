"""Planning a move of a task between statuses: one pure function for every way
a status changes.

A person's key or CLI verb, a runner's claim and finish, an approval decision,
a reclaim of a lost run, a cancel, an undo and an import all describe what they
want as an `Intent`; `plan_move` checks it against the state machine and
returns a `Move`: the status expected now, the status to write, the other
column values that go with it, and the ordered audit events. The services
apply moves with one writer (`services/moves.py`), as compare-and-set
statements with their events in the caller's transaction, so every path writes
the same rows and the same events for the same move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .enums import ApprovalDecision, EventKind, TaskStatus
from .errors import Conflict, DependenciesUnfinished, InvalidTransition, ValidationFailed
from .event_text import words
from .rules import DECIDABLE, FINISHED, WAITING_FOR_ANSWERS, decision_refusal
from .state_machine import (
    CLOSES_QUESTIONS,
    STARTS_WORK,
    WORK_FINISHED,
    already_refusal,
    awaiting_refusal,
    can_transition,
    check_transition,
    decided_by_approval,
    start_needs_force,
)

S = TaskStatus


class Via(StrEnum):
    """How a move is made; each way has its own rules on top of the state machine."""

    CHANGE = "change"  # a person's status key or CLI verb
    DECISION = "decision"  # approve, reject, request changes
    CLAIM = "claim"  # a runner takes a ready task
    FINISH = "finish"  # a runner's run ended (or the runner hands the task back)
    LOST = "lost"  # a run whose runner's lease expired
    CANCEL = "cancel"  # a person stops a running run
    UNDO = "undo"  # the reversal of a recorded move
    IMPORT = "import"  # a plan file says the task has another status
    ANSWER = "answer"  # the answers a blocked agent task waited for came: it continues


#: The status each approval decision moves a task to.
DECISION_TARGET: dict[ApprovalDecision, TaskStatus] = {
    ApprovalDecision.APPROVED: S.DONE,
    ApprovalDecision.REJECTED: S.FAILED,
    ApprovalDecision.CHANGES_REQUESTED: S.PENDING,
}

#: The audit event each decision records.
DECISION_EVENT: dict[ApprovalDecision, EventKind] = {
    ApprovalDecision.APPROVED: EventKind.APPROVED,
    ApprovalDecision.REJECTED: EventKind.REJECTED,
    ApprovalDecision.CHANGES_REQUESTED: EventKind.CHANGES_REQUESTED,
}


#: Every kind of event that records a move (the first event of each `Move`).
MOVE_EVENTS: frozenset[EventKind] = frozenset(
    {EventKind.STATUS_CHANGED, EventKind.FORCED_START, EventKind.STATUS_REVERTED}
    | set(DECISION_EVENT.values())
)

#: The kinds of event a move that starts work records (`records_start`).
START_EVENTS: frozenset[EventKind] = frozenset({EventKind.STATUS_CHANGED, EventKind.FORCED_START})
_STARTS_WORK_WORDS = frozenset(s.value for s in STARTS_WORK)


def records_start(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether an event row (its kind and data) records a move that started work."""
    return kind in START_EVENTS and data.get("to") in _STARTS_WORK_WORDS


@dataclass(frozen=True)
class Current:
    """What the planner needs to know about a task as it is now."""

    id: int
    key: str
    status: TaskStatus
    requires_approval: bool = False
    #: Keys of unfinished blocking dependencies (only read for moves that start work).
    unfinished_blockers: tuple[str, ...] = ()
    #: A runner holds the task (an unexpired or unreclaimed lease).
    leased: bool = False
    attempts: int = 0
    retry_scheduled: bool = False
    #: The task's progress (None when the caller did not read it).
    progress: int | None = None


@dataclass(frozen=True)
class Intent:
    """What the caller wants, and on whose behalf."""

    target: TaskStatus
    via: Via = Via.CHANGE
    reason: str | None = None
    force: bool = False
    decision: ApprovalDecision | None = None
    run_id: int | None = None
    #: CLAIM: the runner taking the task and when its lease ends.
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    #: FINISH / LOST: when the next attempt is due, if one is scheduled.
    retry_at: datetime | None = None
    #: UNDO: the event being reverted, and the progress the task had before it
    #: (recorded by that move when it changed the progress).
    reverts: int | None = None
    progress: int | None = None
    #: IMPORT: where the new status came from.
    origin: str | None = None
    #: FINISH to blocked: the open questions the agent's run ended on (the task
    #: waits for their answers); ANSWER: the question whose answer was the last;
    #: UNDO: the questions the reverted move closed, to reopen.
    questions: tuple[int, ...] = ()


@dataclass(frozen=True)
class PlannedEvent:
    kind: EventKind
    data: Mapping[str, Any]
    run_id: int | None = None


@dataclass(frozen=True)
class Move:
    """A planned compare-and-set: from `expected` to `target`, with its values and events."""

    task_id: int
    key: str
    expected: TaskStatus
    target: TaskStatus
    values: Mapping[str, Any]
    events: tuple[PlannedEvent, ...]
    #: The write also requires every blocking dependency to be done (race-free start).
    needs_blockers_done: bool = False
    #: Dependents that become ready get an `unblocked` event after the write.
    unblocks: bool = False
    #: The task's work ended: its open questions close (each with an event).
    closes_questions: bool = False
    #: An undo of a move that closed these questions: they open again (each with
    #: an event).
    reopens_questions: tuple[int, ...] = ()
    #: CLAIM moves lose quietly to another runner instead of raising Conflict.
    contested: bool = False
    via: Via = Via.CHANGE

    def for_run(self, run_id: int) -> Move:
        """The same move with its events tied to the run opened for it (claims)."""
        events = tuple(
            replace(e, run_id=run_id, data={**e.data, "reason": f"run {run_id}"})
            if e.kind is EventKind.STATUS_CHANGED
            else replace(e, run_id=run_id)
            for e in self.events
        )
        return replace(self, events=events)


def plan_move(current: Current, intent: Intent, now: datetime) -> Move:
    """Check `intent` against the rules and plan the write; raise when refused.

    Rules, by way of moving:
    - every way but UNDO and IMPORT follows the state machine;
    - done and failed are reached from awaiting approval only by a decision;
    - finishing work on a task that requires approval submits it for approval;
    - starting work needs every blocking dependency done, unless forced with a
      reason (recorded as a forced start); the write re-checks it in SQL;
    - a run that ended with questions open moves its task to blocked, and the
      last answer (ANSWER) moves it from blocked back to pending, nothing else;
    - UNDO writes the exact reverse of a recorded move, progress included (a
      move that changes the progress records the one it replaced), and reopens
      the questions that move closed (unless the reverse ends the work too);
    - IMPORT sets the file's status directly, but never on a task a runner holds;
    - a move into done, failed or cancelled, whichever way, closes the task's
      open questions (`CLOSES_QUESTIONS`).
    """
    target, via = intent.target, intent.via
    status = current.status
    if via is Via.DECISION:
        target = _decision_target(current, intent)
    elif via is Via.UNDO:
        pass
    elif via is Via.ANSWER and (status is not WAITING_FOR_ANSWERS or target is not S.PENDING):
        raise InvalidTransition(f"{current.key} is {words(status.value)}: it waits for no answer")
    elif via is Via.FINISH and intent.questions and target is not WAITING_FOR_ANSWERS:
        raise ValueError("a run that ends waiting for answers blocks its task")
    elif via is Via.IMPORT:
        if current.leased:
            raise Conflict(
                f"{current.key} is being run by a runner; its status cannot be imported now"
            )
    else:
        if decided_by_approval(status, target):
            raise InvalidTransition(awaiting_refusal(current.key))
        if target is S.DONE and current.requires_approval and status is S.IN_PROGRESS:
            target = S.AWAITING_APPROVAL
        check_transition(current.key, status, target)
    if status is target:
        raise InvalidTransition(already_refusal(current.key, status))

    kind, data = _status_event(current, intent, target)
    forced = False
    blockers = current.unfinished_blockers
    if via not in (Via.UNDO, Via.IMPORT) and start_needs_force(target, len(blockers)):
        if not intent.force:
            raise DependenciesUnfinished(current.key, list(blockers))
        if not (intent.reason and intent.reason.strip()):
            raise ValidationFailed(f"forcing {current.key} to start needs a reason")
        kind = EventKind.FORCED_START
        data["unfinished"] = list(blockers)
        forced = True
    values = _values(current, intent, target, now)
    if current.progress is not None and "progress" in values:
        # What an undo of this move gives back (its reverse may reset the progress).
        data["progress_from"] = current.progress
    events = [PlannedEvent(kind, data, intent.run_id)]
    if target in DECIDABLE and via is not Via.UNDO:
        events.append(PlannedEvent(EventKind.APPROVAL_REQUESTED, {}, intent.run_id))
    return Move(
        task_id=current.id,
        key=current.key,
        expected=status,
        target=target,
        values=values,
        events=tuple(events),
        needs_blockers_done=target in STARTS_WORK and not forced and via is not Via.UNDO,
        unblocks=target in FINISHED,
        closes_questions=target in CLOSES_QUESTIONS,
        reopens_questions=(
            intent.questions if via is Via.UNDO and target not in CLOSES_QUESTIONS else ()
        ),
        contested=via is Via.CLAIM,
        via=via,
    )


def _decision_target(current: Current, intent: Intent) -> TaskStatus:
    if intent.decision is None:
        raise ValueError("a decision move needs a decision")
    refusal = decision_refusal(current.key, current.status)
    if refusal:
        raise InvalidTransition(refusal)
    target = DECISION_TARGET[intent.decision]
    if not can_transition(current.status, target):  # pragma: no cover - table guarded by tests
        raise InvalidTransition(f"{current.key}: no decision leads to {words(target.value)}")
    return target


def _status_event(
    current: Current, intent: Intent, target: TaskStatus
) -> tuple[EventKind, dict[str, Any]]:
    data: dict[str, Any] = {"from": current.status.value, "to": target.value}
    if intent.via is Via.DECISION:
        assert intent.decision is not None
        if intent.reason:
            data["comment"] = intent.reason
        return DECISION_EVENT[intent.decision], data
    if intent.via is Via.UNDO:
        data["reverts"] = intent.reverts
        return EventKind.STATUS_REVERTED, data
    if intent.reason:
        data["reason"] = intent.reason
    if intent.via is Via.IMPORT and intent.origin:
        data["origin"] = intent.origin
    if intent.questions:
        data["questions"] = list(intent.questions)
    return EventKind.STATUS_CHANGED, data


def _values(current: Current, intent: Intent, target: TaskStatus, now: datetime) -> dict[str, Any]:
    """The columns written together with the status."""
    values: dict[str, Any] = {"updated_at": now}
    if target in STARTS_WORK:
        values["started_at"] = now
    if target in WORK_FINISHED:
        values["progress"] = 100
        if target is S.DONE:
            values["completed_at"] = now
    elif current.status in WORK_FINISHED or target is S.PENDING:
        # Reopened, reset, sent back, rejected or to be tried again: not complete,
        # and its progress starts over (a pending task never shows 100%).
        values["completed_at"] = None
        values["progress"] = 0
    if intent.via is Via.UNDO and intent.progress is not None:
        values["progress"] = intent.progress
    if intent.via is Via.CLAIM:
        values["lease_owner"] = intent.lease_owner
        values["lease_expires_at"] = intent.lease_expires_at
        # A scheduled retry continues the count; anything else starts a fresh round.
        scheduled = current.status is S.PENDING and current.retry_scheduled
        values["attempts"] = current.attempts + 1 if scheduled else 1
        values["retry_after"] = None
    elif intent.via in (Via.FINISH, Via.LOST):
        values["retry_after"] = intent.retry_at
    if intent.via is Via.FINISH:
        # The runner whose run ended lets go of the task in the same write.
        values["lease_owner"] = None
        values["lease_expires_at"] = None
    elif intent.via in (Via.CANCEL, Via.DECISION, Via.ANSWER):
        values["retry_after"] = None
    taken_away = current.leased and intent.via in (Via.CHANGE, Via.CANCEL, Via.UNDO)
    if taken_away and target is not S.IN_PROGRESS:
        # A person moving a task a runner holds takes it away from the runner.
        values["lease_owner"] = None
        values["lease_expires_at"] = None
    return values

"""The one state machine every status change goes through."""

from __future__ import annotations

from .enums import Readiness, TaskStatus
from .errors import InvalidTransition

S = TaskStatus

#: from-status -> the statuses it may move to.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.PENDING: frozenset({S.IN_PROGRESS, S.BLOCKED, S.DEFERRED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset(
        {S.DONE, S.AWAITING_APPROVAL, S.FAILED, S.BLOCKED, S.PENDING, S.CANCELLED}
    ),
    S.AWAITING_APPROVAL: frozenset({S.DONE, S.FAILED, S.PENDING, S.CANCELLED}),
    S.BLOCKED: frozenset({S.PENDING, S.IN_PROGRESS, S.CANCELLED}),
    S.DEFERRED: frozenset({S.PENDING, S.CANCELLED}),
    S.FAILED: frozenset({S.PENDING, S.IN_PROGRESS, S.CANCELLED}),
    S.DONE: frozenset({S.PENDING}),
    S.CANCELLED: frozenset({S.PENDING}),
}

#: Moving into these statuses starts work, so blocking dependencies must be done.
STARTS_WORK = frozenset({S.IN_PROGRESS})

#: Verb a person uses for each target status (CLI command / TUI action names).
VERBS: dict[TaskStatus, str] = {
    S.IN_PROGRESS: "start",
    S.DONE: "done",
    S.FAILED: "fail",
    S.BLOCKED: "block",
    S.PENDING: "reset",
    S.DEFERRED: "defer",
    S.CANCELLED: "cancel",
    S.AWAITING_APPROVAL: "submit for approval",
}


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(key: str, current: TaskStatus, target: TaskStatus) -> None:
    """Raise `InvalidTransition` naming the task and both statuses if refused."""
    if not can_transition(current, target):
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "nothing"
        raise InvalidTransition(
            f"{key} is {current.value}: cannot {VERBS[target]} it "
            f"(from {current.value} it can go to {allowed})"
        )


def readiness(status: TaskStatus, unfinished_blockers: int) -> Readiness:
    """Derive readiness from a status and its count of unfinished blocking deps."""
    if status is S.PENDING:
        return Readiness.READY if unfinished_blockers == 0 else Readiness.WAITING
    if status in (S.IN_PROGRESS, S.AWAITING_APPROVAL):
        return Readiness.ACTIVE
    if status.is_terminal:
        return Readiness.CLOSED
    return Readiness.STOPPED

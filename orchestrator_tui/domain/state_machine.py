"""The one state machine every status change goes through."""

from __future__ import annotations

from .enums import TaskStatus
from .errors import InvalidTransition
from .event_text import words

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


def _reached_without_starting() -> frozenset[TaskStatus]:
    seen, todo = {S.PENDING}, [S.PENDING]
    while todo:
        for status in TRANSITIONS[todo.pop()] - STARTS_WORK - seen:
            seen.add(status)
            todo.append(status)
    return frozenset(seen)


#: Statuses a new task reaches only by starting work (in progress, awaiting approval,
#: failed, done): a task created or loaded in one of them is dated as started.
STARTED: frozenset[TaskStatus] = frozenset(S) - _reached_without_starting()


def start_needs_force(target: TaskStatus, open_blockers: int) -> bool:
    """Whether moving to `target` starts work while blocking dependencies are open:
    refused unless forced, with a reason (the planner's rule, and the TUI's prompt)."""
    return target in STARTS_WORK and open_blockers > 0


#: Moving into these statuses ends the work for good (done, given up, or not to be
#: done): questions asked about it and still open close, nobody waits for their
#: answers. Blocked (a run ended on a question: it waits for the answer), pending
#: (a retry, a reset, changes requested), deferred and awaiting approval (the
#: decision may send it back, and the next run continues with the answers) keep
#: them open.
CLOSES_QUESTIONS = frozenset({S.DONE, S.FAILED, S.CANCELLED})

#: Statuses whose work is finished: done, or done and waiting for a person's
#: approval. A move into one shows the task at 100% (whoever finished it: a `done`,
#: an agent's report, a runner's run); a move out of one to anything else (changes
#: requested, rejected, reopened, cancelled) starts its progress over at 0.
WORK_FINISHED = frozenset({S.DONE, S.AWAITING_APPROVAL})

#: The verbs a person uses (CLI commands, TUI actions) and the status each moves to.
VERB_TARGETS: dict[str, TaskStatus] = {
    "start": S.IN_PROGRESS,
    "done": S.DONE,
    "fail": S.FAILED,
    "block": S.BLOCKED,
    "reset": S.PENDING,
    "defer": S.DEFERRED,
    "cancel": S.CANCELLED,
}

#: Verb for each target status, in messages ("cannot start it").
VERBS: dict[TaskStatus, str] = {
    **{target: verb for verb, target in VERB_TARGETS.items()},
    S.AWAITING_APPROVAL: "submit for approval",
}


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def decided_by_approval(current: TaskStatus, target: TaskStatus) -> bool:
    """A task awaiting approval becomes done or failed only by a decision
    (approve / reject), never by a plain status change."""
    return current is S.AWAITING_APPROVAL and target in (S.DONE, S.FAILED)


def can_change_status(current: TaskStatus, target: TaskStatus) -> bool:
    """Whether a plain status change (not an approval) may move `current` to `target`."""
    return can_transition(current, target) and not decided_by_approval(current, target)


#: What moving a task to each status is called in a refusal ("cannot mark it done").
_DOING: dict[TaskStatus, str] = {
    **{target: f"{verb} it" for target, verb in VERBS.items()},
    S.DONE: "mark it done",
    S.FAILED: "mark it failed",
    S.AWAITING_APPROVAL: "submit it for approval",
}


def already_refusal(key: str, status: TaskStatus) -> str:
    """Why a task cannot move to the status it is in, whichever way it is moved."""
    return f"{key} is {words(status.value)} already"


def _transition_refusal(key: str, current: TaskStatus, target: TaskStatus) -> str | None:
    if can_transition(current, target):
        return None
    if current is target:
        return already_refusal(key, current)
    allowed = ", ".join(sorted(words(t.value) for t in TRANSITIONS[current])) or "nothing"
    return (
        f"{key} is {words(current.value)}: cannot {_DOING[target]} "
        f"(from {words(current.value)} it can go to {allowed})"
    )


def awaiting_refusal(key: str) -> str:
    """Why a plain status change cannot finish a task awaiting approval."""
    return f"{key} is awaiting approval: approve or reject it instead"


def change_refusal(key: str, current: TaskStatus, target: TaskStatus) -> str | None:
    """Why a person's plain status change from `current` to `target` is refused, in
    one line; None when it is allowed (the rule `can_change_status` applies)."""
    if decided_by_approval(current, target):
        return awaiting_refusal(key)
    return _transition_refusal(key, current, target)


def check_transition(key: str, current: TaskStatus, target: TaskStatus) -> None:
    """Raise `InvalidTransition` naming the task and both statuses if refused."""
    refusal = _transition_refusal(key, current, target)
    if refusal:
        raise InvalidTransition(refusal)

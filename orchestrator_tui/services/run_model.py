"""The plain data of runs: what a claim gives a runner, what it reports back,
and what became of the task afterwards. Which tasks a runner may claim is a
rule of `domain/rules.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from ..domain.enums import RunStatus, TaskStatus
from ..domain.models import CommandSpec
from ..domain.rules import WAITING_FOR_ANSWERS

S = TaskStatus


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts: base, 2*base, 4*base ... capped."""

    base_seconds: float = 5.0
    max_seconds: float = 300.0

    def delay(self, attempt: int) -> float:
        return min(self.base_seconds * (2 ** max(attempt - 1, 0)), self.max_seconds)


@dataclass(frozen=True)
class Claim:
    """A task this runner now holds, and the run record opened for it."""

    task_id: int
    key: str
    title: str
    run_id: int
    execution_id: str
    attempt: int
    max_retries: int
    requires_approval: bool
    command: CommandSpec


@dataclass
class RunResult:
    """How a run ended, as the runner saw it."""

    run_id: int
    task_id: int
    status: RunStatus
    exit_code: int | None = None
    error: str | None = None
    log_excerpt: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    outputs_uri: str | None = None
    #: The runner is stopping: hand the task back to `pending` instead of judging it.
    release: bool = False
    #: False when trying again cannot help (the program could not even start).
    retryable: bool = True
    #: A coding agent's run, which can be continued: questions it asked and left
    #: open when it ended make its task wait (blocked) for their answers.
    continues_after_answers: bool = False


class Outcome(StrEnum):
    """What a settled run's task came to: the runner's summary counts each (a field
    of that name), `run` prints a line for each, and the notification hooks are told
    of two."""

    SUCCEEDED = "succeeded"  # done
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING_FOR_ANSWERS = "waiting_for_answers"  # blocked on questions its agent asked
    FAILED = "failed"  # failed for good
    RETRIED = "retried"  # back to pending, its next attempt due at `retry_at`


class Ending(StrEnum):
    """How a run ended when not by its own end nor by a person (`Stopped`): the
    runner's summary counts each, and `run` prints each so (`closed`, `lost`)."""

    CLOSED = "closed"  # loaded open by a plan or an import, never run: tidied
    LOST = "lost"  # its lease expired and it was reclaimed, or its task was taken away


@dataclass(frozen=True)
class Stopped:
    """The run was stopped by a person, `by` (who cancelled it or moved its task):
    their decision, not a loss. The runner's summary counts them and names who;
    `run` prints `stopped`, its `value` as an `Ending`'s."""

    by: str
    value: ClassVar[str] = "stopped"


#: The outcome of each status a run's end leaves its task in; pending is `RETRIED`
#: when a next attempt is due, and nothing (handed back) when none is.
_OUTCOME_OF: dict[TaskStatus, Outcome] = {
    S.DONE: Outcome.SUCCEEDED,
    S.AWAITING_APPROVAL: Outcome.AWAITING_APPROVAL,
    WAITING_FOR_ANSWERS: Outcome.WAITING_FOR_ANSWERS,
    S.FAILED: Outcome.FAILED,
}


@dataclass(frozen=True)
class Settled:
    """What became of a task after its run ended (or was found lost)."""

    task_id: int
    key: str
    title: str
    run_id: int | None
    run_status: RunStatus
    task_status: TaskStatus | None  # None: the lease was gone, nothing written to the task
    reason: str = ""
    retry_at: datetime | None = None
    attempt: int = 0
    exit_code: int | None = None
    outputs_uri: str | None = None
    log_excerpt: str | None = None
    execution_id: str | None = None
    #: Who took the task from its run while it ran (cancelled the run, or moved the
    #: task): a person's decision, not a loss. None when nobody did (or its lease
    #: expired and the run was reclaimed as lost).
    taken_by: str | None = None
    #: The run was loaded open (by a plan or an import, as the demo's PAY-11) and
    #: no runner ever started it: closing it tidies the data, and nothing was lost.
    loaded_open: bool = False

    @property
    def outcome(self) -> Outcome | None:
        """What the task came to; None when nothing was written to it (its lease was
        gone) or it was handed back with no next attempt due."""
        if self.task_status is None:
            return None
        outcome = _OUTCOME_OF.get(self.task_status)
        if outcome is None and self.retry_at is not None:
            return Outcome.RETRIED
        return outcome

    @property
    def ending(self) -> Stopped | Ending | None:
        """How the run ended, when not by its own end (None: it ended by itself)."""
        if self.taken_by is not None:
            return Stopped(self.taken_by)
        if self.loaded_open:
            return Ending.CLOSED
        if self.run_status is RunStatus.LOST or self.task_status is None:
            return Ending.LOST
        return None

    @property
    def failed_for_good(self) -> bool:
        return self.outcome is Outcome.FAILED


@dataclass(frozen=True)
class Outlook:
    """Whether there is anything left for runners to do (for `--until-idle`)."""

    ready: int
    next_retry_at: datetime | None
    leased: int

    @property
    def idle(self) -> bool:
        return self.ready == 0 and self.next_retry_at is None and self.leased == 0

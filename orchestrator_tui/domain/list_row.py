"""A line of the task list as a plain frozen dataclass, and what a line allows.

`RowRules` answers what a list line allows (run, cancel, decide, answer, a status
key) from `rules.py` and the state machine. The pydantic `TaskRow` (`models.py`)
and `ListRow` here both take their answers from it, so a rule is written once.

`ListRow` has exactly `TaskRow`'s fields and needs neither pydantic nor the
models: the TUI draws its first page with it while those are still loading
(about 0.2 s), and the real load replaces it with `TaskRow`s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import rules
from .enums import Priority, Readiness, TaskStatus
from .rules import DECIDABLE
from .state_machine import can_change_status, change_refusal, start_needs_force


class RowRules:
    """The actions a list line allows, for any class with `TaskRow`'s fields."""

    __slots__ = ()

    if TYPE_CHECKING:  # the fields of the classes that take these rules
        key: str
        status: TaskStatus
        unfinished_blockers: int
        open_questions: int
        has_command: bool
        leased: bool

    @property
    def can_run(self) -> bool:
        """The run key applies: its command may run now."""
        return rules.can_run_now(self.status, self.has_command, self.unfinished_blockers)

    @property
    def run_refusal(self) -> str | None:
        """Why the run key does not apply, in one line (None when it does)."""
        return rules.run_refusal(
            self.key, self.status, self.has_command, self.unfinished_blockers, self.leased
        )

    @property
    def has_live_run(self) -> bool:
        """Its command is running now (not merely in progress by hand)."""
        return rules.has_live_run(self.status, self.leased)

    @property
    def can_cancel_run(self) -> bool:
        return rules.can_cancel_run(self.status, self.leased)

    @property
    def cancel_refusal(self) -> str | None:
        """Why the cancel key does not apply, in one line (None when it does)."""
        return rules.cancel_refusal(self.key, self.status, self.leased)

    @property
    def decision_refusal(self) -> str | None:
        """Why approve, reject and request changes do not apply (None when they do)."""
        return rules.decision_refusal(self.key, self.status)

    @property
    def answer_refusal(self) -> str | None:
        """Why the answer key does not apply: no question is open (None when one is)."""
        return rules.answer_refusal(self.key, self.open_questions)

    def change_refusal(self, target: TaskStatus) -> str | None:
        """Why the status key for `target` does not apply (None when it does)."""
        return change_refusal(self.key, self.status, target)

    @property
    def can_decide(self) -> bool:
        """Approve, reject and request changes apply."""
        return self.status in DECIDABLE

    def can_move_to(self, target: TaskStatus) -> bool:
        """A person's status key for `target` applies."""
        return can_change_status(self.status, target)

    def needs_force(self, target: TaskStatus) -> bool:
        """Moving to `target` starts work while blocking dependencies are open: only
        forced, with a reason."""
        return start_needs_force(target, self.unfinished_blockers)


@dataclass(frozen=True, slots=True)
class ListRow(RowRules):
    """One line of the task list, as `TaskRow` has it, without pydantic."""

    id: int
    key: str
    title: str
    status: TaskStatus
    priority: Priority
    assignee: str | None
    progress: int
    phase: int
    estimated_hours: float | None
    requires_approval: bool
    unfinished_blockers: int
    readiness: Readiness
    updated_at: datetime
    #: Questions its agent asked that nobody has answered yet.
    open_questions: int = 0
    has_command: bool = False
    #: A runner holds the task (its command is running).
    leased: bool = False

    def model_copy(self, *, update: dict[str, Any]) -> ListRow:
        """This line with `update`'s fields changed: `TaskRow`'s own call, so the list
        shows a move or an edit on either kind of line the same way."""
        return replace(self, **update)

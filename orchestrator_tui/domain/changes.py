"""What a change-feed event can change in a task-list row.

The events table is the change feed: each event names its task and its kind.
A view that shows tasks (the TUI's list) uses this to decide how much to
reload: only the changed rows when nothing it sorts or filters by can have
moved, else the page. Unknown kinds count as changing everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from .enums import EventKind as K

#: Tasks were added or removed: counts and positions may change.
MEMBERSHIP = "*"

_STATUS = frozenset(
    {"status", "progress", "readiness", "unfinished_blockers", "assignee", "leased"}
)
_EVERY_FIELD = frozenset(
    {
        "title",
        "status",
        "priority",
        "assignee",
        "progress",
        "phase",
        "estimated_hours",
        "requires_approval",
        "unfinished_blockers",
        "readiness",
        "has_command",
        "leased",
        "open_questions",
    }
)

#: Row fields an event of each kind may change. A status move changes the
#: readiness of the task's dependents too (they get no event of their own
#: when they start waiting again), hence "readiness" with every status kind.
FIELDS_BY_KIND: dict[str, frozenset[str]] = {
    K.TASK_CREATED: frozenset({MEMBERSHIP}) | _EVERY_FIELD,
    K.TASK_DELETED: frozenset({MEMBERSHIP}) | _EVERY_FIELD,
    K.PLAN_IMPORTED: frozenset({MEMBERSHIP}) | _EVERY_FIELD,
    K.DATABASE_SEEDED: frozenset({MEMBERSHIP}) | _EVERY_FIELD,
    K.TASK_EDITED: _EVERY_FIELD,
    K.STATUS_CHANGED: _STATUS,
    K.STATUS_REVERTED: _STATUS,
    K.FORCED_START: _STATUS,
    K.APPROVAL_REQUESTED: _STATUS,
    K.APPROVED: _STATUS,
    K.REJECTED: _STATUS,
    K.CHANGES_REQUESTED: _STATUS,
    K.RUN_STARTED: _STATUS,
    K.RUN_FINISHED: _STATUS,
    K.RUN_LOST: _STATUS,
    K.MERGED: _STATUS,
    K.PROGRESS: _STATUS,
    K.UNBLOCKED: frozenset({"unfinished_blockers", "readiness"}),
    K.DEPENDENCY_ADDED: frozenset({"unfinished_blockers", "readiness"}),
    K.DEPENDENCY_REMOVED: frozenset({"unfinished_blockers", "readiness"}),
    K.QUESTION_ASKED: frozenset({"open_questions"}),
    K.QUESTION_ANSWERED: frozenset({"open_questions"}),
    K.QUESTION_CLOSED: frozenset({"open_questions"}),
    K.QUESTION_REOPENED: frozenset({"open_questions"}),
    K.NOTE: frozenset(),
    K.CONTEXT: frozenset(),
    K.FEEDBACK: frozenset(),
    K.PARTICIPANT_JOINED: frozenset(),
    K.AGENT_REGISTERED: frozenset(),
    K.AGENT_USAGE: frozenset(),
    K.CHANGES_RECORDED: frozenset(),
}


#: What the dashboard's statistics count (tasks by status, phase, component and
#: assignee, estimated hours, the ready ones, completions, the critical path): events
#: that may change none of these fields leave them as they are (a component or an
#: estimate changes only with an edit, which may change every field).
COUNTED = frozenset(
    {
        MEMBERSHIP,
        "status",
        "assignee",
        "phase",
        "estimated_hours",
        "readiness",
        "unfinished_blockers",
    }
)


def fields_changed(kinds: Iterable[str]) -> frozenset[str]:
    """Every row field that events of `kinds` may have changed (MEMBERSHIP included)."""
    fields: set[str] = set()
    for kind in kinds:
        fields |= FIELDS_BY_KIND.get(kind, _EVERY_FIELD | {MEMBERSHIP})
    return frozenset(fields)

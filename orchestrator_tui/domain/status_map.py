"""The one mapping from every foreign status word to ours.

Each word any source system uses maps to exactly one `TaskStatus`. Importers
call `map_status`; the README carries the same table (a test keeps them equal).
"""

from __future__ import annotations

from .enums import TaskStatus
from .errors import ValidationFailed

S = TaskStatus

#: (source system, its word) -> our status. Sources: seed documents 000-004,
#: task-master, Backlog.md's default column names.
STATUS_WORDS: dict[str, dict[str, TaskStatus]] = {
    "orchestrator-tui": {s.value: s for s in TaskStatus},
    "seed-000": {
        "not_started": S.PENDING,
        "in_progress": S.IN_PROGRESS,
        "completed": S.DONE,
        "blocked": S.BLOCKED,
        "failed": S.FAILED,
        "requires_assistance": S.BLOCKED,
        "partial": S.IN_PROGRESS,
    },
    "seed-001": {
        "pending": S.PENDING,
        "in_progress": S.IN_PROGRESS,
        "completed": S.DONE,
        "blocked": S.BLOCKED,
    },
    "seed-002": {
        "pending": S.PENDING,
        "in_progress": S.IN_PROGRESS,
        "done": S.DONE,
        "completed": S.DONE,
        "blocked": S.BLOCKED,
    },
    "seed-003": {
        "queued": S.PENDING,
        "pending": S.PENDING,
        "running": S.IN_PROGRESS,
        "in_progress": S.IN_PROGRESS,
        "completed": S.DONE,
        "failed": S.FAILED,
        "cancelled": S.CANCELLED,
    },
    "seed-004": {
        "queued": S.PENDING,
        "running": S.IN_PROGRESS,
        "succeeded": S.DONE,
        "failed": S.FAILED,
        "awaiting_approval": S.AWAITING_APPROVAL,
        "skipped": S.CANCELLED,
    },
    "task-master": {
        "pending": S.PENDING,
        "in-progress": S.IN_PROGRESS,
        "done": S.DONE,
        "deferred": S.DEFERRED,
        "cancelled": S.CANCELLED,
        "blocked": S.BLOCKED,
        "review": S.AWAITING_APPROVAL,
    },
    "backlog-md": {
        "to do": S.PENDING,
        "todo": S.PENDING,
        "in progress": S.IN_PROGRESS,
        "in review": S.AWAITING_APPROVAL,
        "done": S.DONE,
        # words found in Backlog.md folders in the wild (its statuses are free text)
        "to-do": S.PENDING,
        "doing": S.IN_PROGRESS,
        "draft": S.DEFERRED,
        "on hold": S.DEFERRED,
        "closed": S.DONE,
        "canceled": S.CANCELLED,
        "won't do": S.CANCELLED,
    },
}

#: Every word from every source, normalised, to our status. Built from the
#: table above and checked there: one word never maps to two statuses.
_ALL_WORDS: dict[str, TaskStatus] = {}


def _normalise(word: str) -> str:
    return " ".join(word.strip().lower().split())


def _build_index() -> None:
    for source, words in STATUS_WORDS.items():
        for word, status in words.items():
            key = _normalise(word)
            seen = _ALL_WORDS.get(key)
            if seen is not None and seen is not status:
                raise AssertionError(f"{source}: {word!r} maps to {status} and {seen}")
            _ALL_WORDS[key] = status


_build_index()

#: How our statuses go back out to task-master.
TO_TASK_MASTER: dict[TaskStatus, str] = {
    S.PENDING: "pending",
    S.IN_PROGRESS: "in-progress",
    S.AWAITING_APPROVAL: "review",
    S.BLOCKED: "blocked",
    S.DEFERRED: "deferred",
    S.FAILED: "blocked",
    S.DONE: "done",
    S.CANCELLED: "cancelled",
}


#: How our statuses go out to Backlog.md, in board order (its first column is
#: pending and its last done; every word here maps back through the table).
TO_BACKLOG: dict[TaskStatus, str] = {
    S.PENDING: "To Do",
    S.IN_PROGRESS: "In Progress",
    S.AWAITING_APPROVAL: "In Review",
    S.BLOCKED: "Blocked",
    S.FAILED: "Failed",
    S.DEFERRED: "Deferred",
    S.CANCELLED: "Cancelled",
    S.DONE: "Done",
}


def lookup_status(word: str, extra: dict[str, str] | None = None) -> TaskStatus | None:
    """Our status for a foreign word, or None for a word nobody knows; `extra`
    adds source-specific names and wins over the table (Backlog.md reads its
    own from config.yml)."""
    key = _normalise(word)
    if extra:
        for their, ours in extra.items():
            if _normalise(their) == key:
                return TaskStatus(ours)
    return _ALL_WORDS.get(key)


def map_status(word: str, extra: dict[str, str] | None = None) -> TaskStatus:
    """Our status for a foreign word (see `lookup_status`); unknown words are refused."""
    found = lookup_status(word, extra)
    if found is None:
        known = ", ".join(sorted(_ALL_WORDS))
        raise ValidationFailed(f"unknown status {word!r} (known: {known})")
    return found


def known_words() -> dict[str, TaskStatus]:
    """Every normalised foreign word and the status it maps to."""
    return dict(_ALL_WORDS)

"""What a person's undo may reverse, and why it may not.

A recorded move (a status change, a forced start, or an approval decision)
is reversed by writing its exact reverse through `plan_move` with
`Via.UNDO`. Whether it may be reversed depends on what happened to the task
since; the service gathers that into `SinceThen` and `undo_refusal` decides,
so the CLI, the TUI and any other caller refuse for the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import EventKind, TaskStatus
from .event_text import words

S = TaskStatus

#: Event kinds that record a move a person made and may undo.
UNDOABLE: frozenset[EventKind] = frozenset(
    {
        EventKind.STATUS_CHANGED,
        EventKind.FORCED_START,
        EventKind.APPROVED,
        EventKind.REJECTED,
        EventKind.CHANGES_REQUESTED,
    }
)

#: How each undoable event is named in messages.
MOVE_NAME: dict[EventKind, str] = {
    EventKind.STATUS_CHANGED: "status change",
    EventKind.FORCED_START: "forced start",
    EventKind.APPROVED: "approval",
    EventKind.REJECTED: "rejection",
    EventKind.CHANGES_REQUESTED: "change request",
}


@dataclass(frozen=True)
class RecordedMove:
    """One undoable event: who moved which task from which status to which."""

    event_id: int
    kind: EventKind
    task_id: int
    key: str
    actor: str
    before: TaskStatus
    after: TaskStatus
    #: The progress the move replaced (None when it left the progress alone).
    progress_before: int | None = None
    #: The questions the move closed (it ended the task's work): its undo reopens them.
    closed_questions: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return MOVE_NAME[self.kind]


@dataclass(frozen=True)
class SinceThen:
    """What happened to the task after the move, as the service found it."""

    status: TaskStatus
    #: The move was already reversed.
    undone: bool = False
    #: Who moved the task last, when someone moved it after this move.
    moved_by: str | None = None
    #: How the approval's workspace was merged (an approval that merged a branch).
    merged: str | None = None
    #: Keys of dependents that started work after the task was finished.
    started_dependents: tuple[str, ...] = ()
    #: The runner's run the move took the task from (its process was stopped).
    stopped_run: int | None = None


@dataclass(frozen=True)
class UndoPreview:
    """What an undo would do, or why it cannot: shown before anything is written."""

    move: RecordedMove
    refusal: str | None = None

    @property
    def key(self) -> str:
        return self.move.key


def undo_refusal(move: RecordedMove, actor: str, since: SinceThen) -> str | None:
    """Why `actor` cannot undo `move` now, in one line; None when the undo may go ahead."""
    key = move.key
    if move.kind not in UNDOABLE:
        return f"a {move.kind.value} event is not a move that can be undone"
    if move.actor != actor:
        return f"{key}'s {move.name} was made by {move.actor}, not by {actor}"
    if since.undone:
        before, after = words(move.before.value), words(move.after.value)
        return f"{key}'s {move.name} ({before} -> {after}) was already undone"
    if since.status is not move.after:
        who = f" by {since.moved_by}" if since.moved_by else ""
        now = words(since.status.value)
        return (
            f"{key} was moved on{who} after your {move.name} and is {now} now; "
            "undoing would overwrite that"
        )
    if since.merged:
        return (
            f"{key}'s approval merged its work ({since.merged}); "
            "a merge is not undone here: revert it in git"
        )
    if since.stopped_run is not None:
        return (
            f"{key}'s {move.name} stopped its run {since.stopped_run}, which undoing cannot "
            f"start again: reset {key} to pending to run it again"
        )
    if since.started_dependents:
        names = ", ".join(since.started_dependents[:5])
        return (
            f"{names} started after {key} was {words(move.after.value)}; "
            f"undoing would leave {'them' if len(since.started_dependents) > 1 else 'it'} "
            "working on unfinished work"
        )
    return None
